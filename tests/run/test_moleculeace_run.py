"""End to end on a bundled MoleculeACE set: the benchmark's own split through the ``column`` splitter, and
``cliff_rmse`` in metrics.json / summary.json checked against predictions.csv with numpy."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from molgdl_datasets.bundled import MOLECULEACE_SETS, data_path

REPO = Path(__file__).resolve().parents[2]
SET = "CHEMBL4203_Ki"
LIMIT = 200


def _config(tmp_path: Path, **over) -> Path:
    cfg = {
        "run": {"name": "mace", "output_dir": str(tmp_path / "runs"), "seeds": [0, 1]},
        "data": {"source": {"name": "moleculeace", "set": SET, "limit": LIMIT},
                 "cache_dir": str(tmp_path / "cache"), "num_workers": 1, "progress": False},
        "featurizer": {"name": "graph2d"},
        "split": {"name": "column", "val_fraction": 0.1},
        "model": {"name": "dmpnn", "hidden_dim": 16, "depth": 2},
        "head": {"hidden_dim": 16, "num_layers": 1},
        "trainer": {"max_epochs": 2, "batch_size": 32, "accelerator": "cpu", "devices": 1,
                    "early_stopping": None, "progress_bar": False},
        **over,
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def _check_run(run: Path, seeds: list[int]) -> None:
    raw = pd.read_csv(data_path(MOLECULEACE_SETS[SET].filename), nrows=LIMIT)
    file_test = np.flatnonzero(raw["split"] == "test").tolist()
    summary = json.loads((run / "summary.json").read_text())
    per_seed = []
    for seed in seeds:
        d = run / f"seed_{seed}"
        split = json.loads((d / "split.json").read_text())
        assert split["test"] == file_test  # the benchmark's own test rows
        n_train = len(split["train"]) + len(split["val"])
        assert n_train == LIMIT - len(file_test) and len(split["val"]) == round(0.1 * n_train)
        pred = pd.read_csv(d / "predictions.csv")
        metrics = json.loads((d / "metrics.json").read_text())["metrics"]
        for name in ("train", "val", "test"):
            rows = pred[(pred["split"] == name) & (pred["cliff"] == 1)]
            assert len(rows) > 0
            expected = math.sqrt(np.mean((rows["y"].to_numpy() - rows["y_pred"].to_numpy()) ** 2))
            assert metrics[name]["y"]["cliff_rmse"] == pytest.approx(expected, rel=1e-6)
            assert metrics[name]["overall"]["cliff_rmse"] == pytest.approx(expected, rel=1e-6)
        np.testing.assert_array_equal(pred["cliff"].to_numpy(), raw["cliff_mol"].to_numpy())
        per_seed.append(metrics["test"]["overall"]["cliff_rmse"])
    agg = summary["test"]["overall"]["cliff_rmse"]
    assert agg["values"] == per_seed and agg["mean"] == pytest.approx(np.mean(per_seed))


def test_neural_run_on_moleculeace_writes_cliff_rmse(run_cli, tmp_path):
    code, out, err = run_cli("run", _config(tmp_path))
    assert code == 0, err
    _check_run(tmp_path / "runs" / "mace", [0, 1])


def test_moleculeace_rf_config_runs(run_cli, tmp_path):
    code, out, err = run_cli(
        "run", REPO / "configs" / "moleculeace_rf.yaml", "--set", f"run.output_dir={tmp_path / 'runs'}",
        "--set", f"data.source.set={SET}", "--set", f"data.source.limit={LIMIT}", "--set", "run.seeds=[0]",
        "--set", "model.n_estimators=20", "--set", "model.n_jobs=1", "--set", "data.num_workers=1",
        "--set", "data.progress=false")
    assert code == 0, err
    _check_run(tmp_path / "runs" / "moleculeace_rf", [0])
