"""Mean +/- std over replicates."""

from __future__ import annotations

from typing import Any

import numpy as np


def summarize(replicates: dict[int, dict[str, Any]], task: str, target_names: list[str]) -> dict[str, Any]:
    """``{"seeds": [...], "test"/"val"/"train": {target: {metric: {"mean", "std", "values"}}}}``."""
    seeds = sorted(replicates)
    out: dict[str, Any] = {"seeds": seeds, "task": task}
    for split in ("train", "val", "test"):
        per: dict[str, dict[str, Any]] = {}
        extra_keys = sorted({k for r in replicates.values() for k in r.get("metrics", {}).get(split, {})}
                            - {*target_names, "overall"})  # e.g. "forces"
        for target in [*target_names, "overall", *extra_keys]:
            metrics: dict[str, list[float]] = {}
            for s in seeds:
                for k, v in replicates[s].get("metrics", {}).get(split, {}).get(target, {}).items():
                    metrics.setdefault(k, []).append(v)
            per[target] = {k: {"mean": float(np.mean(v)), "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0,
                               "values": v} for k, v in metrics.items()}
        out[split] = per
    return out


def summary_rows(summary: dict[str, Any], split: str = "test") -> list[tuple[str, str, str]]:
    rows = []
    for target, metrics in summary.get(split, {}).items():
        for k, v in metrics.items():
            mean = v["mean"]
            defined = mean is not None and np.isfinite(mean)
            rows.append((target, k, f"{mean:.4f} ± {v['std']:.4f}" if defined else "undefined (see run.log)"))
    return rows
