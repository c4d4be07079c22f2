"""The optuna study in ``<run>/tune/study.db`` (SQLite): creation, resume, and parallel worker processes.

Resume: trials left RUNNING by a killed process are marked failed (they do not count towards
``tune.n_trials``) and their parameters are queued to run again. A study remembers its metric and search
space; resuming with a different one is refused rather than mixing incomparable trials.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

from molgdl.errors import ConfigError
from molgdl.tune.schema import METRIC_DIRECTIONS

log = logging.getLogger("molgdl")
STUDY_NAME = "molgdl"
STUDY_FILE = "study.db"


def storage(path: Path):
    import optuna

    return optuna.storages.RDBStorage(f"sqlite:///{Path(path).resolve()}",
                                      engine_kwargs={"connect_args": {"timeout": 120}})


def make_sampler(seed: int):
    import optuna

    return optuna.samplers.TPESampler(seed=seed)


def make_pruner(pruning: Any):
    import optuna

    if pruning is None:
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=pruning.startup_trials, n_warmup_steps=pruning.warmup_epochs)


def open_study(tune_dir: Path, tune_cfg: Any, metric: str, *, resume: bool, seed_offset: int = 0):
    """Create the study (or load it with ``resume``), checking it was made for the same metric and space."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # trial lines are molgdl's own (log_trial)
    path = Path(tune_dir) / STUDY_FILE
    existed = path.exists()
    study = optuna.create_study(
        study_name=STUDY_NAME, storage=storage(path), sampler=make_sampler(tune_cfg.seed + seed_offset),
        pruner=make_pruner(tune_cfg.pruning), direction=METRIC_DIRECTIONS[metric], load_if_exists=resume)
    space = json.dumps(tune_cfg.space, sort_keys=True, default=str)
    if existed and resume:
        before = study.user_attrs
        if before.get("metric") != metric:
            raise ConfigError(f"tune.metric: the study in {path} optimises {before.get('metric')!r}, the config asks "
                              f"for {metric!r}", hint="keep the metric to resume, or start a new study (another run.name)")
        if before.get("space") != space:
            raise ConfigError(f"tune.space changed since the study in {path} started; its trials would not be "
                              "comparable", hint="resume with the same space, or start a new study (another run.name)")
    else:
        study.set_user_attr("metric", metric)
        study.set_user_attr("space", space)
    return study


def recover_killed(study: Any) -> list[int]:
    """Mark trials left RUNNING by a killed process as failed and queue their parameters again."""
    from optuna.trial import TrialState

    stale = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    for t in stale:
        study._storage.set_trial_user_attr(t._trial_id, "error", "killed while running; its parameters run again")
        study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        if t.params:
            study.enqueue_trial(t.params, user_attrs={"rerun_of": t.number}, skip_if_exists=False)
        log.warning("trial %d was running when the study was killed: marked failed, its parameters run again",
                    t.number)
    return [t.number for t in stale]


def counted(study: Any) -> int:
    """Trials that count towards ``tune.n_trials``: completed and pruned."""
    from optuna.trial import TrialState

    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))


def log_trial(study: Any, trial: Any) -> None:
    finite = trial.value is not None and math.isfinite(trial.value)
    value = f" {trial.value:.4f}" if finite and trial.state.name == "COMPLETE" else ""
    note = trial.user_attrs.get("error") or trial.user_attrs.get("pruned") or ""
    log.info("trial %d %s%s %s%s", trial.number, trial.state.name.lower(), value,
             json.dumps(trial.params, default=str), f" ({note})" if note else "")


def optimize(study: Any, objective: Any, n_trials: int, timeout_minutes: float | None) -> None:
    """Run trials until ``n_trials`` count (completed + pruned) or the timeout. A failed trial does not count
    and is replaced, up to ``2 * n_trials`` extra attempts (a space where most trials fail stops there)."""
    import time

    from optuna.study import MaxTrialsCallback
    from optuna.trial import TrialState

    deadline = None if timeout_minutes is None else time.monotonic() + 60 * timeout_minutes
    attempts, budget = 0, 3 * n_trials
    while (remaining := n_trials - counted(study)) > 0 and attempts < budget:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            log.warning("tune.timeout_minutes reached after %d counted trials", counted(study))
            return
        batch = min(remaining, budget - attempts)
        study.optimize(objective, n_trials=batch, timeout=left, gc_after_trial=True,
                       callbacks=[MaxTrialsCallback(n_trials, states=(TrialState.COMPLETE, TrialState.PRUNED)),
                                  log_trial])
        attempts += batch
    if counted(study) < n_trials:
        log.warning("%d of tune.n_trials=%d trials counted after %d attempts (the others failed, see trials.csv)",
                    counted(study), n_trials, attempts)


def worker_main(raw: dict[str, Any], switches: dict[str, Any], run_dir: str, worker: int) -> None:
    """Entry point of a parallel worker process (``tune.n_jobs > 1``): rebuild everything from the config,
    then share the study through its SQLite file. Its sampler is seeded ``tune.seed + worker``."""
    from molgdl.config.load import parse_config
    from molgdl.run.resolve import resolve
    from molgdl.tune.pipeline import build_objective

    from molgdl.run.folder import RunFolder

    handler = RunFolder(Path(run_dir)).attach_log()  # the worker's trial lines go to run.log too
    logging.getLogger("molgdl").setLevel(logging.INFO)
    try:
        res = resolve(parse_config(raw), **switches)
        tune_dir = Path(run_dir) / "tune"
        objective, metric = build_objective(res, Path(run_dir), None)
        study = open_study(tune_dir, res.config.tune, metric, resume=True, seed_offset=worker)
        optimize(study, objective, res.config.tune.n_trials, res.config.tune.timeout_minutes)
    finally:
        logging.getLogger("molgdl").removeHandler(handler)
        handler.close()


def run_parallel(raw: dict[str, Any], switches: dict[str, Any], run_dir: Path, n_jobs: int) -> None:
    """``n_jobs`` spawned worker processes on one study; an error in one is re-raised here."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(n_jobs, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(worker_main, raw, switches, str(run_dir), w + 1) for w in range(n_jobs)]
        for f in futures:
            f.result()
