"""What an ensemble run writes to explain itself: ``ensemble.json`` (weights, every member's out-of-fold
score, the stack's) and ``why.txt`` (the same numbers in sentences, generated, never typed in)."""

from __future__ import annotations

from typing import Any

from molgdl.tune.schema import DEFAULT_METRIC, METRIC_DIRECTIONS


def metric_of(task: str) -> str:
    return DEFAULT_METRIC[task]


def best_member(oof: dict[str, dict[str, Any]], metric: str) -> str | None:
    scored = {m: s.get("overall", {}).get(metric) for m, s in oof.items()}
    scored = {m: v for m, v in scored.items() if v is not None}
    if not scored:
        return None
    pick = min if METRIC_DIRECTIONS[metric] == "minimize" else max
    return pick(scored, key=scored.get)


def why_text(info: dict[str, Any]) -> str:
    """Sentences from ``ensemble.json``'s numbers, one paragraph per replicate."""
    metric = info["metric"]
    members = list(info["members"])
    lines = [f"Ensemble of {len(members)} members ({', '.join(members)}), weights: {info['method']}"
             + (" (non-negative least squares on out-of-fold predictions, normalised to sum 1)"
                if info["method"] == "stacking" else " (equal)") + "."]
    fits = [f"{kind} members on the outer training and validation molecules (ensemble.{kind}_fit: train_and_val)"
            for kind in ("classical", "neural") if info.get(f"{kind}_fit") == "train_and_val"]
    if fits:
        lines.append("Final models: " + "; ".join(fits) + (", each trained for the best epoch of its run on "
                                                          "the outer split (epoch_choice/)" if
                                                          info.get("neural_fit") == "train_and_val" else "")
                     + ": their validation scores are in-sample.")
    for key, rep in info["replicates"].items():
        lines.append("")
        if info["inner_folds"] == 0:
            lines.append(f"{key}: no inner cross-validation (inner_folds: 0): every member trained once on "
                         "the outer split, equal weights fixed in advance.")
        else:
            lines.append(f"{key}: inner {info['inner_folds']}-fold CV on the {rep['n_inner_molecules']} "
                         "outer training molecules (the validation and test molecules were not used).")
        scores = ", ".join(f"{m} {rep['oof'][m]['overall'][metric]:.4f}" for m in members
                           if metric in rep["oof"].get(m, {}).get("overall", {}))
        best = best_member(rep["oof"], metric)
        best_note = f" (best single member: {best})" if best else ""
        if scores:
            lines.append(f"  out-of-fold {metric}: {scores}{best_note}.")
        cliffs = ", ".join(f"{m} {rep['oof'][m]['overall']['cliff_rmse']:.4f}" for m in members
                           if "cliff_rmse" in rep["oof"].get(m, {}).get("overall", {}))
        if cliffs:
            lines.append(f"  out-of-fold cliff_rmse (activity-cliff molecules): {cliffs}.")
        for target, weights in rep["weights"].items():
            shown = ", ".join(f"{m} {w:.3f}" for m, w in sorted(weights.items(), key=lambda kv: -kv[1]))
            lines.append(f"  weights for {target}: {shown}.")
        stack = rep["stack_oof"].get("overall", {}).get(metric)
        if stack is not None:
            lines.append(f"  the stack's out-of-fold {metric}: {stack:.4f}"
                         + (" (weights fitted on these same predictions, so slightly optimistic)"
                            if info["method"] == "stacking" else "") + ".")
        skipped = [m for m in members if m not in rep["trained"]]
        if skipped:
            lines.append("  not trained on the outer split (weight 0 for every target): "
                         f"{', '.join(skipped)}.")
        test = rep.get("test", {}).get("overall", {})
        for name in (metric, "cliff_rmse"):
            if name not in test:
                continue
            member_test = ", ".join(f"{m} {v[name]:.4f}" for m, v in rep.get("member_test", {}).items()
                                    if name in v)
            lines.append(f"  test {name}: ensemble {test[name]:.4f}"
                         + (f"; members alone: {member_test}" if member_test else "") + ".")
    return "\n".join(lines) + "\n"
