"""``molgdl tune`` end to end with a random forest on 150 ESOL molecules (seconds): the files of the study,
the winner trained with ``molgdl run`` semantics, and every fold value recomputed with scikit-learn directly."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml

from tune_helpers import flat, result, rf_config, trials, write_config


def test_random_forest_study(run_cli, tmp_path, esol_csv):
    cfg = rf_config(tmp_path, esol_csv)
    code, out, err = run_cli("tune", write_config(tmp_path / "cfg.yaml", cfg))
    assert code == 0, err
    run = tmp_path / "runs" / "t"
    for name in ("study.db", "trials.csv", "best.yaml", "result.json", "history.png", "importances.png",
                 "tuning_set.json"):
        assert (run / "tune" / name).is_file(), name
    df = trials(run)
    assert list(df["number"]) == [0, 1, 2] and set(df["state"]) == {"COMPLETE"}
    r = result(run)
    assert r["metric"] == "rmse" and r["direction"] == "minimize" and r["trials"] == {"complete": 3, "pruned": 0, "fail": 0}
    assert r["best_value"] == df["value"].min() and r["best_trial"] == int(df.loc[df["value"].idxmin(), "number"])
    # a trial's value is the mean of its inner folds
    fold_cols = [f"user_attrs_fold_{k}_rmse" for k in range(3)]
    np.testing.assert_allclose(df[fold_cols].mean(axis=1), df["value"], rtol=1e-12)

    # best.yaml: the whole resolved config with the best params; it is what the run folder trained
    best = yaml.safe_load((run / "tune" / "best.yaml").read_text())
    row = df.loc[df["number"] == r["best_trial"]].iloc[0]
    assert best["model"]["n_estimators"] == row["params_model.n_estimators"]
    assert best["model"]["min_samples_leaf"] == row["params_model.min_samples_leaf"]
    assert "tune" not in best
    assert yaml.safe_load((run / "config.yaml").read_text()) == best
    assert run_cli("validate", run / "tune" / "best.yaml")[0] == 0

    # the winner's run: test metrics exist only for the winner, at the top of the run folder
    metrics = json.loads((run / "seed_0" / "metrics.json").read_text())
    assert r["test"]["overall"]["rmse"]["mean"] == metrics["metrics"]["test"]["overall"]["rmse"]
    assert f"winner: trial {r['best_trial']}" in flat(err)
    assert json.loads((run / "status.json").read_text())["state"] == "completed"

    _recompute_folds(run, cfg, r["best_trial"], df)


def _recompute_folds(run, cfg, number, df):
    """Inner-fold RMSEs of one trial with scikit-learn on the tuning rows and folds written by the study."""
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.impute import SimpleImputer

    from molgdl.config.load import parse_config
    from molgdl.run.data_stage import prepare_data
    from molgdl.run.resolve import resolve

    data = prepare_data(resolve(parse_config(cfg)), None)
    pos = {rec.row - 1: i for i, rec in enumerate(data.table.records)}
    tuning = json.loads((run / "tune" / "tuning_set.json").read_text())
    rows = np.array([pos[r] for r in tuning["rows"]])
    row = df.loc[df["number"] == number].iloc[0]
    X, y = data.graphs.extra, data.table.targets[:, 0]
    for k, fold in enumerate(tuning["folds"]):
        train, val, test = (np.array([pos[r] for r in fold[name]]) for name in ("train", "val", "test"))
        assert len(train) + len(val) + len(test) == len(rows)
        imputer = SimpleImputer(strategy="mean", keep_empty_features=True).fit(X[train])
        est = RandomForestRegressor(n_estimators=int(row["params_model.n_estimators"]),
                                    min_samples_leaf=int(row["params_model.min_samples_leaf"]), max_features=1 / 3,
                                    n_jobs=1, random_state=cfg["tune"]["seed"])
        est.fit(imputer.transform(X[train]), y[train])  # the early-stopping rows are not trained on
        rmse = math.sqrt(np.mean((est.predict(imputer.transform(X[test])) - y[test]) ** 2))
        assert math.isclose(rmse, row[f"user_attrs_fold_{k}_rmse"], rel_tol=1e-9)


def test_existing_run_folder_is_not_overwritten(run_cli, tmp_path, esol_csv):
    path = write_config(tmp_path / "cfg.yaml", rf_config(tmp_path, esol_csv, n_trials=1, inner_folds=2))
    assert run_cli("tune", path)[0] == 0
    code, _, err = run_cli("tune", path)
    assert code == 2
    assert "already exists (state: completed); nothing was overwritten" in flat(err)


@pytest.mark.slow
def test_parallel_workers_share_one_study(run_cli, tmp_path, esol_csv):
    """n_jobs: 2 spawns two worker processes on the SQLite study; together they run the trials (a worker
    may start one more while the other finishes the last counted one)."""
    cfg = rf_config(tmp_path, esol_csv, n_trials=4, n_jobs=2)
    code, _, err = run_cli("tune", write_config(tmp_path / "cfg.yaml", cfg))
    assert code == 0, err
    run = tmp_path / "runs" / "t"
    df = trials(run)
    assert 4 <= (df["state"] == "COMPLETE").sum() <= 5 and len(df) == (df["state"] == "COMPLETE").sum()
    assert len({(a, b) for a, b in zip(df["params_model.n_estimators"], df["params_model.min_samples_leaf"])}) > 1
    log = (run / "run.log").read_text()
    assert all(f"trial {n} complete" in log for n in df["number"])  # the workers log into the run's log
    assert result(run)["best_value"] == df["value"].min()


def test_failed_trials_are_recorded_and_replaced(run_cli, tmp_path, esol_csv):
    """A trial whose config cannot train (a random forest without descriptors) fails with its message in
    trials.csv; it does not count, so the study runs until n_trials have completed."""
    cfg = rf_config(tmp_path, esol_csv, n_trials=3, inner_folds=2)
    cfg["tune"]["space"] = {"descriptors": {"choice": [[], [{"name": "morgan", "radius": 2, "n_bits": 64}]]},
                            "model.min_samples_leaf": {"int": [1, 6]}}
    code, _, err = run_cli("tune", write_config(tmp_path / "cfg.yaml", cfg))
    assert code == 0, err
    run = tmp_path / "runs" / "t"
    df = trials(run)
    failed, done = df[df["state"] == "FAIL"], df[df["state"] == "COMPLETE"]
    assert len(done) == 3 and len(failed) >= 1
    assert set(failed["params_descriptors"]) == {"[]"} and set(done["params_descriptors"]) == {
        '[{"n_bits": 64, "name": "morgan", "radius": 2}]'}
    assert set(failed["user_attrs_error"]) == {
        "classical model 'random_forest' needs molecule descriptors, but descriptors is empty"}
    assert result(run)["trials"] == {"complete": 3, "pruned": 0, "fail": len(failed)}
    assert f"trial {failed['number'].iloc[0]} failed: classical model 'random_forest' needs" in flat(err)


def test_timeout_stops_starting_trials(run_cli, tmp_path, esol_csv):
    cfg = rf_config(tmp_path, esol_csv, n_trials=50, inner_folds=2, timeout_minutes=0.001)
    code, _, err = run_cli("tune", write_config(tmp_path / "cfg.yaml", cfg))
    assert code == 0, err
    n = len(trials(tmp_path / "runs" / "t"))
    assert 1 <= n < 50
    assert f"tune.timeout_minutes reached after {n} counted trials" in flat(err)


def test_repeated_params_are_not_trained_again(run_cli, tmp_path, esol_csv):
    """TPE repeats values of a small categorical space; a repeat takes the result of the trial it repeats
    (same params, seed and folds give the same numbers) instead of training again."""
    cfg = rf_config(tmp_path, esol_csv, n_trials=5, inner_folds=2)
    cfg["tune"]["space"] = {"model.min_samples_leaf": {"choice": [1, 3]}}
    code, _, err = run_cli("tune", write_config(tmp_path / "cfg.yaml", cfg))
    assert code == 0, err
    df = trials(tmp_path / "runs" / "t")
    assert len(df) == 5 and set(df["state"]) == {"COMPLETE"}
    originals = df[df["user_attrs_duplicate_of"].isna()]
    assert sorted(originals["params_model.min_samples_leaf"]) == [1, 3]  # each value trained once
    for _, row in df[df["user_attrs_duplicate_of"].notna()].iterrows():
        first = df.loc[df["number"] == int(row["user_attrs_duplicate_of"])].iloc[0]
        assert first["params_model.min_samples_leaf"] == row["params_model.min_samples_leaf"]
        assert first["value"] == row["value"] and first["user_attrs_fold_0_rmse"] == row["user_attrs_fold_0_rmse"]
