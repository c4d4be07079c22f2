"""Random forest baseline (scikit-learn) on molecule descriptors.

The core sets the seed later with ``estimator.set_params(random_state=seed)``.
"""

from __future__ import annotations

from typing import Any

from molgdl.errors import ConfigError

REGRESSION_TASKS = ("regression",)
CLASSIFICATION_TASKS = ("classification", "binary", "multiclass", "multilabel")


def resolve_max_features(value: Any, task_kind: str) -> Any:
    """``"task_default"`` -> 1/3 of the features for regression (Breiman), ``"sqrt"`` for classification."""
    if value == "task_default":
        return 1.0 / 3.0 if task_kind == "regression" else "sqrt"
    return value


def build_random_forest(params, task: str):
    """``RandomForestRegressor`` for ``task == "regression"``, ``RandomForestClassifier`` for a
    classification task (multi-output targets are handled natively by scikit-learn)."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    common = dict(
        n_estimators=params.n_estimators,
        min_samples_leaf=params.min_samples_leaf,
        max_depth=params.max_depth,
        n_jobs=params.n_jobs,
    )
    if task in REGRESSION_TASKS:
        if params.class_weight is not None:
            raise ConfigError(
                f"model random_forest: class_weight={params.class_weight!r} is only valid for "
                "classification, but the task is regression",
                hint="remove model.params.class_weight",
            )
        max_features = resolve_max_features(params.max_features, "regression")
        return RandomForestRegressor(max_features=max_features, **common)
    if task in CLASSIFICATION_TASKS:
        return RandomForestClassifier(
            max_features=resolve_max_features(params.max_features, "classification"),
            class_weight=params.class_weight,
            **common,
        )
    raise ConfigError(
        f"model random_forest: unknown task {task!r}",
        hint=f"the task must be one of {', '.join(REGRESSION_TASKS + CLASSIFICATION_TASKS)}",
    )
