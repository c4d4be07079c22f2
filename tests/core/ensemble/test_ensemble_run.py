"""``molgdl run`` on an ensemble config, end to end on 150 ESOL molecules: the files of the run, the weights
recomputed from the written out-of-fold predictions with scipy's NNLS, the ensemble's predictions equal to the
weighted sum of its members' predictions.csv, metrics recomputed with numpy, and ``molgdl predict`` on the run
equal to its predictions.csv (``embed`` refused with a message)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import nnls

from ensemble_helpers import GNN_MEMBER, ensemble_config, read_json, write_config


def _run(run_cli, tmp_path, cfg, *flags):
    code, out, err = run_cli("run", write_config(tmp_path / f"{cfg['run']['name']}.yaml", cfg), *flags)
    return code, out, err, tmp_path / "runs" / cfg["run"]["name"]


def test_classical_ensemble_run(run_cli, tmp_path, esol_csv):
    code, _, err, run = _run(run_cli, tmp_path, ensemble_config(tmp_path, esol_csv))
    assert code == 0, err
    for name in ("config.yaml", "versions.json", "summary.json", "ensemble.json", "why.txt",
                 "seed_0/metrics.json", "seed_0/predictions.csv", "seed_0/split.json",
                 "seed_0/oof_predictions.csv"):
        assert (run / name).exists(), name
    info = read_json(run / "ensemble.json")
    rep = info["replicates"]["seed_0"]
    split = read_json(run / "seed_0" / "split.json")

    # the out-of-fold table holds exactly the outer training molecules; the weights are NNLS on it, normalised
    oof = pd.read_csv(run / "seed_0" / "oof_predictions.csv")
    assert sorted(oof["row"] - 1) == sorted(split["train"])
    members = ["svm", "knn", "ridge"]
    w, _ = nnls(oof[[f"y_pred_{m}" for m in members]].to_numpy(), oof["y"].to_numpy())
    w = w / w.sum()
    np.testing.assert_allclose([rep["weights"]["y"][m] for m in members], w, atol=1e-9)
    assert sum(rep["weights"]["y"].values()) == pytest.approx(1.0)
    for m in members:  # each member's out-of-fold RMSE, recomputed
        rmse = math.sqrt(np.mean((oof[f"y_pred_{m}"] - oof["y"]) ** 2))
        assert rep["oof"][m]["overall"]["rmse"] == pytest.approx(rmse)
    stack = math.sqrt(np.mean((oof["y_pred"] - oof["y"]) ** 2))
    assert rep["stack_oof"]["overall"]["rmse"] == pytest.approx(stack)

    # members trained like runs of their own; the ensemble is their weighted sum
    pred = pd.read_csv(run / "seed_0" / "predictions.csv")
    expected = np.zeros(len(pred))
    for m in rep["trained"]:
        member = pd.read_csv(run / "members" / m / "seed_0" / "predictions.csv")
        assert (run / "members" / m / "seed_0" / "model.pkl").exists()
        assert member["smiles"].equals(pred["smiles"])
        expected += rep["weights"]["y"][m] * member["y_pred"].to_numpy()
    for m in set(members) - set(rep["trained"]):
        assert rep["weights"]["y"][m] == 0.0 and not (run / "members" / m / "seed_0" / "model.pkl").exists()
    np.testing.assert_allclose(pred["y_pred"], expected, rtol=0, atol=1e-12)
    test = pred[pred["split"] == "test"]
    metrics = read_json(run / "seed_0" / "metrics.json")["metrics"]["test"]["overall"]
    assert metrics["rmse"] == pytest.approx(math.sqrt(np.mean((test["y_pred"] - test["y"]) ** 2)))
    summary = read_json(run / "summary.json")
    assert summary["test"]["overall"]["rmse"]["mean"] == pytest.approx(metrics["rmse"])
    why = (run / "why.txt").read_text()
    assert f"stack's out-of-fold rmse: {stack:.4f}" in why
    assert f"test rmse: ensemble {metrics['rmse']:.4f}" in why

    # predict on the run reproduces predictions.csv; embed is refused with what to do instead
    code, _, err = run_cli("predict", "--run", run, "--input", esol_csv, "--output", tmp_path / "p.csv")
    assert code == 0, err
    np.testing.assert_allclose(pd.read_csv(tmp_path / "p.csv")["y_pred"], pred["y_pred"], rtol=0, atol=1e-9)
    code, _, err = run_cli("embed", "--run", run, "--input", esol_csv, "--output", tmp_path / "e.csv")
    assert code == 2 and not (tmp_path / "e.csv").exists()
    flat = " ".join(err.split())
    assert "is an ensemble run: its members learn representations of different kinds and sizes" in flat
    assert "fix: embed one member's run, e.g. `molgdl embed" in flat


def test_test_targets_never_influence_the_weights(run_cli, tmp_path, esol_csv):
    """Garbage (1e6) in every outer test target: weights and out-of-fold scores are identical, the test RMSE
    is not (the garbage did reach the final evaluation)."""
    from molgdl.data.splits import RandomSplitter

    df = pd.read_csv(esol_csv)
    test = RandomSplitter([0.8, 0.1, 0.1]).split(type("T", (), {"__len__": lambda self: 150})(), 0)["test"]
    df.loc[test, "y"] = 1.0e6
    dirty = tmp_path / "garbage.csv"
    df.to_csv(dirty, index=False)
    code, _, err, clean_run = _run(run_cli, tmp_path, ensemble_config(tmp_path, esol_csv, name="clean"))
    assert code == 0, err
    code, _, err, dirty_run = _run(run_cli, tmp_path, ensemble_config(tmp_path, dirty, name="dirty"))
    assert code == 0, err
    a = read_json(clean_run / "ensemble.json")["replicates"]["seed_0"]
    b = read_json(dirty_run / "ensemble.json")["replicates"]["seed_0"]
    assert sorted(read_json(clean_run / "seed_0" / "split.json")["test"]) == sorted(int(i) for i in test)
    for key in ("weights", "oof", "stack_oof", "trained", "n_inner_molecules"):
        assert a[key] == b[key], key
    assert b["test"]["overall"]["rmse"] > 1e5 > a["test"]["overall"]["rmse"]
    oof = pd.read_csv(dirty_run / "seed_0" / "oof_predictions.csv")
    assert not set(oof["row"] - 1) & set(int(i) for i in test)


def test_neural_member_and_predict(run_cli, tmp_path, esol_csv):
    """A tiny D-MPNN (2 epochs) with an SVM, equal weights: both trained; predict equals predictions.csv."""
    members = {"svm": {}, "gnn": GNN_MEMBER}
    cfg = ensemble_config(tmp_path, esol_csv, name="nn", members=members, weights="mean", inner_folds=2)
    code, _, err, run = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    rep = read_json(run / "ensemble.json")["replicates"]["seed_0"]
    assert rep["weights"]["y"] == {"svm": 0.5, "gnn": 0.5} and rep["trained"] == ["svm", "gnn"]
    assert (run / "members" / "gnn" / "seed_0" / "model.pt").exists()
    assert not list((run / "members" / "gnn" / "seed_0" / "inner").glob("fold_*/checkpoints"))
    oof = pd.read_csv(run / "members" / "gnn" / "seed_0" / "oof_predictions.csv")
    assert oof["y_pred"].notna().all() and sorted(oof["fold"].unique()) == [0, 1]
    pred = pd.read_csv(run / "seed_0" / "predictions.csv")
    code, _, err = run_cli("predict", "--run", run, "--input", esol_csv, "--output", tmp_path / "p.csv")
    assert code == 0, err
    np.testing.assert_allclose(pd.read_csv(tmp_path / "p.csv")["y_pred"], pred["y_pred"], rtol=0, atol=1e-5)


def test_equal_weights_without_inner_cv(run_cli, tmp_path, esol_csv):
    """``inner_folds: 0``: no inner CV at all (no out-of-fold files), every member trained once, and the
    ensemble's predictions are the plain mean of the members' predictions.csv."""
    members = {"svm": {}, "ridge": {"model": {"name": "linear"}}}
    cfg = ensemble_config(tmp_path, esol_csv, name="eq", members=members, weights="mean", inner_folds=0)
    code, _, err, run = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    assert not list(run.rglob("oof_predictions.csv")) and not list(run.rglob("inner"))
    rep = read_json(run / "ensemble.json")["replicates"]["seed_0"]
    assert rep["weights"]["y"] == {"svm": 0.5, "ridge": 0.5} and rep["trained"] == ["svm", "ridge"]
    preds = {m: pd.read_csv(run / "members" / m / "seed_0" / "predictions.csv")["y_pred"] for m in members}
    ours = pd.read_csv(run / "seed_0" / "predictions.csv")["y_pred"]
    np.testing.assert_allclose(ours, (preds["svm"] + preds["ridge"]) / 2, rtol=0, atol=1e-9)
    why = (run / "why.txt").read_text()
    assert "no inner cross-validation (inner_folds: 0)" in why and "out-of-fold" not in why


def test_classical_members_fitted_on_train_and_val(run_cli, tmp_path, esol_csv):
    """``classical_fit: train_and_val``: a classical member's outer model also sees the outer validation
    molecules (its split.json lists them under train); the ensemble's split and the inner CV are unchanged.
    Switched on a finished run with --resume: the members are refitted, their inner CV is reused."""
    members = {"svm": {}, "knn": {"model": {"name": "knn"}}}
    cfg = ensemble_config(tmp_path, esol_csv, name="tv", members=members, weights="mean")
    code, _, err, run = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    outer = read_json(run / "seed_0" / "split.json")
    assert read_json(run / "members" / "svm" / "seed_0" / "split.json")["train"] == sorted(outer["train"])
    kept = run / "members" / "svm" / "seed_0" / "oof_predictions.csv"
    before = kept.stat().st_mtime_ns
    cfg["ensemble"]["classical_fit"] = "train_and_val"
    code, _, err, run = _run(run_cli, tmp_path, cfg, "--resume")
    assert code == 0, err
    assert kept.stat().st_mtime_ns == before
    for m in members:
        fitted = read_json(run / "members" / m / "seed_0" / "split.json")
        assert fitted["train"] == sorted(outer["train"] + outer["val"]) and fitted["val"] == []
        assert fitted["test"] == outer["test"]
        metrics = read_json(run / "members" / m / "seed_0" / "metrics.json")
        assert metrics["split_sizes"] == {"train": 135, "val": 0, "test": 15}
    oof = pd.read_csv(run / "seed_0" / "oof_predictions.csv")
    assert sorted(oof["row"] - 1) == sorted(outer["train"])  # the inner CV still sees the outer train only
    # the saved k-NN holds the targets of exactly the outer train and validation molecules
    from molgdl.run.classical import load_classical

    knn = load_classical(run / "members" / "knn" / "seed_0" / "model.pkl", trusted=("molgdl_models",))
    y = pd.read_csv(esol_csv)["y"].to_numpy()
    np.testing.assert_array_equal(np.sort(knn.estimators[0].y_), np.sort(y[outer["train"] + outer["val"]]))
    labels = pd.read_csv(run / "members" / "knn" / "seed_0" / "predictions.csv")
    assert labels[labels["row"].isin([r + 1 for r in outer["val"]])]["split"].eq("train").all()
    pred = pd.read_csv(run / "seed_0" / "predictions.csv")
    code, _, err = run_cli("predict", "--run", run, "--input", esol_csv, "--output", tmp_path / "p.csv")
    assert code == 0, err
    np.testing.assert_allclose(pd.read_csv(tmp_path / "p.csv")["y_pred"], pred["y_pred"], rtol=0, atol=1e-9)


def test_a_failing_member_is_named_and_resume_keeps_the_rest(run_cli, tmp_path, esol_csv):
    """A MinMax SVM on RDKit descriptors (negative values) fails in its inner CV: the error names the member,
    the other member's finished inner CV is kept, and --resume with the member fixed reuses it."""
    bad = {"descriptors": [{"name": "rdkit2d"}]}
    cfg = ensemble_config(tmp_path, esol_csv, name="fail", members={"svm": {}, "bad": bad})
    code, _, err, run = _run(run_cli, tmp_path, cfg)
    assert code == 2
    flat = " ".join(err.split())
    assert ("error: ensemble member 'bad' (inner CV): model 'svm' as configured needs non-negative "
            "descriptors") in flat
    assert "rerun with --resume: what the other members (and this one) finished is kept and reused" in flat
    assert read_json(run / "status.json")["state"] == "failed"
    kept = run / "members" / "svm" / "seed_0" / "oof_predictions.csv"
    before = kept.read_bytes(), kept.stat().st_mtime_ns
    cfg["ensemble"]["members"]["bad"] = {**bad, "model": {"kernel": "tanimoto"}}
    code, _, err, run = _run(run_cli, tmp_path, cfg, "--resume")
    assert code == 0, err
    assert (kept.read_bytes(), kept.stat().st_mtime_ns) == before  # reused, not recomputed
    assert read_json(run / "status.json")["state"] == "completed"
    assert "bad" in read_json(run / "ensemble.json")["members"]


