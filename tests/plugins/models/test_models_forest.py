"""random_forest factory: estimator type, parameters, seeding, errors."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

from molgdl.errors import ConfigError
from molgdl_models import hooks
from molgdl_models.params import RandomForestParams

SPEC = {s.name: s for s in hooks.molgdl_models()}["random_forest"]


def test_spec_metadata():
    assert SPEC.family == "classical"
    p = SPEC.build_params()
    assert p.n_estimators == 500 and p.n_jobs == -1 and p.min_samples_leaf == 1


def test_regression_and_classification_estimators():
    reg = SPEC.factory(SPEC.build_params(), "regression")
    assert isinstance(reg, RandomForestRegressor)
    assert reg.n_estimators == 500 and reg.n_jobs == -1 and reg.max_features == pytest.approx(1 / 3)
    clf = SPEC.factory(SPEC.build_params({"class_weight": "balanced"}), "classification")
    assert isinstance(clf, RandomForestClassifier)
    assert clf.max_features == "sqrt" and clf.class_weight == "balanced"


@pytest.mark.parametrize("value,expected", [("log2", "log2"), (0.5, 0.5), (7, 7), (None, None)])
def test_max_features_values(value, expected):
    est = SPEC.factory(SPEC.build_params({"max_features": value}), "regression")
    assert est.max_features == expected and type(est.max_features) is type(expected)


def test_seeded_fit_is_reproducible():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 6)), rng.normal(size=(40, 2))  # multi-task regression
    params = SPEC.build_params({"n_estimators": 10, "n_jobs": 1})
    preds = []
    for _ in range(2):
        est = SPEC.factory(params, "regression").set_params(random_state=3)
        preds.append(est.fit(X, y).predict(X))
    assert preds[0].shape == (40, 2)
    np.testing.assert_array_equal(preds[0], preds[1])


def test_errors():
    with pytest.raises(ConfigError, match="unknown task"):
        SPEC.factory(SPEC.build_params(), "ranking")
    with pytest.raises(ConfigError, match="class_weight"):
        SPEC.factory(SPEC.build_params({"class_weight": "balanced"}), "regression")
    with pytest.raises(ValidationError):
        RandomForestParams(n_trees=5)
    with pytest.raises(ValidationError):
        RandomForestParams(max_features="all")
