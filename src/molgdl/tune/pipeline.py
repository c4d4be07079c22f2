"""``molgdl tune``: read the data, make the outer split, search on inner folds of its training molecules,
then train the winner with ``molgdl run`` semantics in the same run folder and report its test metrics.

Layout: ``<run>/tune/`` holds study.db, tuning_set.json (the source rows the study saw and its inner folds),
trials.csv, history.png / importances.png / intermediate.png, best.yaml and result.json; the winner's run
(config.yaml, seed_<s>/, summary.json) is written at the top of ``<run>/`` as by ``molgdl run``.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from molgdl.config.load import parse_config
from molgdl.errors import ConfigError, TrainingError
from molgdl.run.data_stage import PreparedData, prepare_data
from molgdl.run.folder import RunFolder, write_json
from molgdl.run.resolve import Resolved, resolve
from molgdl.tune.schema import DEFAULT_METRIC, METRIC_DIRECTIONS, TASK_METRICS

log = logging.getLogger("molgdl")


@dataclass
class TuneResult:
    run_dir: Path
    result: dict[str, Any]
    summary: dict[str, Any]


def choose_metric(metric: str | None, task: str) -> str:
    if metric is None:
        return DEFAULT_METRIC[task]
    if metric not in TASK_METRICS[task]:
        raise ConfigError(f"tune.metric: {metric!r} is not a {task} metric",
                          hint=f"use one of {', '.join(TASK_METRICS[task])}, or leave it out for {DEFAULT_METRIC[task]}")
    return metric


def base_raw(res: Resolved) -> dict[str, Any]:
    """The config as written (defaults left to the schema), without the tune section."""
    raw = res.config.model_dump(mode="json", exclude_unset=True)
    raw.pop("tune", None)
    return raw


def build_objective(res: Resolved, run_dir: Path, data: PreparedData | None):
    """The trial objective over the tuning molecules of ``res`` (featurized once here); and the metric."""
    from molgdl.tune.folds import restrict, tuning_set
    from molgdl.tune.objective import Objective
    from molgdl.tune.space import check_space

    data = data if data is not None else prepare_data(res, None)
    metric = choose_metric(res.config.tune.metric, data.table.task)
    tuning = tuning_set(res, data)
    objective = Objective(res, check_space(res.config, res.registry), base_raw(res), tuning,
                          restrict(data, tuning.molecules), Path(run_dir) / "tune" / "trials", metric)
    return objective, metric


def tune_pipeline(res: Resolved, *, overwrite: bool = False, resume: bool = False,
                  plugin_switches: dict[str, Any] | None = None) -> TuneResult:
    from molgdl.run.pipeline import run_pipeline

    cfg = res.config
    if cfg.tune is None:
        raise ConfigError("the config has no tune: section, so there is nothing to search",
                          hint="add tune: {space: {model.hidden_dim: {int: [100, 600]}}, n_trials: 20} (docs/tune.md)")
    folder = RunFolder.open(cfg.run.output_dir / cfg.run.name, overwrite=overwrite, resume=resume)
    tune_dir = folder.path / "tune"
    tune_dir.mkdir(exist_ok=True)
    handler = folder.attach_log()
    try:
        folder.set_status("tuning")
        best_res, result = search(res, folder, tune_dir, resume=resume, plugin_switches=plugin_switches or {})
        write_json(tune_dir / "result.json", result)
    except BaseException as exc:
        folder.record_failure(exc)
        folder.release()  # the run folder's lock (the winner's run releases it when it ends)
        raise
    finally:
        logging.getLogger("molgdl").removeHandler(handler)
        handler.close()
    run = run_pipeline(best_res, resume=True)
    result["test"] = run.summary.get("test", {})
    write_json(tune_dir / "result.json", result)
    log.info("winner: trial %d (%s), test %s", result["best_trial"], result["best_model"],
             {k: v["mean"] for k, v in run.summary.get("test", {}).get("overall", {}).items()})
    return TuneResult(folder.path, result, run.summary)


def search(res: Resolved, folder: RunFolder, tune_dir: Path, *, resume: bool,
           plugin_switches: dict[str, Any]) -> tuple[Resolved, dict[str, Any]]:
    """The study: run (or resume) the trials, write the report, return the winner's config and the result."""
    import optuna
    from optuna.trial import TrialState

    from molgdl.run.pipeline import resolved_config
    from molgdl.tune.report import model_ranking, write_best_yaml, write_plots, write_trials_csv
    from molgdl.tune.sample import sample_config
    from molgdl.tune.space import check_space
    from molgdl.tune.study import open_study, optimize, recover_killed, run_parallel

    tcfg = res.config.tune
    data = prepare_data(res, folder.path)
    objective, metric = build_objective(res, folder.path, data)
    tuning = objective.tuning
    write_json(tune_dir / "tuning_set.json", {
        "note": "0-based source rows of the outer training molecules the study saw; per inner fold, the rows "
                "trained on (train), used for early stopping of neural trials (val) and scored (test)",
        "rows": tuning.rows,
        "folds": [{name: [tuning.rows[i] for i in idx] for name, idx in fold.items()} for fold in tuning.folds],
    })
    study = open_study(tune_dir, tcfg, metric, resume=resume)
    reruns = recover_killed(study) if resume else []
    if tcfg.n_jobs == 1:
        optimize(study, objective, tcfg.n_trials, tcfg.timeout_minutes)
    else:
        del objective  # the workers build their own
        run_parallel(res.config.model_dump(mode="json", exclude_unset=True), plugin_switches, folder.path, tcfg.n_jobs)
    study = open_study(tune_dir, tcfg, metric, resume=True)
    write_trials_csv(study, tune_dir / "trials.csv")
    plots = write_plots(study, tune_dir)
    states = {s.name.lower(): len(study.get_trials(deepcopy=False, states=(s,)))
              for s in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)}
    if states["complete"] == 0:
        raise TrainingError(f"no trial of the study completed ({states['pruned']} pruned, {states['fail']} failed)",
                            hint=f"see the error column of {tune_dir / 'trials.csv'} and run.log")
    best = study.best_trial
    best_raw = sample_config(optuna.trial.FixedTrial(best.params), check_space(res.config, res.registry),
                             base_raw(res), res.registry)
    best_res = resolve(parse_config(best_raw, where="of the best trial"), pm=res.pm)
    full = resolved_config(best_res)
    write_best_yaml(tune_dir / "best.yaml", full, best, metric)
    _clear_stale_winner(folder, tune_dir, best.number)
    direction = METRIC_DIRECTIONS[metric]
    result = {
        "metric": metric, "direction": direction, "inner_folds": tcfg.inner_folds,
        "n_tuning_molecules": len(tuning.rows), "trials": states, "reruns_of_killed_trials": reruns,
        "best_trial": best.number, "best_value": best.value, "best_params": best.params,
        "best_model": best.user_attrs.get("model"), "best_fold_values": {
            k: v for k, v in best.user_attrs.items() if k.startswith("fold_")},
        "models": model_ranking(study, direction), "plots": plots,
    }
    return best_res, result


def _clear_stale_winner(folder: RunFolder, tune_dir: Path, best_trial: int) -> None:
    """A resumed study with more trials may pick another winner: the earlier winner's run is removed."""
    marker = tune_dir / "winner.json"
    previous = None
    if marker.exists():
        previous = json.loads(marker.read_text()).get("best_trial")
    if previous is not None and previous != best_trial:
        log.warning("the winner changed from trial %s to trial %d: the earlier winner's run is replaced",
                    previous, best_trial)
        for path in folder.path.glob("seed_*"):
            shutil.rmtree(path)
        # the replaced winner's summary, config and identity (molgdl.run.identity): the new winner records its own
        for name in ("summary.json", "config.yaml", "run_identity.json"):
            (folder.path / name).unlink(missing_ok=True)
    write_json(marker, {"best_trial": best_trial})
