"""The uncertainty stage of one replicate: predictive mean and spread of every molecule from the kept models,
calibration fitted on the validation split (``calibration.json``), metrics per split, pictures.

``calibration.json``: ``{"calibrator", "task", "coverage", "targets": {name: fitted state}}``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from molgdl.run.evaluate import average_by_owner

from .plan import plan_of
from .samples import mixture, model_files, pass_moments

CALIBRATION_FILE = "calibration.json"
log = logging.getLogger("molgdl")


@dataclass
class Estimate:
    """Per-molecule ``[M, T]`` arrays: mean (target units or probability), raw spread (std), and after
    calibration: uncertainty, interval bounds (regression; NaN for classification)."""

    mean: np.ndarray
    spread: np.ndarray
    unc: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def columns(self, names: list[str], task: str) -> dict[str, np.ndarray]:
        cols: dict[str, np.ndarray] = {}
        for t, name in enumerate(names):
            cols[f"{name}_unc"] = self.unc[:, t]
            if task == "regression":
                cols[f"{name}_lower"] = self.lower[:, t]
                cols[f"{name}_upper"] = self.upper[:, t]
        return cols


def raw_estimate(res, replicate_dir: Path, graphs, table, task: str, seed: int = 0, device: str = "cpu"
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mixture mean and std ``[M, T]`` over every kept model and forward pass of one replicate (on ``device``),
    and each kept model's own mean ``[K, M, T]``."""
    from molgdl.predict import load_replicate_model

    plan = plan_of(res)
    means, variances = [], []
    for k, path in enumerate(model_files(replicate_dir)):
        model = load_replicate_model(res, Path(replicate_dir), graphs, table, path=path)
        m, v = pass_moments(model, graphs.dataset, plan, task, seed=seed + k, device=device)
        means.append(m)
        variances.append(v)
    mean, var = mixture(np.concatenate(means), np.concatenate(variances))
    n, owner = len(table), graphs.graph_owner
    per_model = np.stack([average_by_owner(m.mean(0), owner, n) for m in means])
    return average_by_owner(mean, owner, n), np.sqrt(average_by_owner(var, owner, n)), per_model


def calibrated(calibrator, state: dict[str, Any], task: str, mean: np.ndarray, spread: np.ndarray,
               coverage: float, members: np.ndarray | None = None) -> Estimate:
    """Apply a fitted calibration (``state["targets"]`` in target order) to ``[M, T]`` arrays."""
    unc, lower, upper = (np.full_like(mean, np.nan) for _ in range(3))
    mean = mean.copy()
    for t, st in enumerate(state["targets"].values()):
        ok = np.isfinite(mean[:, t])
        if task == "regression":
            m = None if members is None else members[:, ok, t]
            unc[ok, t] = calibrator.uncertainty(st, mean[ok, t], spread[ok, t], coverage, m)
            lower[ok, t], upper[ok, t] = calibrator.interval(st, mean[ok, t], spread[ok, t], coverage, m)
        else:
            mean[ok, t] = calibrator.apply(st, mean[ok, t])
            unc[ok, t] = spread[ok, t]
    return Estimate(mean, spread, unc, lower, upper)


def replicate_uncertainty(res, data, split: dict[str, np.ndarray], replicate_dir: Path, seed: int
                          ) -> tuple[Estimate, dict[str, dict[str, dict[str, float]]]]:
    """Estimate, calibrate on ``split["val"]``, write ``calibration.json`` and the plots; returns the estimate
    and ``{split: {target|overall: {unc_metric: value}}}`` (merged into the replicate's metrics)."""
    from .checks import check_task

    table = data.table
    task, names = table.task, table.target_names
    check_task(res.config, res.registry, task)
    coverage = res.config.uncertainty.coverage
    mean, spread, members = raw_estimate(res, replicate_dir, data.graphs, table, task, seed=seed)
    calibrator = res.build("calibrator", "uncertainty.calibrator")
    val = split.get("val", np.zeros(0, dtype=np.int64))
    state = {"calibrator": res.config.uncertainty.calibrator.name, "task": task, "coverage": coverage,
             "targets": {}}
    for t, name in enumerate(names):
        rows = val[np.isfinite(table.targets[val, t]) & np.isfinite(mean[val, t])]
        if calibrator.needs_members:  # CV+: out-of-fold residuals of the training molecules
            state["targets"][name] = _fit_folds(calibrator, replicate_dir, members[:, :, t], table.targets[:, t])
        elif task == "regression":
            state["targets"][name] = calibrator.fit(mean[rows, t], spread[rows, t], table.targets[rows, t])
        else:
            state["targets"][name] = calibrator.fit(mean[rows, t], table.targets[rows, t])
    (Path(replicate_dir) / CALIBRATION_FILE).write_text(json.dumps(state, indent=1))
    est = calibrated(calibrator, state, task, mean, spread, coverage, members)
    if task == "regression" and not np.isfinite(est.unc[np.isfinite(mean)]).all():
        log.warning("%s: the validation split (%d molecules) is too small for %s intervals at coverage %g: the "
                    "bounds are infinite; use more validation molecules or a lower uncertainty.coverage",
                    Path(replicate_dir).name, len(val), state["calibrator"], coverage)
    metrics = split_metrics(est, calibrator, state, table, split, coverage, members)
    if task == "regression" and len(split.get("test", [])):
        _plots(Path(replicate_dir), est, calibrator, state, table, split["test"], members)
    return est, metrics


