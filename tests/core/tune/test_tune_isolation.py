"""The test split never reaches a trial: the study sees only the outer training molecules.

Proof by perturbation: every test-set target is replaced by garbage (1e6); the search (every trial's params
and fold values, the chosen trial) is identical, while the winner's test RMSE does change, so the garbage did
reach the final evaluation. And by inspection: no trial's molecules include a test or validation row."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tune_helpers import esol_rows, result, rf_config, trials, write_config, write_csv


def _tune(run_cli, tmp_path, csv, name, **tune):
    cfg = rf_config(tmp_path, csv, name, **tune)
    code, _, err = run_cli("tune", write_config(tmp_path / f"{name}.yaml", cfg))
    assert code == 0, err
    return tmp_path / "runs" / name


def test_garbage_test_targets_change_nothing_in_the_search(run_cli, tmp_path):
    from molgdl.data.splits import RandomSplitter

    df = esol_rows(150)
    clean = write_csv(tmp_path / "clean.csv", df)
    # the outer split of the config (random 80/10/10, seed 0) depends only on the number of molecules
    test = RandomSplitter([0.8, 0.1, 0.1]).split(type("T", (), {"__len__": lambda self: 150})(), 0)["test"]
    garbage = df.copy()
    garbage.loc[test, "y"] = 1.0e6
    dirty = write_csv(tmp_path / "garbage.csv", garbage)

    a = _tune(run_cli, tmp_path, clean, "clean")
    b = _tune(run_cli, tmp_path, dirty, "garbage")

    # the final run used the same test molecules that were made garbage
    split = json.loads((a / "seed_0" / "split.json").read_text())
    assert sorted(split["test"]) == sorted(int(i) for i in test)

    ta, tb = trials(a), trials(b)
    assert ta.drop(columns=["duration"]).equals(tb.drop(columns=["duration"]))
    ra, rb = result(a), result(b)
    for key in ("best_trial", "best_value", "best_params", "best_fold_values", "models"):
        assert ra[key] == rb[key], key
    # ...and the garbage is visible where it should be: in the winner's test metrics only
    assert rb["test"]["overall"]["rmse"]["mean"] > 1e5 > ra["test"]["overall"]["rmse"]["mean"]

    # no trial saw a test or validation molecule
    tuning = json.loads((a / "tune" / "tuning_set.json").read_text())
    assert set(tuning["rows"]) == set(split["train"])
    assert not set(tuning["rows"]) & (set(split["test"]) | set(split["val"]))
    scored = [r for fold in tuning["folds"] for r in fold["test"]]
    assert sorted(scored) == sorted(tuning["rows"])  # every tuning molecule scored in exactly one inner fold
    for fold in tuning["folds"]:
        assert sorted(fold["train"] + fold["val"] + fold["test"]) == sorted(tuning["rows"])


def test_trial_data_holds_no_test_molecule(tmp_path, esol_csv, monkeypatch):
    """Every table and graph set a trial trains on is recorded: none holds an outer test or val molecule."""
    from molgdl.config.load import parse_config
    from molgdl.run import train_stage
    from molgdl.run.resolve import resolve
    from molgdl.tune.pipeline import tune_pipeline

    seen = []
    original = train_stage.train_classical

    def spy(res, data, split, seed, *rest):
        seen.append((list(data.table.smiles), data.graphs.graph_owner.copy(), {k: v.copy() for k, v in split.items()}))
        return original(res, data, split, seed, *rest)

    from molgdl.run import pipeline

    monkeypatch.setattr(train_stage, "train_classical", spy)  # what the trials call
    monkeypatch.setattr(pipeline, "train_classical", spy)  # what the winner's run calls
    monkeypatch.setenv("MOLGDL_CACHE_DIR", str(tmp_path / "cache"))
    cfg = rf_config(tmp_path, esol_csv, n_trials=2, inner_folds=2)
    out = tune_pipeline(resolve(parse_config(cfg)))
    split = json.loads((out.run_dir / "seed_0" / "split.json").read_text())
    smiles = [s.strip() for s in esol_rows(150)["smiles"]]
    held_out = {smiles[i] for i in split["test"] + split["val"]}
    final = [c for c in seen if len(c[0]) == 150]
    assert len(final) == 1  # the winner's run: the whole table, tested on the test split
    trial_calls = [c for c in seen if len(c[0]) != 150]
    assert len(trial_calls) == 2 * 2  # 2 trials x 2 inner folds
    for table_smiles, owner, fold in trial_calls:
        assert len(table_smiles) == len(split["train"])
        assert set(table_smiles) == {smiles[i] for i in split["train"]}
        assert not set(table_smiles) & held_out
        assert owner.max() < len(table_smiles)
        assert sorted(np.concatenate(list(fold.values()))) == list(range(len(table_smiles)))


@pytest.mark.parametrize("seeds, split, message", [
    ([0, 1], {"name": "random", "sizes": [0.8, 0.1, 0.1]},
     "tune: run.seeds [0, 1] give different outer splits with split 'random'"),
    ([0], {"name": "kfold", "n_folds": 3, "fold": "all"},
     "tune: split.fold is 'all', but a study tunes on one outer split"),
])
def test_refused_when_a_final_replicate_would_test_on_tuning_molecules(run_cli, tmp_path, esol_csv, seeds, split, message):
    cfg = rf_config(tmp_path, esol_csv)
    cfg["run"]["seeds"], cfg["split"] = seeds, split
    code, _, err = run_cli("tune", write_config(tmp_path / "cfg.yaml", cfg))
    assert code == 2
    assert message in " ".join(err.split())
    assert not (tmp_path / "runs" / "t" / "tune" / "study.db").exists()
