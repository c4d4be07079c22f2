"""End to end: `molgdl run` with optimizer qadam (tiny ESOL subset, small model) logs the optim/* metrics;
configs/esol_qadam.yaml validates."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def test_esol_qadam_config_validates(cli):
    code, out, err = cli("validate", str(ROOT / "configs" / "esol_qadam.yaml"))
    assert code == 0, out + err


def test_molgdl_run_with_qadam(cli, tmp_path):
    cfg = {
        "run": {"name": "q", "output_dir": str(tmp_path / "runs"), "seeds": [0]},
        "data": {"source": {"name": "esol", "limit": 80}, "progress": False},
        "featurizer": {"name": "graph2d"},
        "model": {"name": "dmpnn", "hidden_dim": 16, "depth": 2},
        "head": {"hidden_dim": 16},
        "optimizer": {"name": "qadam", "lr": 0.003, "eta": 1024.0, "schedule": "linear", "rate": 1.0},
        "trainer": {"max_epochs": 2, "batch_size": 16, "progress_bar": False, "accelerator": "cpu",
                    "early_stopping": None, "num_threads": 1},
    }
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump(cfg))
    code, out, err = cli("run", str(path))
    assert code == 0, out + err
    seed_dir = tmp_path / "runs" / "q" / "seed_0"
    rows = [r for r in csv.DictReader((seed_dir / "logs" / "metrics.csv").open()) if r.get("optim/level")]
    assert [float(r["optim/level"]) for r in rows] == [0.0, 1.0]  # rate 1: one level per epoch
    assert [float(r["optim/resolution"]) for r in rows] == [1024.0, 2048.0]
    assert all(0.0 <= float(r["optim/frozen_frac"]) <= 1.0 for r in rows)
    assert json.loads((seed_dir / "metrics.json").read_text())["metrics"]["test"]["overall"]["rmse"] > 0
