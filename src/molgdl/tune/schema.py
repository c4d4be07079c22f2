"""The ``tune:`` config section (pydantic only, import-light: the core schema imports it)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# metric name -> optuna direction; computed on the scored inner fold, mean over targets
METRIC_DIRECTIONS: dict[str, Literal["minimize", "maximize"]] = {
    "rmse": "minimize", "mae": "minimize", "r2": "maximize", "roc_auc": "maximize", "pr_auc": "maximize",
}
TASK_METRICS = {"regression": ("rmse", "mae", "r2"), "classification": ("roc_auc", "pr_auc")}
DEFAULT_METRIC = {"regression": "rmse", "classification": "roc_auc"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())


class PruningSection(_Strict):
    """Optuna's MedianPruner on neural trials: a trial stops when its validation loss at an epoch is worse
    than the median of earlier trials at the same epoch and inner fold."""

    startup_trials: int = Field(5, ge=0, description="trials that are never pruned (the median needs them)")
    warmup_epochs: int = Field(2, ge=0, description="epochs of the first inner fold before pruning may start")


class TuneSection(_Strict):
    """What ``molgdl tune`` searches. ``molgdl run`` ignores this section."""

    space: dict[str, Any] = Field(
        min_length=1,
        description="config key path -> {int: [low, high], log, step} | {float: [low, high], log, step} | "
                    "{choice: [values]}; checked against the config schema and the installed components",
    )
    n_trials: int = Field(20, ge=1, description="completed (or pruned) trials the study runs to; failed ones do not count")
    timeout_minutes: float | None = Field(None, gt=0, description="stop starting new trials after this wall time")
    n_jobs: int = Field(1, ge=1, description="trials run in parallel (worker processes sharing the study)")
    inner_folds: int = Field(5, ge=2, description="k of the inner cross-validation over the outer training split")
    metric: Literal["rmse", "mae", "r2", "roc_auc", "pr_auc"] | None = Field(
        None, description="metric of the scored inner folds (default: rmse for regression, roc_auc for classification)")
    seed: int = Field(0, description="seeds the sampler, the inner folds and every trial's training")
    pruning: PruningSection | None = Field(PruningSection(), description="null: never prune")
