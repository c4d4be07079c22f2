"""Write a ``FeatureComparison`` as CSV tables, two heatmaps and a short ``summary.md``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .comparison import LEARNED, FeatureComparison
from .plots import correlation_heatmap, interconnection_heatmap

FILES = {
    "features": "features.csv", "blocks": "blocks.csv", "parameters": "block_parameters.csv",
    "interconnection": "interconnection.csv", "partial": "partial_correlations.csv",
    "top_descriptors": "top_descriptors.csv", "correlation_png": "correlation_heatmap.png",
    "interconnection_png": "interconnection_heatmap.png", "summary": "summary.md",
}


def _fmt(x) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _markdown(cmp: FeatureComparison, title: str) -> str:
    s = cmp.summary
    lines = [
        f"# {title}", "",
        f"- molecules: {s['n_molecules']}; learned features kept: {s['n_learned']} "
        f"({s['dropped_learned_constant']} constant dropped); descriptors kept: {s['n_descriptors']} "
        f"({s['dropped_descriptors_constant']} constant and {s['dropped_descriptors_nonfinite']} with "
        "non-finite values dropped)",
        f"- communities ({s['community_method']}): {s['n_communities']}, of which {s['n_mixed_communities']} "
        f"mix learned features and descriptors; {s['n_blocks']} blocks after splitting by origin",
        f"- linear CKA(learned, descriptors) = {_fmt(s['linear_cka'])}; canonical correlations (top "
        f"{s['cca_components']} PCs per set): " + ", ".join(_fmt(c) for c in s["cca"]),
        f"- precision matrix: {s['precision']}",
    ]
    if s["strongest_link"]:
        link = s["strongest_link"]
        lines.append(f"- strongest learned-descriptor link: {link['learned_block']} - {link['descriptor_block']} "
                     f"(mean r = {_fmt(link['mean_r'])})")
    lines += ["", "## Learned blocks and their closest descriptors", "",
              "| learned block | size | top descriptors (r with the block's first PC) |", "|---|---|---|"]
    for b in cmp.blocks[cmp.blocks.origin == LEARNED].itertuples():
        top = cmp.top_descriptors[cmp.top_descriptors.learned_block == b.label]
        lines.append(f"| {b.label} | {b.size} | " + ", ".join(f"{t.descriptor} ({t.r:+.2f})" for t in top.itertuples())
                     + " |")
    if cmp.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in cmp.notes]
    lines += ["", "Files: " + ", ".join(f"`{f}`" for f in FILES.values() if f != "summary.md"), ""]
    return "\n".join(lines)


def write_report(cmp: FeatureComparison, out_dir: Path, title: str = "Learned features vs descriptors") -> dict:
    """Write the tables, heatmaps and summary.md into ``out_dir``; returns ``{key: file name}`` of what was written."""
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for key in ("features", "blocks", "parameters", "top_descriptors"):
        getattr(cmp, key).to_csv(out_dir / FILES[key], index=False, float_format="%.6g")
        written[key] = FILES[key]
    cmp.interconnection.to_csv(out_dir / FILES["interconnection"], float_format="%.6g")
    written["interconnection"] = FILES["interconnection"]
    if cmp.partial is not None:
        cmp.partial.to_csv(out_dir / FILES["partial"], float_format="%.6g")
        written["partial"] = FILES["partial"]
    n_learned = int(np.sum(cmp.features.origin == LEARNED))
    fig = correlation_heatmap(cmp.correlation, cmp.order, cmp.features.community.to_numpy(), n_learned,
                              out_dir / FILES["correlation_png"])
    plt.close(fig)
    fig = interconnection_heatmap(cmp.interconnection, out_dir / FILES["interconnection_png"])
    plt.close(fig)
    written.update(correlation_png=FILES["correlation_png"], interconnection_png=FILES["interconnection_png"])
    (out_dir / FILES["summary"]).write_text(_markdown(cmp, title))
    written["summary"] = FILES["summary"]
    return written
