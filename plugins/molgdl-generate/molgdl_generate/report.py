"""Artifacts of a generate run: molecules.csv, the metrics, grid.png and properties.png."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _mean(values) -> float | None:
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(values)) if values else None


def write_report(out: Path, gen, guide, reference: dict | None, options, log) -> dict:
    import pandas as pd

    from .metrics import canonical, cosine_similarity, fragment_counts, internal_diversity, novelty, \
        property_report, scaffold_counts, unique_at

    canon = [canonical(s) for s in gen.smiles]
    valid = [c for c in canon if c is not None]
    scores = guide.predict([c or "" for c in canon]) if guide is not None else np.full(len(canon), np.nan)
    frame = pd.DataFrame({"smiles": gen.smiles, "valid": [c is not None for c in canon],
                          "canonical": [c or "" for c in canon], "log_likelihood": gen.log_likelihood,
                          "entropy": gen.entropy, "guide_score": scores, "dead_end": gen.dead_end,
                          "retries": gen.retries, "restarted": gen.restarted})
    frame.to_csv(out / "molecules.csv", index=False)
    summary: dict = {"n": len(gen.smiles), "valid": len(valid), "validity": len(valid) / max(len(gen.smiles), 1),
                     "mean_log_likelihood": _mean(gen.log_likelihood), "mean_entropy": _mean(gen.entropy),
                     "dead_ends": int(sum(gen.dead_end)), "backtracked": int(sum(r > 0 for r in gen.retries)),
                     "mean_retries": _mean(gen.retries), "restarted": int(sum(gen.restarted))}
    for k in options.unique_k:
        summary[f"unique@{k}"] = unique_at(valid, k)
    summary["intdiv"] = internal_diversity(valid) if valid else None
    if guide is not None:
        ok = scores[np.isfinite(scores)]
        summary["guide_mean"] = float(ok.mean()) if len(ok) else None
        summary["guide_std"] = float(ok.std()) if len(ok) else None
        summary["guide_target"] = guide.target
    if reference is not None:
        summary["novelty"] = novelty(valid, reference["train"])
        summary["scaffold_similarity"] = cosine_similarity(scaffold_counts(valid), reference["scaffolds"])
        summary["fragment_similarity"] = cosine_similarity(fragment_counts(valid), reference["fragments"])
        summary["properties"] = property_report(valid, reference["test"]) if valid else {}
        _property_figure(out / "properties.png", valid, reference["test"])
    if options.grid and valid:
        _grid(out / "grid.png", frame[frame["valid"]].head(options.grid))
    log.info("generated %d: validity %.3f, intdiv %s", len(gen.smiles), summary["validity"], summary["intdiv"])
    return summary


def _grid(path: Path, rows) -> None:
    from rdkit import Chem
    from rdkit.Chem import Draw

    mols = [Chem.MolFromSmiles(s) for s in rows["canonical"]]
    legends = [f"logp {ll:.1f}" + (f" | g {g:.2f}" if np.isfinite(g) else "")
               for ll, g in zip(rows["log_likelihood"], rows["guide_score"])]
    Draw.MolsToGridImage(mols, molsPerRow=6, subImgSize=(220, 180), legends=legends).save(str(path))


def _property_figure(path: Path, generated, reference) -> None:
    from molgdl.run.plots import pyplot

    from .metrics import properties

    plt = pyplot()
    gen, ref = properties(generated), properties(reference)
    fig, axes = plt.subplots(1, len(gen), figsize=(4 * len(gen), 3))
    for ax, key in zip(axes, gen):
        ax.hist(ref[key], bins=40, density=True, alpha=0.5, label="reference")
        ax.hist(gen[key], bins=40, density=True, alpha=0.5, label="generated")
        ax.set_xlabel(key)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
