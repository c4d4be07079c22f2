"""PNG of m-coherence against epoch (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence


def plot_rows(runs: Mapping[str, Sequence[Mapping[str, Any]]], path: Path,
              metric: str = "m_coherence") -> None:
    """One line per (run label, parameter group); ``runs[label]`` are coherence.csv rows. Log y axis, with the
    orthogonal reference m-coherence = 1 dashed."""
    from molgdl.run.plots import pyplot

    plt = pyplot()

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    positive = False
    for label, rows in runs.items():
        groups: dict[str, list[tuple[float, float]]] = {}
        for r in rows:
            v = float(r[metric])
            if v == v:  # not NaN
                groups.setdefault(str(r["group"]), []).append((float(r["epoch"]), v))
        for group, pts in groups.items():
            pts.sort()
            style = "-" if group == "all" else ":"
            name = f"{label} {group}".strip()
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker="o", ms=3, label=name)
            positive |= any(p[1] > 0 for p in pts)
    if metric == "m_coherence":
        ax.axhline(1.0, color="grey", lw=0.8, ls="--", label="orthogonal (1)")
        if positive:
            ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric.replace("_", "-"))
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
