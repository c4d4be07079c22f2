"""result.json's per-model ranking: the best completed trial of each model, best first."""

from __future__ import annotations

import optuna
import pytest


def _study(direction, rows):
    study = optuna.create_study(direction=direction)
    for model, value, state in rows:
        trial = study.ask()
        trial.set_user_attr("model", model)
        if state == "complete":
            study.tell(trial, value)
        else:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED if state == "pruned" else optuna.trial.TrialState.FAIL)
    return study


@pytest.mark.parametrize("direction, expected", [
    ("minimize", [("svm", 0.5, 3, 1), ("dmpnn", 0.7, 1, 2), ("random_forest", 0.8, 0, 1)]),
    ("maximize", [("dmpnn", 0.9, 2, 2), ("random_forest", 0.8, 0, 1), ("svm", 0.5, 3, 1)]),
])
def test_model_ranking(direction, expected):
    from molgdl.tune.report import model_ranking

    study = _study(direction, [("random_forest", 0.8, "complete"), ("dmpnn", 0.7, "complete"),
                               ("dmpnn", 0.9, "complete"), ("svm", 0.5, "complete"), ("svm", 0.1, "pruned"),
                               ("knn", 0.0, "fail")])
    got = [(r["model"], r["best_value"], r["best_trial"], r["completed_trials"]) for r in model_ranking(study, direction)]
    assert got == expected