def test_predict_on_an_unfinished_ensemble_run_says_so(run_cli, tmp_path, esol_csv):
    bad = {"descriptors": [{"name": "rdkit2d"}]}
    cfg = ensemble_config(tmp_path, esol_csv, name="fail", members={"svm": {}, "bad": bad})
    code, _, _, run = _run(run_cli, tmp_path, cfg)
    assert code == 2
    code, _, err = run_cli("predict", "--run", run, "--input", esol_csv, "--output", tmp_path / "p.csv")
    assert code == 2
    assert "is an ensemble run that did not finish (state: failed)" in " ".join(err.split())


def test_classification_ensemble_stacks_probabilities(run_cli, tmp_path, esol_csv):
    """Classification: members' out-of-fold probabilities are stacked the same way (NNLS on 0/1 labels,
    recomputed here), the ensemble's predictions stay probabilities, and the reported metric is ROC AUC."""
    df = pd.read_csv(esol_csv)
    df["y"] = (df["y"] > -2.5).astype(int)
    csv = tmp_path / "labels.csv"
    df.to_csv(csv, index=False)
    cfg = ensemble_config(tmp_path, csv, name="cls", members={"svm": {}, "knn": {"model": {"name": "knn"}}})
    cfg["data"]["source"]["task"] = "classification"
    code, _, err, run = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    info = read_json(run / "ensemble.json")
    assert info["metric"] == "roc_auc"
    rep = info["replicates"]["seed_0"]
    oof = pd.read_csv(run / "seed_0" / "oof_predictions.csv")
    w, _ = nnls(oof[["y_pred_svm", "y_pred_knn"]].to_numpy(), oof["y"].to_numpy().astype(float))
    got = [rep["weights"]["y"]["svm"], rep["weights"]["y"]["knn"]]
    np.testing.assert_allclose(got, w / w.sum(), atol=1e-9)
    pred = pd.read_csv(run / "seed_0" / "predictions.csv")["y_pred"]
    assert pred.between(0.0, 1.0).all()
    assert "roc_auc" in rep["oof"]["svm"]["overall"] and "roc_auc" in rep["test"]["overall"]


