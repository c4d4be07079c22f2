"""PNG plots written into the run folder (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def pyplot():
    """``matplotlib.pyplot`` for writing figure files. Selects the file-only Agg backend unless a backend was
    chosen already (``MPLBACKEND``, which Jupyter kernels set to their inline backend, or a ``pyplot`` imported
    before): a notebook that calls molgdl keeps showing its own figures."""
    import os
    import sys

    import matplotlib

    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt



def parity_plot(path: Path, y: np.ndarray, pred: np.ndarray, split: np.ndarray, target_names: list[str],
                units: dict[str, str]) -> None:
    """Predicted vs true for every target, coloured by split."""
    plt = pyplot()
    n = len(target_names)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 4), squeeze=False)
    for t, (ax, name) in enumerate(zip(axes[0], target_names)):
        for s, colour in (("train", "#bbbbbb"), ("val", "#4c72b0"), ("test", "#dd8452")):
            m = (split == s) & ~np.isnan(y[:, t])
            ax.scatter(y[m, t], pred[m, t], s=8, alpha=0.6, c=colour, label=s)
        finite = y[~np.isnan(y[:, t]), t]
        if finite.size:
            lo, hi = float(np.nanmin([finite.min(), np.nanmin(pred[:, t])])), float(np.nanmax([finite.max(), np.nanmax(pred[:, t])]))
            ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        unit = f" ({units[name]})" if name in units else ""
        ax.set_xlabel(f"true {name}{unit}")
        ax.set_ylabel("predicted")
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def learning_curve(path: Path, metrics_csv: Path) -> bool:
    """Train and validation loss per epoch from Lightning's CSV log. Returns False when there is no log."""
    if not metrics_csv.exists():
        return False
    df = pd.read_csv(metrics_csv)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for col, label in (("train/loss", "train"), ("val/loss", "validation")):
        if col in df:
            d = df[["epoch", col]].dropna().groupby("epoch").last()
            ax.plot(d.index, d[col], label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (scaled targets)")
    ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
