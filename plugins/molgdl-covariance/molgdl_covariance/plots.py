"""Heatmaps of the learned-vs-descriptor analysis (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _pyplot():
    from molgdl.run.plots import pyplot

    return pyplot()


def correlation_heatmap(R: np.ndarray, order: np.ndarray, communities: np.ndarray, n_learned: int,
                        path: Path | None = None, title: str = "feature correlation, ordered by community"):
    """Correlation ``[p, p]`` reordered by ``order`` ``[p]`` with community borders (black) and a strip
    marking learned (dark) vs descriptor (light) features. Returns the figure (saved when ``path`` is given)."""
    plt = _pyplot()
    p = len(order)
    fig, ax = plt.subplots(figsize=(7.5, 7), dpi=110)
    im = ax.imshow(R[np.ix_(order, order)], cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    comm = np.asarray(communities)[order]
    edges = np.flatnonzero(np.diff(comm)) + 0.5
    for e in edges:
        ax.axhline(e, color="k", lw=0.8)
        ax.axvline(e, color="k", lw=0.8)
    strip = (order < n_learned).astype(float)[None, :]
    ax.imshow(strip, cmap="Greys", vmin=0, vmax=1.5, extent=(-0.5, p - 0.5, p + max(1, p / 40) - 0.5, p - 0.5),
              aspect="auto")
    ax.set_ylim(p + max(1, p / 40) - 0.5, -0.5)
    ax.set_title(title)
    ax.set_xlabel("features (bottom strip: dark = learned, light = descriptor)")
    fig.colorbar(im, ax=ax, shrink=0.8, label="r")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path)
    return fig


def interconnection_heatmap(inter: pd.DataFrame, path: Path | None = None,
                            title: str = "learned x descriptor blocks: mean correlation b_kl"):
    """Block-interconnection matrix (learned blocks as rows, descriptor blocks as columns), values annotated."""
    plt = _pyplot()
    rows, cols = inter.shape
    fig, ax = plt.subplots(figsize=(1.2 + 0.55 * max(cols, 3), 1.2 + 0.45 * max(rows, 3)), dpi=110)
    im = ax.imshow(inter.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(cols), inter.columns, rotation=90)
    ax.set_yticks(range(rows), inter.index)
    if rows * cols <= 400:
        for i in range(rows):
            for j in range(cols):
                ax.text(j, i, f"{inter.iat[i, j]:.2f}", ha="center", va="center", fontsize=7)
    ax.set_xlabel("descriptor blocks")
    ax.set_ylabel("learned blocks")
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path)
    return fig
