"""``molgdl tune --resume`` continues a killed study: completed trials are kept (not re-run), a trial left
RUNNING by the kill is marked failed, does not count, and its parameters run again."""

from __future__ import annotations

import json

import pytest

from tune_helpers import flat, result, rf_config, trials, write_config


def _study(run):
    import optuna

    from molgdl.tune.study import STUDY_NAME, storage

    return optuna.load_study(study_name=STUDY_NAME, storage=storage(run / "tune" / "study.db"))


def _kill_mid_trial(run):
    """What a killed process leaves: a trial with sampled params, still RUNNING, never told."""
    from optuna.distributions import IntDistribution

    trial = _study(run).ask({"model.min_samples_leaf": IntDistribution(1, 6),
                             "model.n_estimators": IntDistribution(5, 40)})
    return trial.number, dict(trial.params)


def test_resume_a_killed_study_to_more_trials(run_cli, tmp_path, esol_csv):
    path = write_config(tmp_path / "cfg.yaml", rf_config(tmp_path, esol_csv, n_trials=2))
    assert run_cli("tune", path)[0] == 0
    run = tmp_path / "runs" / "t"
    before = _study(run).trials
    assert [t.state.name for t in before] == ["COMPLETE", "COMPLETE"]
    killed, killed_params = _kill_mid_trial(run)
    assert killed == 2

    code, _, err = run_cli("tune", path, "--resume", "--set", "tune.n_trials=4")
    assert code == 0, err
    assert "trial 2 was running when the study was killed: marked failed, its parameters run again" in flat(err)
    after = _study(run).trials
    states = [t.state.name for t in after]
    assert states == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE", "COMPLETE"]  # 4 counted, the killed one not
    for old, new in zip(before, after[:2]):  # completed trials were not re-run
        assert (new.params, new.value, new.datetime_start, new.datetime_complete) == (
            old.params, old.value, old.datetime_start, old.datetime_complete)
    rerun = [t for t in after if t.user_attrs.get("rerun_of") == killed]
    assert len(rerun) == 1 and rerun[0].params == killed_params and rerun[0].state.name == "COMPLETE"
    assert after[killed].user_attrs["error"] == "killed while running; its parameters run again"

    r = result(run)
    assert r["trials"] == {"complete": 4, "pruned": 0, "fail": 1} and r["reruns_of_killed_trials"] == [killed]
    df = trials(run)
    assert len(df) == 5 and r["best_value"] == df.loc[df["state"] == "COMPLETE", "value"].min()
    # the run folder holds the winner of all four trials
    best = json.loads((run / "tune" / "winner.json").read_text())["best_trial"]
    assert best == r["best_trial"] and (run / "seed_0" / "metrics.json").exists()

    assert json.loads((run / "status.json").read_text())["state"] == "completed"
    # resuming a finished study runs no new trial
    assert run_cli("tune", path, "--resume", "--set", "tune.n_trials=4")[0] == 0
    assert len(_study(run).trials) == 5


@pytest.mark.parametrize("change, message", [
    (["--set", "tune.space={model.n_estimators: {int: [5, 20]}}"],
     "tune.space changed since the study in"),
    (["--set", "tune.metric=mae"], "tune.metric: the study in"),
])
def test_resume_refuses_another_space_or_metric(run_cli, tmp_path, esol_csv, change, message):
    path = write_config(tmp_path / "cfg.yaml", rf_config(tmp_path, esol_csv, n_trials=1, inner_folds=2))
    assert run_cli("tune", path)[0] == 0
    code, _, err = run_cli("tune", path, "--resume", *change)
    assert code == 2
    assert message in flat(err)
    assert len(_study(tmp_path / "runs" / "t").trials) == 1
