"""Uncertainty pictures of a replicate (matplotlib, Agg): reliability diagram and |error| vs uncertainty."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from molgdl.run.plots import pyplot

from .metrics import LEVELS, coverage_curve


def reliability_plot(path: Path, curves: dict[str, tuple[np.ndarray, Callable]], split: str = "test") -> None:
    """Observed vs nominal coverage of central intervals; ``curves``: target -> (y, interval(coverage))."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.4, 4))
    for name, (y, interval) in curves.items():
        ax.plot(LEVELS, coverage_curve(y, interval), label=name)
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    ax.set_xlabel("nominal coverage of the central interval")
    ax.set_ylabel(f"observed coverage ({split})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def error_vs_uncertainty(path: Path, points: dict[str, tuple[np.ndarray, np.ndarray]], split: str = "test") -> None:
    """|error| against the calibrated uncertainty per molecule; ``points``: target -> (|error|, uncertainty)."""
    plt = pyplot()
    n = len(points)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 4), squeeze=False)
    for ax, (name, (err, unc)) in zip(axes[0], points.items()):
        ax.scatter(unc, err, s=8, alpha=0.6)
        hi = float(np.nanmax(unc)) if len(unc) else 1.0
        ax.plot([0, hi], [0, hi], "k--", lw=1, label="|error| = uncertainty")
        ax.set_xlabel("uncertainty (calibrated std)")
        ax.set_ylabel(f"|error| ({split})")
        ax.set_title(name)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
