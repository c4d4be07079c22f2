"""Writes the ``assay`` section of BENCHMARKS.md from the records in ``benchmarks/assay/results/`` alone.

    python benchmarks/assay/report.py                   # rewrite the section
    python benchmarks/assay/report.py --print           # print it, touch nothing
    python benchmarks/assay/report.py --results DIR     # another records folder (.bench/assay_quick/results)

Every number and every comparison in the section is computed here from the records: per-set tables of test
RMSE and cliff RMSE (mean ± sample std over seeds), means over sets, wins per arm, and paired comparisons.
A comparison A vs B on a set is stated only when both arms have >= 5 seeds (a deterministic arm, which gives
the same result for every seed, counts as having all of them) and a paired t-test over the shared seeds says
p < 0.05; otherwise it reads "within noise" or "not compared (n seeds)".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import common  # noqa: E402

RESULTS = HERE / "results"
SECTION = "assay"
MIN_SEEDS, ALPHA = 5, 0.05
METRICS = {"test_rmse": "test RMSE", "cliff_rmse": "cliff RMSE"}
# display order and names; arms not listed here are shown after these, under their own name
ARM_LABELS = {
    "svr_tanimoto": "SVR Tanimoto (direct)", "knn_tanimoto": "k-NN Tanimoto (direct)",
    "lightgbm": "LightGBM (direct)", "rf": "RF (direct)", "chemprop": "chemprop 2.3.1",
    "molgdl_svm": "molgdl svm", "molgdl_knn": "molgdl knn", "molgdl_lightgbm": "molgdl lightgbm",
    "molgdl_linear": "molgdl linear", "molgdl_rf_config": "molgdl RF config",
    "assay_preset": "molgdl assay preset",
}
PAIRS = [("molgdl_svm", "svr_tanimoto"), ("molgdl_knn", "knn_tanimoto"), ("molgdl_lightgbm", "lightgbm"),
         ("molgdl_rf_config", "rf"), ("rf", "svr_tanimoto"), ("lightgbm", "svr_tanimoto"),
         ("knn_tanimoto", "svr_tanimoto"), ("molgdl_rf_config", "svr_tanimoto"),
         ("molgdl_linear", "svr_tanimoto"),
         ("chemprop", "svr_tanimoto"), ("assay_preset", "svr_tanimoto"), ("assay_preset", "chemprop")]
NOT_RUN_REASON = {"assay_preset": "molgdl's assay preset config does not exist yet (issue 16, deliverable 2)"}


def load(results: Path) -> dict[str, dict[str, dict[int, dict]]]:
    """``runs[arm][set][seed] = record`` from ``results/<arm>/<set>__s<seed>.json``."""
    runs: dict = defaultdict(lambda: defaultdict(dict))
    for p in sorted(results.glob("*/*.json")):
        r = json.loads(p.read_text())
        runs[r["arm"]][r["set"]][int(r["seed"])] = r
    return runs


def arm_order(runs) -> list[str]:
    return [a for a in ARM_LABELS if a in runs] + sorted(a for a in runs if a not in ARM_LABELS)


def label(arm: str) -> str:
    return ARM_LABELS.get(arm, arm)


def deterministic(seeds: dict[int, dict]) -> bool:
    return bool(seeds) and all(r.get("deterministic") for r in seeds.values())


def values(seeds: dict[int, dict], metric: str) -> np.ndarray:
    return np.array([seeds[s][metric] for s in sorted(seeds)], dtype=float)


def cell(seeds: dict[int, dict] | None, metric: str) -> str:
    if not seeds:
        return "–"
    v = values(seeds, metric)
    if deterministic(seeds):
        return f"{v.mean():.3f} (det.)"
    sd = v.std(ddof=1) if len(v) > 1 else 0.0
    return f"{v.mean():.3f} ± {sd:.3f} ({len(v)})"


def set_mean(seeds: dict[int, dict], metric: str) -> float:
    return float(values(seeds, metric).mean())


def paired(a: dict[int, dict], b: dict[int, dict], metric: str) -> tuple[str, float | None, float | None]:
    """('A' | 'B' | 'noise' | 'not compared (...)', mean difference A - B, p) for one set."""
    from scipy import stats

    det_a, det_b = deterministic(a), deterministic(b)
    if det_a and det_b:
        return "not compared (1 seed each, both deterministic)", None, None
    if det_a or det_b:
        seeds = sorted(b if det_a else a)
    else:
        seeds = sorted(set(a) & set(b))
    if len(seeds) < MIN_SEEDS:
        n = len(seeds)
        return f"not compared ({n} seed{'s' if n != 1 else ''})", None, None
    va = np.array([(a[0] if det_a else a[s])[metric] for s in seeds])
    vb = np.array([(b[0] if det_b else b[s])[metric] for s in seeds])
    d = va - vb
    if np.all(d == d[0]):  # no spread: the t statistic is undefined; a constant non-zero gap is exact
        return ("noise" if d[0] == 0 else ("A" if d[0] < 0 else "B")), float(d.mean()), 0.0 if d[0] else 1.0
    p = float(stats.ttest_rel(va, vb).pvalue)
    verdict = ("A" if d.mean() < 0 else "B") if p < ALPHA else "noise"
    return verdict, float(d.mean()), p


def how(by_set: dict[str, dict[int, dict]]) -> str:
    """What an arm's records say it trained, from its first record."""
    r = next(iter(next(iter(by_set.values())).values()))
    params = r.get("params")
    if isinstance(params, dict):
        return "; grid-searched, refitted on the whole training split"
    if params == "config":  # a whole config: the one its command names
        config = next((w for w in r.get("command", "").split() if w.startswith("configs/")), "its config")
        return f"; {config} as it stands (one thread)"
    if isinstance(params, str):
        return f"; model `{params}`, its registered defaults otherwise"
    if "epochs" in r:
        return f"; {r['epochs']} epochs, a fixed 10 % of train (seed {r.get('val_seed')}) as validation"
    return ""


