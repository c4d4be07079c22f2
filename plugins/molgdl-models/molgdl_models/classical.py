"""Factories of the classical (scikit-learn style) models other than the random forest.

Each ``build_<name>(params, task)`` returns an unfitted estimator with ``fit``, ``predict``
(``predict_proba`` for classification) and a ``random_state`` parameter, which molgdl sets per replicate.
"""

from __future__ import annotations

from molgdl.errors import ConfigError

from .forest import CLASSIFICATION_TASKS, REGRESSION_TASKS


def is_regression(model: str, task: str) -> bool:
    """True for a regression task, False for a classification one; ``ConfigError`` for anything else."""
    if task in REGRESSION_TASKS:
        return True
    if task in CLASSIFICATION_TASKS:
        return False
    raise ConfigError(f"model {model}: unknown task {task!r}",
                      hint=f"the task must be one of {', '.join(REGRESSION_TASKS + CLASSIFICATION_TASKS)}")


def _no_class_weight(model: str, params) -> None:
    if params.class_weight is not None:
        raise ConfigError(f"model {model}: class_weight={params.class_weight!r} is only valid for "
                          "classification, but the task is regression", hint="remove model.params.class_weight")


def build_svm(params, task: str):
    """``KernelSVR`` (regression) or ``KernelSVC`` (classification) with kernel ``params.kernel``."""
    from .kernel_svm import KernelSVC, KernelSVR

    if is_regression("svm", task):
        _no_class_weight("svm", params)
        return KernelSVR(kernel=params.kernel, C=params.C, epsilon=params.epsilon)
    return KernelSVC(kernel=params.kernel, C=params.C, class_weight=params.class_weight)


def build_knn(params, task: str):
    """``KernelKNNRegressor`` or ``KernelKNNClassifier`` with similarity ``params.metric``."""
    from .kernel_knn import KernelKNNClassifier, KernelKNNRegressor

    cls = KernelKNNRegressor if is_regression("knn", task) else KernelKNNClassifier
    return cls(n_neighbors=params.n_neighbors, metric=params.metric, weights=params.weights)


def build_linear(params, task: str):
    """``StandardizedRidge`` (regression) or ``StandardizedLogistic`` (classification)."""
    from .linear import StandardizedLogistic, StandardizedRidge

    if is_regression("linear", task):
        _no_class_weight("linear", params)
        return StandardizedRidge(alpha=params.alpha)
    return StandardizedLogistic(C=params.C, class_weight=params.class_weight, max_iter=params.max_iter)


def build_lightgbm(params, task: str):
    """``LightGBMRegressor`` or ``LightGBMClassifier`` with the params' tree settings."""
    from .boosting import LightGBMClassifier, LightGBMRegressor

    settings = params.model_dump()
    if is_regression("lightgbm", task):
        _no_class_weight("lightgbm", params)
        return LightGBMRegressor(**settings)
    return LightGBMClassifier(**settings)


def build_gp(params, task: str):
    """``GaussianProcessRegression`` or (binary) ``GaussianProcessClassification``."""
    from .gaussian_process import GaussianProcessClassification, GaussianProcessRegression

    if is_regression("gp", task):
        return GaussianProcessRegression(length_scale=params.length_scale, noise=params.noise,
                                         n_restarts=params.n_restarts, max_train=params.max_train)
    return GaussianProcessClassification(length_scale=params.length_scale, n_restarts=params.n_restarts,
                                         max_train=params.max_train)
