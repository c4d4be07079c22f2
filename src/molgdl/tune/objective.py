"""One trial: sample a config, validate it with the run schema, train it on every inner fold of the tuning
molecules (train / early-stopping val / scored fold), return the mean metric of the scored folds.

Neural trials report their validation loss after every epoch (step ``fold * EPOCH_STRIDE + epoch``) through the
``molgdl_epoch_end`` lifecycle hook, so optuna's pruner can stop a bad trial early. A trial whose config or
training fails with a molgdl error is recorded as failed (with the message), and the study goes on.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from molgdl.config.load import parse_config
from molgdl.errors import MolgdlError, TrainingError
from molgdl.hookspecs import hookimpl
from molgdl.run.data_stage import PreparedData, prepare_data
from molgdl.run.evaluate import evaluate_predictions
from molgdl.run.resolve import Resolved, resolve
from molgdl.tune.folds import TuningSet, restrict
from molgdl.tune.sample import sample_config
from molgdl.tune.space import Dimension

log = logging.getLogger("molgdl")
EPOCH_STRIDE = 10_000  # report steps: fold k, epoch e -> k * EPOCH_STRIDE + e (same step = same fold and epoch)
MODEL_FILE = "model.pt"


class PruneSignal(MolgdlError):
    """Raised from the epoch hook to stop a neural trial the pruner gave up on (turned into TrialPruned)."""


class EpochReporter:
    """Inline plugin for one inner fold: reports ``val/loss`` per epoch to the optuna trial."""

    def __init__(self, trial: Any, fold: int, fold_dir: Path) -> None:
        self.trial, self.fold, self.fold_dir = trial, fold, Path(fold_dir)
        self.last_step: int | None = None

    @hookimpl
    def molgdl_epoch_end(self, run_dir: Path, epoch: int, metrics: dict[str, float]) -> None:
        value = metrics.get("val/loss")
        if Path(run_dir) != self.fold_dir or value is None or not math.isfinite(value):
            return
        step = self.fold * EPOCH_STRIDE + epoch
        self.trial.report(float(value), step)
        self.last_step = step
        if self.trial.should_prune():
            raise PruneSignal(f"pruned at inner fold {self.fold}, epoch {epoch} (val/loss {value:.4g})")


def data_key(raw: dict[str, Any]) -> str:
    """Trials with the same featurizer and descriptors share one featurized tuning set."""
    return json.dumps([raw.get("featurizer"), raw.get("descriptors")], sort_keys=True, default=str)


class Objective:
    """Callable for ``study.optimize``. ``base``: the raw config; ``tuning``: molecules and inner folds;
    ``data``: the featurized tuning set of the base config (other featurizations are prepared on demand)."""

    def __init__(self, res: Resolved, dims: list[Dimension], base: dict[str, Any], tuning: TuningSet,
                 data: PreparedData, trials_dir: Path, metric: str) -> None:
        self.res, self.dims, self.base, self.tuning = res, dims, base, tuning
        self.trials_dir, self.metric = Path(trials_dir), metric
        self._data = {data_key(base): data}

    def __call__(self, trial: Any) -> float:
        import optuna

        raw = sample_config(trial, self.dims, self.base, self.res.registry)
        same = self._completed_with(trial)
        if same is not None:  # same params, same seed, same folds: the result is known (TPE repeats categoricals)
            trial.set_user_attr("duplicate_of", same.number)
            for key, value in same.user_attrs.items():
                if key == "model" or key.startswith("fold_"):
                    trial.set_user_attr(key, value)
            return float(same.value)
        try:
            trial_res = resolve(parse_config(raw, where=f"of trial {trial.number}"), pm=self.res.pm)
            trial.set_user_attr("model", trial_res.config.model.name)
            values = self._cross_validate(trial, trial_res)
        except PruneSignal as exc:
            trial.set_user_attr("pruned", str(exc))
            raise optuna.TrialPruned(str(exc)) from None
        except MolgdlError as exc:
            message = str(exc).split("\n")[0]
            trial.set_user_attr("error", message)
            log.warning("trial %d failed: %s", trial.number, message)
            return float("nan")  # optuna records the trial as failed; the study goes on
        return float(np.mean(values))

    @staticmethod
    def _completed_with(trial: Any) -> Any:
        from optuna.trial import TrialState

        for other in trial.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            if other.params == trial.params and other.number != trial.number and "duplicate_of" not in other.user_attrs:
                return other
        return None

    def data_for(self, trial_res: Resolved, raw: dict[str, Any]) -> PreparedData:
        key = data_key(raw)
        if key not in self._data:
            if len(self._data) >= 4:
                self._data.pop(next(iter(self._data)))
            self._data[key] = restrict(prepare_data(trial_res, None), self.tuning.molecules)
        return self._data[key]

    def _cross_validate(self, trial: Any, trial_res: Resolved) -> list[float]:
        from molgdl.run.train_stage import train_classical, train_neural

        raw = trial_res.config.model_dump(mode="json")
        data = self.data_for(trial_res, raw)
        seed = self.res.config.tune.seed
        classical = getattr(trial_res.spec("model", "model"), "family", "encoder") == "classical"
        values = []
        for k, split in enumerate(self.tuning.folds):
            fold_dir = self.trials_dir / f"trial_{trial.number:04d}" / f"fold_{k}"
            if classical:
                pred = train_classical(trial_res, data, split, seed).pred
            else:
                fold_dir.mkdir(parents=True, exist_ok=True)
                reporter = EpochReporter(trial, k, fold_dir)
                name = f"molgdl-tune-trial-{trial.number}-fold-{k}"
                trial_res.pm.register(reporter, name=name)
                try:
                    pred = train_neural(trial_res, data, split, seed, fold_dir, resume=False).pred
                finally:
                    trial_res.pm.unregister(name=name)
                    shutil.rmtree(fold_dir / "checkpoints", ignore_errors=True)
                    (fold_dir / MODEL_FILE).unlink(missing_ok=True)
            metrics = evaluate_predictions(data.table, pred, {"test": split["test"]}).get("test", {}).get("overall", {})
            value = metrics.get(self.metric, float("nan"))
            if not math.isfinite(value):
                raise TrainingError(f"inner fold {k}: {self.metric} of the scored fold is not finite ({value})")
            trial.set_user_attr(f"fold_{k}_{self.metric}", value)
            values.append(value)
        return values
