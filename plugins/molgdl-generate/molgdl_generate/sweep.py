"""The sensibleness / diversity / attribution trade-off of guided decoding over a lam x tau grid.

Per cell: sensibleness = mean log-likelihood per token under the language model (nats), diversity = IntDiv of
the valid molecules and the mean policy entropy per token, attribution = mean guide prediction; plus validity.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def run_sweep(params, lm, vocab, ctx, guide, out: Path, seed: int, log) -> list[dict]:
    import pandas as pd
    import torch

    from .decoding.registry import decoder_params
    from .metrics import canonical, internal_diversity
    from .sampling import decode

    sweep, rows = params.report.sweep, []
    for lam in sweep.lams:
        for tau in sweep.taus:
            spec, p = decoder_params({"name": "guided", "lam": lam, "tau": tau})
            cell_ctx = type(ctx)(max_len=ctx.max_len, grammar=ctx.grammar, backtrack=ctx.backtrack, guide=ctx.guide,
                                 generator=torch.Generator().manual_seed(seed))
            gen = decode(spec.build(p), lm, vocab, sweep.n, params.batch_size, cell_ctx)
            valid = [c for c in (canonical(s) for s in gen.smiles) if c]
            tokens = np.array([len(t) - 1 for t in gen.tokens], dtype=float)
            g = guide.predict(valid)
            rows.append({"lam": lam, "tau": tau, "validity": len(valid) / len(gen.smiles),
                         "loglik_per_token": float(np.sum(gen.log_likelihood) / tokens.sum()),
                         "entropy_per_token": float(np.sum(gen.entropy) / tokens.sum()),
                         "intdiv": internal_diversity(valid) if valid else None,
                         "guide_mean": float(np.nanmean(g)) if len(valid) else None})
            log.info("sweep lam %.2f tau %.2f: %s", lam, tau, rows[-1])
    frame = pd.DataFrame(rows)
    frame.to_csv(out / "tradeoff.csv", index=False)
    _figure(out / "tradeoff.png", frame, guide.target)
    return rows


def _figure(path: Path, frame, target: str) -> None:
    from molgdl.run.plots import pyplot

    plt = pyplot()
    panels = [("loglik_per_token", "sensibleness: log p per token (nats)"),
              ("intdiv", "diversity: IntDiv"), ("guide_mean", f"attribution: mean {target}"),
              ("validity", "validity")]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4))
    for ax, (col, label) in zip(axes, panels):
        for tau, part in frame.groupby("tau"):
            ax.plot(part["lam"], part[col], marker="o", label=f"tau={tau:g}")
        ax.set_xlabel("lambda (attribution weight)")
        ax.set_ylabel(label)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
