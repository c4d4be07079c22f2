"""End to end at tiny size: ``molgdl run`` with an ``uncertainty:`` section writes calibrated uncertainties,
intervals, metrics and plots; ``molgdl predict`` gives the same columns from the stored calibration; configs that
cannot work are refused with a message that says how to fix them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml


def _config(tmp: Path, name: str, estimator: dict, calibrator: str, **over) -> Path:
    cfg = {
        "run": {"name": name, "output_dir": str(tmp / "runs"), "seeds": [0]},
        "data": {"source": over.pop("source", {"name": "esol", "limit": 120}), "cache_dir": str(tmp / "cache"),
                 "progress": False},
        "model": {"name": "dmpnn", "hidden_dim": 16, "depth": 2},
        "head": {"hidden_dim": 16, "dropout": over.pop("dropout", 0.0)},
        "trainer": {"max_epochs": over.pop("epochs", 2), "batch_size": 16, "progress_bar": False,
                    "accelerator": "cpu", **over.pop("trainer", {})},
        "uncertainty": {"estimator": estimator, "calibrator": {"name": calibrator}, "coverage": 0.9},
        **over,
    }
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from molgdl.cli import main

    tmp = tmp_path_factory.mktemp("unc")
    configs = {
        "ensemble": _config(tmp, "ensemble", {"name": "ensemble", "members": 2, "bootstrap": True, "head": "mve"},
                            "conformal"),
        "mve": _config(tmp, "mve", {"name": "mve"}, "zscaling"),
        "cvplus": _config(tmp, "cvplus", {"name": "ensemble", "members": 3, "cv_folds": True}, "cv_plus"),
        "langevin": _config(tmp, "langevin", {"name": "langevin", "snapshots": 3}, "isotonic", epochs=6,
                            optimizer={"name": "sgld", "lr": 0.01, "temperature": 1e-4},
                            trainer={"early_stopping": None}),
        "dropout": _config(tmp, "dropout", {"name": "mc_dropout", "passes": 4}, "platt", dropout=0.2,
                           source={"name": "bbbp", "limit": 80}),
    }
    for path in configs.values():
        assert main(["run", str(path)]) == 0
    return tmp


def test_regression_runs_write_calibrated_intervals_metrics_and_plots(runs):
    for name in ("ensemble", "mve", "langevin", "cvplus"):
        seed = runs / "runs" / name / "seed_0"
        pred = pd.read_csv(seed / "predictions.csv")
        target = [c[:-4] for c in pred.columns if c.endswith("_unc")][0]
        assert np.isfinite(pred[[f"{target}_unc", f"{target}_lower", f"{target}_upper"]].to_numpy()).all()
        assert (pred[f"{target}_lower"] <= pred[f"{target}_pred"]).all()
        assert (pred[f"{target}_pred"] <= pred[f"{target}_upper"]).all()
        test = json.loads((seed / "metrics.json").read_text())["metrics"]["test"]["overall"]
        assert {"unc_nll", "unc_miscal_area", "unc_ence", "unc_spearman", "unc_coverage", "unc_width"} <= set(test)
        # the metric is the fraction of test molecules inside their interval
        t = pred[pred["split"] == "test"]
        inside = (t[target] >= t[f"{target}_lower"]) & (t[target] <= t[f"{target}_upper"])
        assert test["unc_coverage"] == pytest.approx(inside.mean())
        assert (seed / "reliability.png").stat().st_size > 0 and (seed / "error_vs_uncertainty.png").exists()
        assert json.loads((seed / "calibration.json").read_text())["task"] == "regression"
    assert len(list((runs / "runs" / "langevin" / "seed_0" / "snapshots").glob("epoch_*.pt"))) == 3
    assert len(list((runs / "runs" / "ensemble" / "seed_0" / "members").glob("member_*/model.pt"))) == 2


def test_conformal_interval_is_centred_and_its_uncertainty_is_the_gaussian_equivalent_std(runs):
    from scipy import stats

    pred = pd.read_csv(runs / "runs" / "ensemble" / "seed_0" / "predictions.csv")
    target = [c[:-4] for c in pred.columns if c.endswith("_unc")][0]
    lo, hi, mu = pred[f"{target}_lower"], pred[f"{target}_upper"], pred[f"{target}_pred"]
    assert np.allclose((lo + hi) / 2, mu, atol=1e-6)
    assert np.allclose((hi - lo) / 2, stats.norm.ppf(0.95) * pred[f"{target}_unc"], rtol=1e-6)


@pytest.mark.parametrize("name", ["ensemble", "mve", "cvplus"])
def test_predict_reproduces_the_runs_columns_and_narrows_with_coverage(runs, tmp_path, name):
    from molgdl.cli import main

    run = runs / "runs" / name
    pred = pd.read_csv(run / "seed_0" / "predictions.csv").head(6)
    inp = tmp_path / "in.csv"
    pd.DataFrame({"smiles": pred["smiles"]}).to_csv(inp, index=False)
    for coverage in (None, 0.5):
        out = tmp_path / f"out_{coverage}.csv"
        extra = [] if coverage is None else ["--coverage", str(coverage)]
        assert main(["predict", "--run", str(run), "--input", str(inp), "--output", str(out), *extra]) == 0
        got = pd.read_csv(out)
        target = [c[:-4] for c in got.columns if c.endswith("_unc")][0]
        cols = [f"{target}_{k}" for k in ("pred", "lower", "upper")]
        if coverage is None:
            assert np.allclose(got[cols].to_numpy(), pred[cols].to_numpy(), rtol=1e-5, atol=1e-5)
        else:
            narrow = got[f"{target}_upper"] - got[f"{target}_lower"]
            assert (narrow < pred[f"{target}_upper"] - pred[f"{target}_lower"]).all()


def test_classification_with_mc_dropout_gives_calibrated_probabilities_and_their_spread(runs):
    seed = runs / "runs" / "dropout" / "seed_0"
    pred = pd.read_csv(seed / "predictions.csv")
    target = [c[:-4] for c in pred.columns if c.endswith("_unc")][0]
    pred = pred.dropna(subset=[f"{target}_pred"])  # molecules that could not be featurized
    assert pred[f"{target}_pred"].between(0, 1).all() and (pred[f"{target}_unc"] > 0).all()
    assert f"{target}_lower" not in pred.columns
    test = json.loads((seed / "metrics.json").read_text())["metrics"]["test"]["overall"]
    assert {"unc_nll", "unc_ece", "unc_spearman"} <= set(test)
    state = json.loads((seed / "calibration.json").read_text())["targets"][target]
    assert set(state) == {"coef", "intercept"}
    from molgdl.predict import predict_molecules

    out = predict_molecules(seed.parent, pred["smiles"].head(4).tolist())
    assert {f"{target}_pred", f"{target}_unc"} <= set(out.columns) and f"{target}_lower" not in out.columns
    # Platt on top of the dropout mean: a monotone map of probabilities into (0, 1)
    assert out[f"{target}_pred"].between(0, 1).all() and (out[f"{target}_unc"] >= 0).all()


@pytest.mark.parametrize("estimator,over,message", [
    ({"name": "mc_dropout"}, {}, "head.dropout is 0"),
    ({"name": "ensemble", "members": 2}, {"calibrator": "cv_plus"}, "needs out-of-fold residuals"),
    ({"name": "langevin"}, {"trainer": {"early_stopping": None}}, "Langevin optimizer"),
    ({"name": "langevin"}, {"optimizer": {"name": "sgld"}}, "early stopping"),
    ({"name": "mve"}, {"source": {"name": "bbbp", "limit": 40}}, "for regression data, but the targets are "
                                                                 "classification"),
])
def test_configs_that_cannot_work_are_refused_with_a_fix(run_cli, tmp_path, estimator, over, message):
    path = _config(tmp_path, "bad", estimator, over.pop("calibrator", "none"), **over)
    code, out, err = run_cli("run", path)
    assert code != 0 and message in " ".join((out + err).split()) and "fix:" in out + err


def test_a_coverage_that_is_not_a_probability_is_refused(runs, run_cli, tmp_path):
    inp = tmp_path / "in.csv"
    pd.DataFrame({"smiles": ["CCO"]}).to_csv(inp, index=False)
    code, out, err = run_cli("predict", "--run", runs / "runs" / "mve", "--input", inp, "--output",
                             tmp_path / "o.csv", "--coverage", "1.5")
    assert code != 0 and "--coverage 1.5 is not a probability" in " ".join((out + err).split())


def test_resumed_ensemble_counts_the_training_time_of_members_trained_before(tmp_path):
    """A deep ensemble stopped after its first member and resumed: member 0 is skipped, and the replicate's
    train_seconds still include the time it took (recorded in its folder), not only the resumed attempt's."""
    from molgdl.cli import main

    path = _config(tmp_path, "ens", {"name": "ensemble", "members": 2}, "zscaling")
    assert main(["run", str(path)]) == 0
    seed_dir = tmp_path / "runs" / "ens" / "seed_0"
    first = json.loads((seed_dir / "members" / "member_0" / "train_seconds.json").read_text())["seconds"]
    assert first > 0
    # as after a kill during member 1: its folder and the replicate's metrics are not there yet
    import shutil

    shutil.rmtree(seed_dir / "members" / "member_1")
    (seed_dir / "metrics.json").unlink()
    status = tmp_path / "runs" / "ens" / "status.json"
    status.write_text(json.dumps({**json.loads(status.read_text()), "state": "interrupted"}))
    assert main(["run", str(path), "--resume"]) == 0
    result = json.loads((seed_dir / "metrics.json").read_text())
    assert result["seconds_before_resume"] == pytest.approx(first)
    second = json.loads((seed_dir / "members" / "member_1" / "train_seconds.json").read_text())["seconds"]
    assert result["train_seconds"] >= first + second
