"""Pictures of a Vlasov run: |E_1|(t) on a log scale with fitted rates, and phase-space densities."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def field_mode_plot(path: Path, t: np.ndarray, e1: np.ndarray, fits: dict[str, dict], title: str,
                    extra: dict[str, tuple[np.ndarray, np.ndarray]] | None = None) -> None:
    """``|E_1|(t)`` (semilog) with each fit's line ``a exp(gamma t)`` over its window; ``extra``: more
    curves."""
    from molgdl.run.plots import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.semilogy(t, np.abs(e1), lw=1, label="|E_1|")
    for name, (tt, yy) in (extra or {}).items():
        ax.semilogy(tt, np.abs(yy), lw=1, label=name)
    for label, fit in fits.items():
        tw = np.linspace(fit["t_min"], fit["t_max"], 50)
        scale = fit["amplitude"] / (2 if "frequency" in fit else 1)  # |E_1| is half the sin(kx) amplitude
        text = f"{label}: rate {fit['rate']:.4f}"
        if "frequency" in fit:
            text += f", omega {fit['frequency']:.4f}"
        ax.semilogy(tw, scale * np.exp(fit["rate"] * tw), "--", lw=1.5, label=text)
    ax.set_xlabel("t")
    ax.set_ylabel("|E_1|")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def phase_space_plot(path: Path, f: np.ndarray, lx: float, v_max: float, title: str) -> None:
    """``f [nx, nv]`` as an image over ``[0, lx) x [-v_max, v_max)``."""
    from molgdl.run.plots import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    im = ax.imshow(f.T, origin="lower", aspect="auto", extent=(0, lx, -v_max, v_max), cmap="viridis")
    fig.colorbar(im, ax=ax, label="f")
    ax.set_xlabel("x")
    ax.set_ylabel("v")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
