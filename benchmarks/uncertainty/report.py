"""Regenerate the BENCHMARKS.md uncertainty section (issue 18) from the raw per-molecule results in
``benchmarks/uncertainty/results/`` (written by ``run.py``). Every calibration, metric and verdict below is computed
here from those files, with molgdl's calibrators and metrics (``molgdl.uncertainty``) applied alike to every arm;
chemprop's arms also get chemprop's own calibrators (its zscaling variance and conformal-regression half interval).

    python benchmarks/uncertainty/report.py            # the full benchmark's results (quick-mode ones if none)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import write_section  # noqa: E402

from molgdl.uncertainty.calibration import (ConformalCalibrator, IsotonicRegressionCalibrator,  # noqa: E402
                                            NoCalibration, ZScaling, gaussian_z)
from molgdl.uncertainty.metrics import regression_metrics  # noqa: E402

SECTIONS = ("uncertainty",)
QUICK = ("run.py --quick",)
RESULTS = HERE / "results"
COVERAGE = 0.9
CALIBRATORS = {"none": NoCalibration(), "zscaling": ZScaling(), "isotonic": IsotonicRegressionCalibrator(),
               "conformal": ConformalCalibrator()}


def load(results: Path = RESULTS) -> tuple[list[dict], bool]:
    full = [json.loads(p.read_text()) for p in sorted(results.glob("*.json")) if not p.name.startswith("quick__")]
    if full:
        return full, False
    return [json.loads(p.read_text()) for p in sorted(results.glob("quick__*.json"))], True


def arms_in_progress(results: Path = RESULTS) -> dict[tuple[str, str], list[str]]:
    """(set, split) -> the arms already kept of a cell that is not finished (``run.py``'s results/partial/)."""
    out: dict[tuple[str, str], list[str]] = {}
    for cell in sorted((results / "partial").glob("*__*__s*")):
        name, split, _ = cell.name.split("__")
        out.setdefault((name, split), []).extend(p.stem for p in sorted(cell.glob("*.json")))
    return out


def _arrays(part: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.asarray(part["y"], float), np.asarray(part["mu"], float),
            np.maximum(np.asarray(part["sigma"], float), 1e-12))


def arm_metrics(arm: dict) -> dict[str, dict[str, float]]:
    """``{calibration: metrics on test}``: molgdl's four calibrators fitted on val, and for chemprop arms its own."""
    yv, mv, sv = _arrays(arm["val"])
    yt, mt, st = _arrays(arm["test"])
    out = {"rmse": {"rmse": float(np.sqrt(np.mean((yt - mt) ** 2)))}}
    for name, cal in CALIBRATORS.items():
        state = cal.fit(mv, sv, yv)
        out[name] = regression_metrics(yt, mt, cal.uncertainty(state, mt, st, COVERAGE),
                                       lambda c, cal=cal, state=state: cal.interval(state, mt, st, c), COVERAGE)
    if "chemprop_zscaling_sigma" in arm["test"]:
        zs = np.maximum(np.asarray(arm["test"]["chemprop_zscaling_sigma"], float), 1e-12)
        out["chemprop_zscaling"] = regression_metrics(
            yt, mt, zs, lambda c: (mt - gaussian_z(c) * zs, mt + gaussian_z(c) * zs), COVERAGE)
        half = np.asarray(arm["test"]["chemprop_conformal_half"], float)
        out["chemprop_conformal"] = {"unc_coverage": float(np.mean(np.abs(yt - mt) <= half)),
                                     "unc_width": float(np.mean(2 * half))}
    return out


def _fmt(v: float, pct: bool = False) -> str:
    if v is not None and np.isposinf(v):
        return "inf"
    if v is None or not np.isfinite(v):
        return "n/a"
    return f"{100 * v:.1f}" if pct else f"{v:.3f}"


def planned_cells() -> list[tuple[str, str]]:
    """(set, split) of the full benchmark, from ``run.py`` here (loaded by path: other benchmarks have a run.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("uncertainty_benchmark_run", HERE / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [(name, split) for name, _, split in module.benchmark_sets(False)]


def build(records: list[dict], quick: bool, in_progress: dict[tuple[str, str], list[str]] | None = None) -> str:
    table = {(r["set"], r["split"], r["seed"]): {a: arm_metrics(v) for a, v in r["arms"].items()} for r in records}
    arms = sorted({a for t in table.values() for a in t})
    molgdl = [a for a in arms if a.startswith("molgdl:")]
    chemprop = [a for a in arms if a.startswith("chemprop:")]
    keys = sorted(table)
    random_keys = [k for k in keys if k[1] == "random"]
    n_test = {(r["set"], r["split"], r["seed"]): len(next(iter(r["arms"].values()))["test"]["y"]) for r in records}
    # the validation molecules molgdl's conformal calibrator was fitted on (the same split for every molgdl arm)
    n_val = {(r["set"], r["split"], r["seed"]): len(next(v for a, v in r["arms"].items()
                                                       if a.startswith("molgdl:"))["val"]["y"]) for r in records}
    s = records[0]["settings"]
    lines = ["## Uncertainty: molgdl estimators vs chemprop 2.3.1 (issue 18)", ""]
    partial = False
    if not quick:
        planned = planned_cells()
        missing = [f"{n} {sp}" + (f" ({len(in_progress[n, sp])} arm files kept: {', '.join(in_progress[n, sp])})"
                                   if (in_progress or {}).get((n, sp)) else "")
                   for n, sp in planned if not any(k[:2] == (n, sp) for k in table)]
        partial = bool(missing)
        if missing:
            lines += [f"**Partial benchmark**: {len(planned) - len(missing)} of the {len(planned)} set x split "
                      f"cells measured; not yet: {', '.join(missing)}. Every table and verdict below covers the "
                      "measured cells only, so none of them settles the issue's lines; `run.py` keeps finished "
                      "cells, and the finished arms of unfinished ones (`results/partial/`), and runs the rest.", ""]
    if quick:
        lines += ["**Quick-mode results only** (`run.py --quick`: ESOL, 300 molecules, a few epochs): a smoke run of "
                  "the benchmark, not its measurement; the acceptance lines below are computed from it but prove "
                  "nothing yet.", ""]
    lines += [f"D-MPNN {s['hidden']} x 3, {s['epochs']} epochs, noam schedule; ensembles of {s['members']} "
              f"members; mc_dropout {s['passes']} passes; langevin: one QAdam chain of {s['members']} x "
              f"{s['epochs']} epochs with {s['snapshots']} snapshots in its second half (the ensemble's training "
              "cost). chemprop 2.3.1 trains on the same splits (`chemprop_uq.py`). Calibrators are fitted on the "
              f"validation split; metrics on the test split. Sets x splits x seeds: {len(keys)}. Command: "
              f"`{records[0]['command']}`, then `python benchmarks/uncertainty/report.py`; raw per-molecule results: "
              f"`benchmarks/uncertainty/results/{'quick__' if quick else ''}<set>__<split>__s<seed>.json`. "
              "Machine: " + records[0]["machine"] + ".", ""]
    # coverage of conformal intervals per set
    lines += [f"### Coverage of {int(COVERAGE * 100)}% intervals on the test split (%)", "",
              "molgdl arms: split-conformal (normalised scores) fitted on validation; chemprop arms: its own "
              "conformal-regression calibrator.", "",
              "| set | split | n test | " + " | ".join(a.split(":")[1] + (" (cp)" if a in chemprop else "")
                                             for a in molgdl + chemprop) + " |",
              "|---|---|---|" + "---|" * len(molgdl + chemprop)]
    for k in keys:
        row = [_fmt(table[k][a]["conformal"]["unc_coverage"], True) if a in molgdl else
               _fmt(table[k][a]["chemprop_conformal"]["unc_coverage"], True) for a in molgdl + chemprop]
        lines.append(f"| {k[0]} | {k[1]} | {n_test[k]} | " + " | ".join(row) + " |")
    # mean miscalibration area and spearman on random splits
    lines += ["", "### Mean over random-split sets (test split)", "",
              "After z-scaling fitted on validation (molgdl's for molgdl arms; chemprop's own for chemprop arms, "
              "and molgdl's z-scaling on chemprop's raw spread for a same-calibrator comparison).", "",
              "| arm | calibration | RMSE | miscalibration area | Spearman(abs error, unc) | ENCE | NLL |",
              "|---|---|---|---|---|---|---|"]
    summary: dict[tuple[str, str], dict[str, float]] = {}
    not_finite: list[str] = []
    for a in molgdl + chemprop:
        for cal in (["zscaling"] if a in molgdl else ["chemprop_zscaling", "zscaling"]):
            vals = {}
            for m in ("unc_miscal_area", "unc_spearman", "unc_ence", "unc_nll"):
                cells = {k: table[k][a][cal][m] for k in random_keys}
                vals[m] = float(np.nanmean(list(cells.values())))  # an infinite value stays: the mean is inf
                odd = [f"{k[0]} ({_fmt(v)})" for k, v in cells.items() if not np.isfinite(v)]
                if odd:
                    not_finite.append(f"- {a}, {cal}, {m.removeprefix('unc_')}: not finite on {', '.join(odd)}"
                                      + ("; the mean is over the other sets" if any(np.isnan(cells[k]) for k in
                                                                                   cells) else ""))
            vals["rmse"] = float(np.mean([table[k][a]["rmse"]["rmse"] for k in random_keys]))
            summary[(a, cal)] = vals
            lines.append(f"| {a} | {cal} | {_fmt(vals['rmse'])} | {_fmt(vals['unc_miscal_area'])} | "
                         f"{_fmt(vals['unc_spearman'])} | {_fmt(vals['unc_ence'])} | {_fmt(vals['unc_nll'])} |")
    if not_finite:
        lines += ["", "Cells where a metric is not finite (an infinite predicted variance gives an infinite NLL; "
                  "n/a: undefined, e.g. a constant uncertainty has no Spearman correlation):", "", *not_finite]
    seconds = {(r["set"], r["split"], r["seed"]): {a: v.get("train_seconds", float("nan"))
                                                   for a, v in r["arms"].items()} for r in records}
    lines += ["", *langevin_section(table, keys, seconds), "",
              *acceptance(table, keys, random_keys, n_test, n_val, summary, molgdl, chemprop, partial)]
    return "\n".join(lines)


def langevin_section(table, keys, table_seconds) -> list[str]:
    a, b = "molgdl:langevin", "molgdl:ensemble"
    have = [k for k in keys if a in table[k] and b in table[k]]
    if not have:
        return ["### Langevin vs ensemble at equal training cost", "", "not measured (no results with both arms)"]
    out = ["### Langevin posterior samples vs deep ensemble at equal training cost", "",
           "| set | split | RMSE L / E | miscal. area L / E | Spearman L / E | NLL L / E |",
           "|---|---|---|---|---|---|"]
    for k in have:
        la, en = table[k][a], table[k][b]
        cells = [f"{_fmt(la['rmse']['rmse'])} / {_fmt(en['rmse']['rmse'])}"]
        cells += [f"{_fmt(la['zscaling'][m])} / {_fmt(en['zscaling'][m])}"
                  for m in ("unc_miscal_area", "unc_spearman", "unc_nll")]
        out.append(f"| {k[0]} | {k[1]} | " + " | ".join(cells) + " |")
    words, shown = [], []
    for m, cal, sign in (("rmse", "rmse", -1), ("unc_miscal_area", "zscaling", -1),
                         ("unc_spearman", "zscaling", 1), ("unc_nll", "zscaling", -1)):
        text, p = paired_spread(table, have, (a, cal), (b, cal), m, sign)
        name = m.removeprefix("unc_")
        words.append(f"{name} (L - E): {text}")
        if p < 0.05:
            shown.append(name)
    ratio = [table_seconds[k][a] / table_seconds[k][b] for k in have if table_seconds[k][b] > 0]
    out += ["", "Langevin (one chain, snapshots) vs ensemble (independent members), same number of epochs in all "
            f"(measured training time Langevin / ensemble: {np.mean(ratio):.2f} on average): "
            + "; ".join(words) + ". In plain words: " + (
                "no difference between them is shown on any of these metrics at 5 % (Wilcoxon over the cells)"
                if not shown else
                "a difference at 5 % (Wilcoxon over the cells) on " + ", ".join(shown)
                + ", in the direction the mean difference gives") + "."]
    return out


def split_conformal_coverage(n_cal: int, coverage: float = COVERAGE):
    """The exact law of the coverage of a split-conformal interval over its calibration draw (Vovk 2012;
    Angelopoulos & Bates 2021, sec. 3.2): with the ``k = ceil((n + 1) c)``-th smallest of ``n`` exchangeable
    scores, the probability that a new point is covered is Beta(k, n + 1 - k). The covered count among ``m``
    test molecules is then BetaBinomial(m, k, n + 1 - k): test-set sampling and the calibration set's
    quantile together. Returns (a, b) of that Beta, or None when ``k > n`` (an infinite interval)."""
    k = int(np.ceil((n_cal + 1) * coverage))
    return None if k > n_cal else (k, n_cal + 1 - k)


def conformal_coverage_pvalue(covered: int, m: int, n_cal: int, coverage: float = COVERAGE) -> float:
    """Two-sided exact p-value of ``covered`` of ``m`` test molecules under split conformal's own coverage law
    (:func:`split_conformal_coverage`): the probability of a count at most as likely as the one observed."""
    from scipy.stats import betabinom

    ab = split_conformal_coverage(n_cal, coverage)
    if ab is None:
        return 1.0 if covered == m else 0.0
    pmf = betabinom.pmf(np.arange(m + 1), m, *ab)
    return float(min(1.0, pmf[pmf <= pmf[covered] * (1 + 1e-9)].sum()))


def band_probability(m: int, n_cal: int, low: float = 0.88, high: float = 0.92, coverage: float = COVERAGE) -> float:
    """Probability that a correct split-conformal interval (calibrated on ``n_cal`` exchangeable molecules) covers
    a fraction in ``[low, high]`` of ``m`` test molecules, under its beta-binomial law
    (:func:`split_conformal_coverage`)."""
    from scipy.stats import betabinom

    ab = split_conformal_coverage(n_cal, coverage)
    if ab is None:
        return float(low <= 1.0 <= high)
    counts = np.arange(m + 1)
    inside = (counts >= low * m - 1e-9) & (counts <= high * m + 1e-9)
    return float(betabinom.pmf(counts[inside], m, *ab).sum())


def coverage_consistency(table, random_keys, n_test, n_val, arms) -> str:
    """Are the random-split coverages what split-conformal 90% intervals give? Per set x estimator cell, an exact
    test of the covered count under its beta-binomial law (calibration on the validation split, so its noise
    counts too); pooled, observed against expected coverage, twice: with the cells taken as independent
    (optimistic: the estimators of one set share its test and validation molecules) and with each set counted
    once, its estimators' counts taken as fully correlated (conservative: the variance of their mean is the square
    of their mean standard deviation)."""
    from scipy.stats import betabinom, norm

    cells = {k: [(round(table[k][a]["conformal"]["unc_coverage"] * n_test[k]), n_test[k], n_val[k]) for a in arms]
             for k in random_keys}
    flat = [c for k in random_keys for c in cells[k]]
    if not flat:
        return ""
    rejected = sum(conformal_coverage_pvalue(c, m, n) < 0.05 for c, m, n in flat)
    law = {k: betabinom(n_test[k], *split_conformal_coverage(n_val[k])) for k in random_keys
           if split_conformal_coverage(n_val[k])}
    hits, total = sum(c for c, _, _ in flat), sum(m for _, m, _ in flat)
    expected = sum(law[k].mean() * len(cells[k]) for k in law)

    def two_sided(excess: float, var: float) -> float:
        return 2 * norm.sf(abs(excess) / np.sqrt(var)) if var > 0 else float("nan")

    p_cells = two_sided(hits - expected, sum(law[k].var() * len(cells[k]) for k in law))
    set_excess = sum(np.mean([c for c, _, _ in cells[k]]) - law[k].mean() for k in law)  # one mean count per set
    p_sets = two_sided(set_excess, sum(law[k].var() for k in law))
    return (f" Exact tests of each covered count against split conformal's own coverage law (beta-binomial over "
            f"the test molecules and the {min(n_val[k] for k in random_keys)}-{max(n_val[k] for k in random_keys)}"
            f" validation molecules it is calibrated on): {rejected} of {len(flat)} cells differ at 5 %; pooled "
            f"over the cells {100 * hits / total:.1f}% of {total} test predictions covered against "
            f"{100 * expected / total:.1f}% expected: p = {p_cells:.2g} with the cells taken as independent "
            f"(optimistic: the {len(arms)} estimators of a set share its test and validation molecules), "
            f"p = {p_sets:.2g} with each of the {len(law)} sets counted once and its estimators fully correlated "
            "(conservative).")


def band_sentence(random_keys, n_test, n_val) -> str:
    """How likely a correct split-conformal estimator is to meet the 88-92% band on every set at once: the product
    of the per-set probabilities (:func:`band_probability`, sets independent), and the expected number of sets."""
    per_set = [band_probability(n_test[k], n_val[k]) for k in random_keys]
    if not per_set:
        return ""
    return (f" A correct split-conformal estimator on these test and validation sizes lands inside 88-92% on a set "
            f"with probability {min(per_set):.2f}-{max(per_set):.2f}, on {sum(per_set):.1f} of the "
            f"{len(per_set)} sets on average, and on all {len(per_set)} at once with probability "
            f"{np.prod(per_set):.2g}.")


def paired_spread(table, keys, ours: tuple[str, str], theirs: tuple[str, str], metric: str,
                  better: float) -> tuple[str, float]:
    """The spread behind a comparison of two means over sets: per set, the difference ``ours - theirs`` of
    ``metric`` (each arm with its calibration), on how many sets ours is better (``better`` = -1: lower is better,
    +1: higher), the mean and standard deviation of the differences, and a two-sided Wilcoxon signed-rank p-value
    with the sets as the replicates. Sets where either value is not finite are left out (and counted).
    Returns the sentence and the p-value (nan with fewer than 2 finite sets)."""
    from scipy.stats import wilcoxon

    d = np.array([table[k][ours[0]][ours[1]][metric] - table[k][theirs[0]][theirs[1]][metric] for k in keys])
    finite = d[np.isfinite(d)]
    if len(finite) < 2:
        return "too few sets for a spread", float("nan")
    p = wilcoxon(finite).pvalue if np.any(finite != 0) else 1.0
    left = f", {len(d) - len(finite)} set(s) not finite left out" if len(finite) < len(d) else ""
    return (f"per set {'lower' if better < 0 else 'higher'} on {int(np.sum(better * finite > 0))} of {len(finite)}, "
            f"difference {finite.mean():+.3f} +/- {finite.std(ddof=1):.3f} (SD over sets), Wilcoxon p = {p:.2g}"
            f"{left}"), float(p)


def acceptance(table, keys, random_keys, n_test, n_val, summary, molgdl, chemprop,
               partial: bool = False) -> list[str]:
    out = ["### Acceptance (issue 18), computed from the results above", ""]

    def said(ok: bool) -> str:
        word = "holds" if ok else "fails"
        return (f"{word} on the {len(random_keys)} measured random-split cell(s) only, not a verdict (partial "
                "benchmark)") if partial else word

    outside = [(k[0], a.split(":")[1], table[k][a]["conformal"]["unc_coverage"]) for k in random_keys
               for a in molgdl if not 0.88 <= table[k][a]["conformal"]["unc_coverage"] <= 0.92]
    from scipy.stats import betabinom

    se = {k: betabinom(n_test[k], *split_conformal_coverage(n_val[k])).std() / n_test[k] for k in random_keys
          if split_conformal_coverage(n_val[k])}
    verdict = said(not outside)
    out.append(f"- Conformal 90% intervals cover 88-92% of test molecules on every random-split set: **{verdict}**"
               + ("" if not outside else f" ({len(outside)} of {len(random_keys) * len(molgdl)} set x estimator "
                  "cells outside: " + ", ".join(f"{s} {a} {100 * c:.1f}%" for s, a, c in outside[:8])
                  + (", ..." if len(outside) > 8 else "") + ")")
               + f". Standard deviation of a split-conformal test coverage at 90% (calibration and test noise): "
               f"{100 * min(se.values()):.1f}-{100 * max(se.values()):.1f} points on these sets, so a +/-2 point band "
               "is narrower than the method's own spread on every one of them."
               + band_sentence(random_keys, n_test, n_val)
               + coverage_consistency(table, random_keys, n_test, n_val, molgdl))
    mg = {a: v for (a, cal), v in summary.items() if a in molgdl}
    cp = {(a, cal): v for (a, cal), v in summary.items() if a in chemprop and cal == "chemprop_zscaling"}
    if mg and cp:
        def worst_if_nan(value: float, sign: float) -> float:  # an undefined metric never wins
            return sign * value if np.isfinite(value) else np.inf

        best_mg_area = min(mg.items(), key=lambda kv: worst_if_nan(kv[1]["unc_miscal_area"], 1))
        best_cp_area = min(cp.items(), key=lambda kv: worst_if_nan(kv[1]["unc_miscal_area"], 1))
        best_mg_rho = min(mg.items(), key=lambda kv: worst_if_nan(kv[1]["unc_spearman"], -1))
        best_cp_rho = min(cp.items(), key=lambda kv: worst_if_nan(kv[1]["unc_spearman"], -1))
        area_ok = bool(best_mg_area[1]["unc_miscal_area"] < best_cp_area[1]["unc_miscal_area"]
                       or not np.isfinite(best_cp_area[1]["unc_miscal_area"]))
        rho_ok = bool(best_mg_rho[1]["unc_spearman"] > best_cp_rho[1]["unc_spearman"]
                      or (np.isfinite(best_mg_rho[1]["unc_spearman"])
                          and not np.isfinite(best_cp_rho[1]["unc_spearman"])))
        area_spread, area_p = paired_spread(table, random_keys, (best_mg_area[0], "zscaling"), best_cp_area[0],
                                            "unc_miscal_area", -1)
        rho_spread, rho_p = paired_spread(table, random_keys, (best_mg_rho[0], "zscaling"), best_cp_rho[0],
                                          "unc_spearman", 1)
        shown = area_ok and rho_ok and area_p < 0.05 and rho_p < 0.05
        out.append(f"- molgdl's best estimator beats chemprop's best (random splits, mean over sets): "
                   f"**{said(area_ok and rho_ok)}**"
                   + ("" if shown or not (area_ok and rho_ok) else
                      " on the means, but the per-set spread does not show it (a Wilcoxon p at or above 0.05)")
                   + ": miscalibration area "
                   f"{best_mg_area[0]} {best_mg_area[1]['unc_miscal_area']:.3f} vs {best_cp_area[0][0]} "
                   f"{best_cp_area[1]['unc_miscal_area']:.3f} ({'lower' if area_ok else 'not lower'}; "
                   + area_spread
                   + f"); Spearman {best_mg_rho[0]} {best_mg_rho[1]['unc_spearman']:.3f} vs {best_cp_rho[0][0]} "
                   f"{best_cp_rho[1]['unc_spearman']:.3f} ({'higher' if rho_ok else 'not higher'}; "
                   + rho_spread
                   + "). One seed per set: the sets are the replicates of this comparison.")
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", type=Path, default=RESULTS, help="folder of raw results (default: the committed)")
    args = p.parse_args(argv)
    records, quick = load(args.results)
    if not records:
        raise SystemExit(f"no results in {args.results}: run benchmarks/uncertainty/run.py first")
    write_section("uncertainty", build(records, quick, None if quick else arms_in_progress(args.results)))
    print(f"wrote the uncertainty section from {len(records)} result file(s)" + (" (quick mode)" if quick else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