def test_neural_members_refitted_on_train_and_val(run_cli, tmp_path, esol_csv):
    """``neural_fit: train_and_val``: the D-MPNN's run on the outer split (epoch_choice/) picks the epoch of its
    lowest validation loss; the final member is trained from the same seed on train + validation for exactly that
    many epochs, with no validation; the classical member keeps ``classical_fit: train``. predict equals
    predictions.csv; switching back with --resume trains the member again as a run of its own."""
    gnn = {**GNN_MEMBER, "trainer": {**GNN_MEMBER["trainer"], "max_epochs": 5}}
    cfg = ensemble_config(tmp_path, esol_csv, name="refit", members={"svm": {}, "gnn": gnn}, weights="mean",
                          inner_folds=0, neural_fit="train_and_val")
    code, _, err, run = _run(run_cli, tmp_path, cfg)
    assert code == 0, err
    outer = read_json(run / "seed_0" / "split.json")
    member = run / "members" / "gnn" / "seed_0"
    choice = read_json(member / "epoch_choice" / "metrics.json")
    history = pd.read_csv(member / "epoch_choice" / "logs" / "metrics.csv").dropna(subset=["val/loss"])
    best = int(history.loc[history["val/loss"].idxmin(), "epoch"]) + 1
    assert choice["best_epoch"] == best
    refit = read_json(member / "metrics.json")
    assert refit["epochs"] == best and "neural_fit: train_and_val" in refit["fitted_on"]
    assert refit["split_sizes"] == {"train": 135, "val": 0, "test": 15}
    assert read_json(member / "split.json")["train"] == sorted(outer["train"] + outer["val"])
    refit_history = pd.read_csv(member / "logs" / "metrics.csv")
    assert refit_history["epoch"].nunique() == best and "val/loss" not in refit_history.dropna(axis=1).columns
    assert read_json(run / "members" / "svm" / "seed_0" / "split.json")["train"] == sorted(outer["train"])
    assert "neural members on the outer training and validation molecules" in (run / "why.txt").read_text()
    pred = pd.read_csv(run / "seed_0" / "predictions.csv")
    members = {m: pd.read_csv(run / "members" / m / "seed_0" / "predictions.csv")["y_pred"] for m in ("svm", "gnn")}
    np.testing.assert_allclose(pred["y_pred"], (members["svm"] + members["gnn"]) / 2, rtol=0, atol=1e-9)
    code, _, err = run_cli("predict", "--run", run, "--input", esol_csv, "--output", tmp_path / "p.csv")
    assert code == 0, err
    np.testing.assert_allclose(pd.read_csv(tmp_path / "p.csv")["y_pred"], pred["y_pred"], rtol=0, atol=1e-5)

    cfg["ensemble"]["neural_fit"] = "train"
    code, _, err, run = _run(run_cli, tmp_path, cfg, "--resume")
    assert code == 0, err
    again = read_json(member / "metrics.json")
    assert "fitted_on" not in again and again["split_sizes"] == {"train": 120, "val": 15, "test": 15}
    assert read_json(member / "split.json")["train"] == sorted(outer["train"])