def _fit_folds(calibrator, replicate_dir: Path, member_means: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Fit a members-based calibrator (cv_plus) on the held-out folds written by the ensemble's training."""
    from molgdl.errors import ConfigError

    from .members import FOLDS_FILE

    path = Path(replicate_dir) / FOLDS_FILE
    if not path.is_file():
        raise ConfigError(f"uncertainty.calibrator {calibrator.name!r} needs an ensemble trained on folds",
                          hint="use uncertainty: {estimator: {name: ensemble, cv_folds: true}}")
    folds = json.loads(path.read_text())
    rows = np.concatenate([np.asarray(f, dtype=np.int64) for f in folds])
    fold_of = np.concatenate([np.full(len(f), k) for k, f in enumerate(folds)])
    keep = np.isfinite(y[rows]) & np.isfinite(member_means[fold_of, rows])
    return calibrator.fit_folds(member_means[:, rows[keep]], fold_of[keep], y[rows[keep]])


def _target_rows(table, idx: np.ndarray, est: Estimate, t: int) -> np.ndarray:
    return idx[np.isfinite(table.targets[idx, t]) & np.isfinite(est.mean[idx, t])]


def split_metrics(est: Estimate, calibrator, state, table, split, coverage: float,
                  members: np.ndarray | None = None) -> dict[str, Any]:
    from .metrics import classification_metrics, regression_metrics  # SciPy: not imported by `molgdl predict`

    out: dict[str, Any] = {}
    for name in ("val", "test"):
        idx = split.get(name, np.zeros(0, dtype=np.int64))
        per: dict[str, dict[str, float]] = {}
        for t, target in enumerate(table.target_names):
            rows = _target_rows(table, idx, est, t)
            if len(rows) < 2:
                continue
            y, mu = table.targets[rows, t], est.mean[rows, t]
            if table.task == "regression":
                st, sigma = state["targets"][target], est.spread[rows, t]
                mem = None if members is None else members[:, rows, t]
                m = regression_metrics(y, mu, est.unc[rows, t],
                                       lambda c: calibrator.interval(st, mu, sigma, c, mem), coverage)
                raw = regression_metrics(y, mu, sigma, lambda c, mu=mu, s=sigma: _gauss(mu, s, c), coverage)
                m.update({f"unc_raw_{k[4:]}": v for k, v in raw.items() if k in ("unc_nll", "unc_miscal_area")})
            else:
                m = classification_metrics(y, mu, est.unc[rows, t])
            per[target] = m
        if per:
            keys = sorted({k for m in per.values() for k in m})
            per["overall"] = {k: _nanmean([m[k] for m in per.values() if k in m]) for k in keys}
            out[name] = per
    return out


def _nanmean(values: list[float]) -> float:
    """Mean of the defined values; NaN (written as null) when none is defined."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def _gauss(mu: np.ndarray, sigma: np.ndarray, coverage: float) -> tuple[np.ndarray, np.ndarray]:
    from .calibration import gaussian_z

    half = gaussian_z(coverage) * sigma
    return mu - half, mu + half


def _plots(folder: Path, est: Estimate, calibrator, state, table, test: np.ndarray,
           members: np.ndarray | None) -> None:
    from .plots import error_vs_uncertainty, reliability_plot

    curves, points = {}, {}
    for t, target in enumerate(table.target_names):
        rows = _target_rows(table, test, est, t)
        if len(rows) < 2:
            continue
        y, mu, sigma = table.targets[rows, t], est.mean[rows, t], est.spread[rows, t]
        mem = None if members is None else members[:, rows, t]
        curves[target] = (y, lambda c, st=state["targets"][target], mu=mu, s=sigma, m=mem:
                          calibrator.interval(st, mu, s, c, m))
        points[target] = (np.abs(y - mu), est.unc[rows, t])
    if curves:
        reliability_plot(folder / "reliability.png", curves)
        error_vs_uncertainty(folder / "error_vs_uncertainty.png", points)
