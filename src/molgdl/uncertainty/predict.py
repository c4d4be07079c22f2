"""Uncertainty of new molecules from a trained run (``molgdl predict``): every replicate's kept models give a mean
and spread, its stored ``calibration.json`` turns them into an uncertainty and an interval at ``coverage``; the
replicates are averaged (mean, uncertainty and bounds alike)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

from molgdl.errors import ConfigError, RunDirError

from .stage import CALIBRATION_FILE, calibrated, raw_estimate


def has_uncertainty(run_dir: Path) -> bool:
    cfg = Path(run_dir) / "config.yaml"
    return cfg.is_file() and bool((yaml.safe_load(cfg.read_text()) or {}).get("uncertainty"))


def uncertainty_columns(run_dir: Path, table, graphs, coverage: float | None = None,
                        device: str = "cpu") -> dict[str, np.ndarray]:
    """``{<target>_pred, <target>_unc, <target>_lower, <target>_upper}`` ``[M]`` (no bounds for classification)
    at ``coverage`` (default: the run's ``uncertainty.coverage``), the models run on ``device``."""
    from molgdl.predict import open_run

    if coverage is not None and not 0.0 < coverage < 1.0:
        raise ConfigError(f"--coverage {coverage} is not a probability strictly between 0 and 1",
                          hint="give the nominal coverage of the intervals, e.g. --coverage 0.9")
    res, seed_dirs = open_run(run_dir)
    coverage = res.config.uncertainty.coverage if coverage is None else coverage
    calibrator = res.build("calibrator", "uncertainty.calibrator")
    estimates = []
    for seed_dir in seed_dirs:
        path = seed_dir / CALIBRATION_FILE
        if not path.is_file():
            raise RunDirError(f"{seed_dir} has no {CALIBRATION_FILE}: the run has an uncertainty section but "
                              "its calibration was not written", hint="resume or rerun the run")
        state = json.loads(path.read_text())
        mean, spread, members = raw_estimate(res, seed_dir, graphs, table, table.task, device=device)
        estimates.append(calibrated(calibrator, state, table.task, mean, spread, coverage, members))
    cols: dict[str, np.ndarray] = {}
    for t, name in enumerate(table.target_names):
        cols[f"{name}_pred"] = np.mean([e.mean[:, t] for e in estimates], axis=0)
        cols[f"{name}_unc"] = np.mean([e.unc[:, t] for e in estimates], axis=0)
        if table.task == "regression":
            cols[f"{name}_lower"] = np.mean([e.lower[:, t] for e in estimates], axis=0)
            cols[f"{name}_upper"] = np.mean([e.upper[:, t] for e in estimates], axis=0)
    return cols
