"""What a study leaves in ``<run>/tune/``: trials.csv, plots of the search, best.yaml, result.json."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import yaml

from molgdl.run.folder import write_json

log = logging.getLogger("molgdl")


def write_trials_csv(study: Any, path: Path) -> None:
    """One row per trial: number, state, value (the mean inner-fold metric of a completed trial), duration in
    seconds, every sampled param and user attribute (the model, each inner fold's metric, the error of a failed
    trial, where a pruned one stopped)."""
    df = study.trials_dataframe(attrs=("number", "state", "value", "duration", "params", "user_attrs"))
    if "duration" in df:
        df["duration"] = df["duration"].dt.total_seconds()
    if len(df):  # optuna keeps a pruned trial's last reported loss as its value: not the metric, so left empty
        df.loc[df["state"] == "PRUNED", "value"] = float("nan")
    df.to_csv(path, index=False)


def write_plots(study: Any, tune_dir: Path) -> dict[str, str]:
    """optuna.visualization.matplotlib plots as PNG: optimization history, parameter importances (where
    defined: two completed trials and a parameter that varies), intermediate values of neural trials.
    Returns ``{file: "written" or why not}``."""
    import warnings

    from molgdl.run.plots import pyplot

    plt = pyplot()
    import optuna.visualization.matplotlib as ovm
    from optuna.exceptions import ExperimentalWarning

    out: dict[str, str] = {}
    plots = {"history.png": ovm.plot_optimization_history, "importances.png": ovm.plot_param_importances,
             "intermediate.png": ovm.plot_intermediate_values}
    for name, plot in plots.items():
        if name == "intermediate.png" and not any(t.intermediate_values for t in study.trials):
            out[name] = "not written: no trial reported intermediate values (no neural trial)"
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ExperimentalWarning)
                warnings.simplefilter("ignore", UserWarning)  # e.g. "some regimes have less than 2 trials"
                ax = plot(study)
            fig = (ax.flat[0] if hasattr(ax, "flat") else ax).figure
            fig.tight_layout()
            fig.savefig(tune_dir / name, dpi=110)
            plt.close(fig)
            out[name] = "written"
        except (ValueError, RuntimeError, ZeroDivisionError, IndexError) as exc:
            out[name] = f"not written: {exc}"
            plt.close("all")
    return out


def write_best_yaml(path: Path, cfg: dict[str, Any], trial: Any, metric: str) -> None:
    header = (f"# molgdl tune: the best trial ({trial.number}, inner-CV {metric} {trial.value:.6g}), every default\n"
              f"# filled in. `molgdl run` on this file trains it again.\n")
    path.write_text(header + yaml.safe_dump(cfg, sort_keys=False))


def model_ranking(study: Any, direction: str) -> list[dict[str, Any]]:
    """Best completed trial per model: why the winner won (its value against each other model's best)."""
    from optuna.trial import TrialState

    best: dict[str, Any] = {}
    counts: dict[str, int] = {}
    sign = 1.0 if direction == "minimize" else -1.0
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if t.value is None or not math.isfinite(t.value):
            continue
        name = t.user_attrs.get("model", "?")
        counts[name] = counts.get(name, 0) + 1
        if name not in best or sign * t.value < sign * best[name].value:
            best[name] = t
    rows = [{"model": n, "best_value": t.value, "best_trial": t.number, "completed_trials": counts[n]}
            for n, t in best.items()]
    return sorted(rows, key=lambda r: r["best_value"], reverse=direction == "maximize")


def write_result(path: Path, **result: Any) -> None:
    write_json(path, result)
