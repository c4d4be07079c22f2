"""``split: {name: kfold, fold: all}``: `molgdl run` trains every fold in one command (seed_<s>_fold_<k>/) and
summarises over folds; a config that picks one fold still trains that fold alone (seed_<s>/)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from molgdl.config.load import parse_config
from molgdl.errors import ConfigError


def _config(tmp_path, fold, seeds=(0,)):
    return {
        "run": {"name": f"kf_{fold}", "output_dir": str(tmp_path / "runs"), "seeds": list(seeds)},
        "data": {"source": {"name": "esol", "limit": 60}, "cache_dir": str(tmp_path / "cache"), "num_workers": 1,
                 "progress": False},
        "descriptors": [{"name": "morgan", "radius": 2, "n_bits": 128}],
        "split": {"name": "kfold", "n_folds": 3, "fold": fold, "val_fraction": 0.1},
        "model": {"name": "random_forest", "n_estimators": 10, "n_jobs": 1},
    }


def _run(run_cli, tmp_path, cfg):
    path = tmp_path / f"{cfg['run']['name']}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    code, out, err = run_cli("run", path)
    assert code == 0, err
    return tmp_path / "runs" / cfg["run"]["name"], " ".join(err.split())


def test_every_fold_in_one_command(run_cli, tmp_path):
    run, err = _run(run_cli, tmp_path, _config(tmp_path, "all", seeds=(0, 1)))
    dirs = sorted(p.name for p in run.glob("seed_*"))
    assert dirs == [f"seed_{s}_fold_{k}" for s in (0, 1) for k in range(3)]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["seeds"] == [0, 1] and summary["folds"] == [0, 1, 2] and summary["replicates"] == dirs
    rmse = [json.loads((run / d / "metrics.json").read_text())["metrics"]["test"]["overall"]["rmse"] for d in dirs]
    got = summary["test"]["overall"]["rmse"]
    assert got["values"] == rmse
    assert got["mean"] == pytest.approx(np.mean(rmse)) and got["std"] == pytest.approx(np.std(rmse, ddof=1))
    assert "test metrics over 3 folds x seeds [0, 1] (mean ± std)" in err
    for seed in (0, 1):  # the test folds of one seed partition the molecules
        tests = [json.loads((run / f"seed_{seed}_fold_{k}" / "split.json").read_text())["test"] for k in range(3)]
        flat = [r for t in tests for r in t]
        assert sorted(flat) == list(range(60))

    # predict averages the models of every fold and seed: the mean of their own predictions
    import pandas as pd

    own = [pd.read_csv(run / d / "predictions.csv").head(5) for d in dirs]
    target = [c for c in own[0].columns if c.endswith("_pred")][0]
    own[0][["smiles"]].to_csv(tmp_path / "in.csv", index=False)
    assert run_cli("predict", "--run", run, "--input", tmp_path / "in.csv", "--output", tmp_path / "p.csv")[0] == 0
    pred = pd.read_csv(tmp_path / "p.csv")
    np.testing.assert_allclose(pred[target], np.mean([o[target] for o in own], axis=0), rtol=1e-9)


def test_one_fold_is_unchanged_and_equals_its_fold_of_all(run_cli, tmp_path):
    all_run, _ = _run(run_cli, tmp_path, _config(tmp_path, "all"))
    one_run, _ = _run(run_cli, tmp_path, _config(tmp_path, 1))
    assert sorted(p.name for p in one_run.glob("seed_*")) == ["seed_0"]
    one = json.loads((one_run / "seed_0" / "metrics.json").read_text())
    same = json.loads((all_run / "seed_0_fold_1" / "metrics.json").read_text())
    assert one["metrics"] == same["metrics"] and one["split_sizes"] == same["split_sizes"]
    assert "folds" not in json.loads((one_run / "summary.json").read_text())


@pytest.mark.parametrize("fold, message", [
    ("al", "Input should be 'all'"),
    (-1, "fold must be >= 0 (or 'all')"),
    (3, "fold must be < n_folds (3)"),
])
def test_bad_fold_values(tmp_path, fold, message):
    from molgdl.run.resolve import resolve

    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve(parse_config(_config(tmp_path, fold)))
