"""End to end: `molgdl run` with the coherence callback writes coherence.csv and .png; the winsorized
optimizer with its feeder trains; without the feeder the run stops with a ConfigError;
configs/esol_coherence.yaml validates."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def _config(tmp_path, name, **over):
    cfg = {
        "run": {"name": name, "output_dir": str(tmp_path / "runs"), "seeds": [0]},
        "data": {"source": {"name": "esol", "limit": 60}, "progress": False},
        "featurizer": {"name": "graph2d"},
        "model": {"name": "dmpnn", "hidden_dim": 16, "depth": 2},
        "head": {"hidden_dim": 16},
        "optimizer": {"name": "adam", "lr": 0.003},
        "trainer": {"max_epochs": 2, "batch_size": 16, "progress_bar": False, "accelerator": "cpu",
                    "early_stopping": None, "num_threads": 1},
    }
    cfg.update(over)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_esol_coherence_config_validates(cli):
    code, out, err = cli("validate", str(ROOT / "configs" / "esol_coherence.yaml"))
    assert code == 0, out + err


def test_molgdl_run_with_coherence_callback(cli, tmp_path):
    path = _config(tmp_path, "c", callbacks=[{"name": "coherence", "m": 20, "every_n_epochs": 1}])
    code, out, err = cli("run", str(path))
    assert code == 0, out + err
    seed_dir = tmp_path / "runs" / "c" / "seed_0"
    rows = list(csv.DictReader((seed_dir / "coherence.csv").open()))
    assert sorted({int(r["epoch"]) for r in rows}) == [0, 1, 2]
    assert {r["group"] for r in rows} == {"all", "encoder", "head"}
    for r in rows:
        assert int(r["m"]) == 20 and 0.0 <= float(r["m_coherence"]) <= 20.0
        mc = float(r["m_coherence"])
        assert abs(float(r["alpha_unbiased"]) - (mc - 1) / 19) < 1e-9
    assert (seed_dir / "coherence.png").stat().st_size > 1000
    metrics = csv.DictReader((seed_dir / "logs" / "metrics.csv").open())
    logged = [r for r in metrics if r.get("coherence/all/m_coherence")]
    assert len(logged) == 2


def test_molgdl_run_with_winsorized_and_feeder(cli, tmp_path):
    opt = {"name": "winsorized", "c": 2, "base": {"name": "adam", "lr": 0.003}}
    path = _config(tmp_path, "w", optimizer=opt,
                   callbacks=[{"name": "per_example_gradients"}])
    code, out, err = cli("run", str(path))
    assert code == 0, out + err
    seed_dir = tmp_path / "runs" / "w" / "seed_0"
    fracs = [float(r["optim/robust_frac"]) for r in csv.DictReader((seed_dir / "logs" / "metrics.csv").open())
             if r.get("optim/robust_frac")]
    assert fracs == [1.0, 1.0]
    assert json.loads((seed_dir / "metrics.json").read_text())["metrics"]["test"]["overall"]["rmse"] > 0


def test_m3_without_feeder_is_a_config_error(cli, tmp_path):
    path = _config(tmp_path, "m", optimizer={"name": "m3"})
    code, out, err = cli("run", str(path))
    assert code != 0
    assert "per_example_gradients" in out + err