def coverage_lines(runs, sets: list[str]) -> list[str]:
    lines = []
    for arm in arm_order(runs):
        by_set = runs[arm]
        seeds = sorted({s for v in by_set.values() for s in v})
        det = all(deterministic(v) for v in by_set.values())
        n_runs = sum(len(v) for v in by_set.values())
        what = "seed 0 only: deterministic, every seed gives this result" if det else \
            f"seeds {', '.join(map(str, seeds))}"
        partial = [s for s in sets if s in by_set and len(by_set[s]) < len(seeds)]
        lines.append(f"- {label(arm)} (`{arm}`): {len(by_set)} of {len(sets)} sets, {what}, {n_runs} runs"
                     + (f"; fewer seeds on {', '.join(partial)}" if partial else "") + how(by_set) + ".")
    for arm, why in NOT_RUN_REASON.items():
        if arm not in runs:
            lines.append(f"- {label(arm)} (`{arm}`): not run: {why}.")
    return lines


def metric_table(runs, arms: list[str], sets: list[str], metric: str) -> list[str]:
    lines = ["| set | n train / test (cliff) | " + " | ".join(label(a) for a in arms) + " |",
             "|---|---|" + "---|" * len(arms)]
    for s in sets:
        any_rec = next(iter(next(runs[a][s] for a in arms if s in runs[a]).values()))
        n_train = any_rec["n_train"] + any_rec.get("n_val", 0)
        n = f"{n_train} / {any_rec['n_test']} ({any_rec['n_test_cliff']})"
        lines.append(f"| {s} | {n} | " + " | ".join(cell(runs[a].get(s), metric) for a in arms) + " |")
    full = [a for a in arms if all(s in runs[a] for s in sets)]
    lines.append(f"| **mean over the {len(sets)} sets** | | " + " | ".join(
        f"**{np.mean([set_mean(runs[a][s], metric) for s in sets]):.3f}**" if a in full else
        f"({plural(len(runs[a]), 'set')})" for a in arms) + " |")
    common_sets = [s for s in sets if all(s in runs[a] for a in arms)]
    if 0 < len(common_sets) < len(sets):
        lines.append(f"| mean over the {plural(len(common_sets), 'set')} every arm ran | | " + " | ".join(
            f"{np.mean([set_mean(runs[a][s], metric) for s in common_sets]):.3f}" for a in arms) + " |")
    return lines


def wins_lines(runs, arms: list[str], sets: list[str], metric: str) -> list[str]:
    full = [a for a in arms if all(s in runs[a] for s in sets)]
    if len(full) < 2:
        return [f"Wins ({METRICS[metric]}): fewer than 2 arms ran on every set; not counted."]
    wins = Counter(min(full, key=lambda a: set_mean(runs[a][s], metric)) for s in sets)
    left_out = [label(a) for a in arms if a not in full]
    text = ", ".join(f"{label(a)} {wins[a]}" for a in sorted(full, key=lambda a: -wins[a]))
    return [f"Wins on {METRICS[metric]} (lowest mean on a set, among the {len(full)} arms that ran on all "
            f"{len(sets)} sets): {text}."
            + (f" Not counted (fewer sets): {', '.join(left_out)}." if left_out else "")]


def pairs_table(runs, sets: list[str]) -> list[str]:
    lines = ["| A vs B | metric | A lower | B lower | within noise | not compared "
             "| mean A − B over compared sets |",
             "|---|---|---|---|---|---|---|"]
    for a, b in PAIRS:
        if a not in runs or b not in runs:
            continue
        both = [s for s in sets if s in runs[a] and s in runs[b]]
        if not both:
            continue
        for metric, name in METRICS.items():
            res = [paired(runs[a][s], runs[b][s], metric) for s in both]
            c = Counter(v if not v.startswith("not compared") else "nc" for v, _, _ in res)
            reasons = Counter(v[len("not compared ("):-1] for v, _, _ in res if v.startswith("not compared"))
            diffs = [d for v, d, _ in res if d is not None]
            nc = (f"{c['nc']} (" + "; ".join(f"{k}: {n}" if len(reasons) > 1 else k for k, n in sorted(reasons.items()))
                  + ")") if c["nc"] else "0"
            lines.append(f"| {label(a)} vs {label(b)} | {name} | {c['A']} | {c['B']} | {c['noise']} | {nc} | "
                         + (f"{np.mean(diffs):+.3f} ({plural(len(diffs), 'set')})" if diffs else "–")
                         + " |")
    return lines


def params_lines(runs, sets: list[str]) -> list[str]:
    lines = []
    for arm in arm_order(runs):
        chosen = Counter()
        grid = None
        for s in sets:
            if s in runs[arm]:
                r = next(iter(runs[arm][s].values()))
                if isinstance(r.get("params"), dict):
                    chosen[", ".join(f"{k}={v}" for k, v in r["params"].items())] += 1
                    grid = grid or r.get("search")
        if chosen and grid:
            picks = "; ".join(f"{k} ({plural(n, 'set')})" for k, n in chosen.most_common())
            lines.append(f"- {label(arm)}: {len(grid['grid'])} settings, {grid['folds']}-fold CV on the "
                         f"training split; chosen: {picks}.")
    return lines


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def commit_text(commits: list[str]) -> str:
    """The checkout is shared and moves during a run: name up to 3 commits, else count them."""
    if len(commits) <= 3:
        return f"commit{'s' if len(commits) > 1 else ''} {', '.join(commits)}"
    return f"{len(commits)} commits of the shared checkout, e.g. {commits[0]}"


def render(results: Path) -> str:
    runs = load(results)
    if not runs:
        return "## MoleculeACE assay benchmark\n\nNo records in `" + str(results.name) + "` yet."
    arms = arm_order(runs)
    sets = sorted({s for a in arms for s in runs[a]},
                  key=lambda s: next(iter(next(runs[a][s] for a in arms if s in runs[a]).values()))["n_test"])
    recs = [r for a in arms for v in runs[a].values() for r in v.values()]
    commits = sorted({r.get("commit", "?") for r in recs})
    machines = sorted({r.get("machine", "?") for r in recs})
    wall = {a: sum(r["wall_s"] for v in runs[a].values() for r in v.values()) for a in arms}
    out = ["## MoleculeACE assay benchmark (issue 16)", "",
           f"The {len(sets)} bundled MoleculeACE sets with their own train/test split; target −log10(Ki or "
           "EC50 / nM); test RMSE and cliff RMSE (RMSE over the test molecules flagged `cliff_mol`). Direct "
           "peers on ECFP4 (Morgan radius 2, 2048 bits) with scikit-learn/LightGBM, each with the same "
           "search budget; molgdl arms through `python -m molgdl run` (training split minus its 10 % "
           "validation). "
           f"Commands: `OMP_NUM_THREADS=1 python benchmarks/assay/run.py`, then "
           "`python benchmarks/assay/report.py`; raw records in "
           "`benchmarks/assay/results/<arm>/<set>__s<seed>.json` "
           f"({len(recs)} records, each with its exact command; {commit_text(commits)}, "
           f"{'; '.join(machines)}, one thread).", "", "**What ran:**", ""]
    out += coverage_lines(runs, sets)
    held = [r["n_train"] / (r["n_train"] + r["n_val"]) for r in recs if r.get("n_val")]
    if held:
        lo, hi = f"{100 * min(held):.0f}", f"{100 * max(held):.0f}"
        share = lo if lo == hi else f"{lo}-{hi}"
        out += ["", f"Arms with a validation split (molgdl, chemprop) fitted on {share} % of the training "
                "rows that the direct peers fitted on; the rest was their validation split."]
    for metric, name in METRICS.items():
        out += ["", f"**{name[0].upper() + name[1:]}** (mean ± std over seeds (n seeds); det. = "
                "deterministic, one run; n train counts train + validation rows):", ""]
        out += metric_table(runs, arms, sets, metric)
        out += [""] + wins_lines(runs, arms, sets, metric)
    out += ["", f"**Paired comparisons per set** (stated only with ≥ {MIN_SEEDS} seeds per arm, a "
            f"deterministic arm counting for every seed; paired t-test over seeds, p < {ALPHA}; "
            "'A lower' = A better):", ""]
    out += pairs_table(runs, sets)
    plines = params_lines(runs, sets)
    if plines:
        out += ["", "**Searches of the direct peers** (once per set, folds and model seed 0; RF and LightGBM "
                "then refitted with each seed):", ""] + plines
    out += ["", "Wall time per arm, summed over its runs (s): " + ", ".join(
        f"{label(a)} {wall[a]:.0f}" for a in arms) + "."]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--print", action="store_true", help="print the section instead of writing BENCHMARKS.md")
    args = p.parse_args(argv)
    body = render(args.results)
    if args.print:
        print(body)
    else:
        common.write_section(SECTION, body)
        print(f"wrote section {SECTION!r} of {common.ROOT / 'BENCHMARKS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
