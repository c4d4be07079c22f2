"""Regenerate the BENCHMARKS.md sections of the float32-safe descriptors (issue 28) from the committed raw results
in ``benchmarks/descriptors/results/`` (written by ``molnet_before_after.py``, ``moleculeace_configs.py`` and, for
the cost of each descriptor and the ``rdkit2d_fast`` subset (issue 17), ``cost.py``).
Every number and verdict below is computed here from those files.

    python benchmarks/descriptors/report.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from scipy import stats

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import write_section  # noqa: E402
from stats import paired  # noqa: E402

SECTIONS = ("descriptors-molnet", "descriptors-moleculeace", "descriptors-cost")
RESULTS = HERE / "results"
ARM_TEXT = {"before": "before (raw Ipc)", "after": "after (default: z-score)", "after_cdf": "after, scaling.descriptors: cdf"}


def load(prefix: str, results: Path = RESULTS) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(results.glob(f"{prefix}*.json"))]


def paired_verdict(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> str:
    """Sentence comparing two paired RMSE samples (lower is better)."""
    if len(a) < 5:
        return f"{name_a} vs {name_b}: not compared ({len(a)} paired seeds, fewer than 5)"
    diff = a - b
    p = float(stats.ttest_rel(a, b).pvalue) if np.any(diff != 0) else 1.0
    if p >= 0.05:
        word = "no difference at the 5% level"
    else:
        word = f"{name_a} {'lower (better)' if diff.mean() < 0 else 'higher (worse)'}"
    return f"{name_a} - {name_b}: mean paired difference {diff.mean():+.4f} (paired t test p = {p:.2f}): {word}"


def molnet_section(records: list[dict]) -> str:
    lines = ["## Float32-safe descriptors: default configs before and after (issue 28)", "",
             "Test RMSE of `configs/<dataset>.yaml` (D-MPNN 300x3 + rdkit2d, random 80/10/10 split per seed), "
             "paired by seed, one thread per run. `before` is the code of commit 48872f1 (raw Ipc), `after` the "
             "code with Ipc as log1p(Ipc) and unsafe values set missing. "
             "Command: `OMP_NUM_THREADS=1 python benchmarks/descriptors/molnet_before_after.py`; raw results: "
             "`benchmarks/descriptors/results/<dataset>_<arm>_seed<s>.json`.", "",
             "| dataset | epochs | arm | seeds | test RMSE mean ± std | per seed |", "|---|---|---|---|---|---|"]
    notes = []
    for dataset in ("esol", "freesolv", "lipo"):
        rows = [r for r in records if r["dataset"] == dataset]
        if not rows:
            continue
        by_arm = {arm: {r["seed"]: r["test_rmse"] for r in rows if r["arm"] == arm} for arm in ARM_TEXT}
        for arm, vals in by_arm.items():
            if not vals:
                continue
            v = np.array([vals[s] for s in sorted(vals)])
            std = v.std(ddof=1) if len(v) > 1 else 0.0
            lines.append(f"| {dataset} | {rows[0]['epochs']} | {ARM_TEXT[arm]} | {sorted(vals)} | "
                         f"{v.mean():.3f} ± {std:.3f} | {', '.join(f'{x:.3f}' for x in v)} |")
        for arm in ("after", "after_cdf"):
            seeds = sorted(set(by_arm["before"]) & set(by_arm[arm]))
            if seeds:
                a = np.array([by_arm[arm][s] for s in seeds])
                b = np.array([by_arm["before"][s] for s in seeds])
                notes.append(f"- {dataset}: " + paired_verdict(a, b, ARM_TEXT[arm], ARM_TEXT["before"]) + ".")
    return "\n".join(lines + [""] + notes)


def moleculeace_section(records: list[dict]) -> str:
    lines = ["## The default and random-forest configs on the ten MoleculeACE sets (issue 28)", "",
             "`configs/esol_random_forest.yaml` and `configs/esol.yaml` with only `data.source` "
             "(`{name: moleculeace, set: ...}`) and `split` (`{name: column, column: split, val_fraction: 0.1}`) "
             "changed, seed 0. Before the float32-safe descriptors the random-forest config crashed on CHEMBL204_Ki "
             "and CHEMBL236_Ki. RMSE in -log10(Ki or EC50 / nM). Command: `OMP_NUM_THREADS=1 python "
             "benchmarks/descriptors/moleculeace_configs.py`; raw results: "
             "`benchmarks/descriptors/results/moleculeace_<config>_<set>.json`.", "",
             "| config | epochs | set | state | test RMSE | test cliff RMSE | descriptor values set missing | wall (s) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in records:
        ok = r["returncode"] == 0
        r["label"] = r["config"] + (f" (max_epochs {r['epochs']})" if r.get("epochs") else "")
        epochs = r.get("epochs") or ("config's" if "random_forest" not in r["config"] else "-")
        lines.append(f"| {r['config']} | {epochs} | {r['set']} | {r['state'] or 'failed'} | "
                     f"{r['test_rmse']:.3f} | {r['test_cliff_rmse']:.3f} | {r['descriptor_values_set_missing']} | "
                     f"{r['wall_s']:.0f} |" if ok else
                     f"| {r['config']} | {epochs} | {r['set']} | {r['state'] or 'failed'} | - | - | - | {r['wall_s']:.0f} |")
    out = ["\n".join(lines), ""]
    for config in sorted({r["label"] for r in records}):
        rs = [r for r in records if r["label"] == config]
        done = [r for r in rs if r["returncode"] == 0 and r["state"] == "completed"]
        text = f"- {config}: {len(done)} of {len(rs)} sets completed"
        if done:
            text += (f"; mean test RMSE {np.mean([r['test_rmse'] for r in done]):.3f}, mean cliff RMSE "
                     f"{np.mean([r['test_cliff_rmse'] for r in done]):.3f}; float32 overflow warnings: "
                     f"{sum(r.get('overflow_warnings', 0) for r in done)}")
        out.append(text + ".")
    return "\n".join(out)


def cost_section(r: dict, fast_excluded: list[str], share: float, show: int = 15) -> str:
    """The per-descriptor cost and rdkit2d_fast section from one ``cost.py`` record."""
    n = r["molecules"]
    alone, in_set = r["standalone_s"], r["in_set_s"]
    total_alone, total_in = sum(alone.values()), sum(in_set.values())
    excluded = set(fast_excluded)
    lines = ["## What each RDKit 2D descriptor costs, and the rdkit2d_fast subset (issue 17)", "",
             f"{n:,} {r['source'].upper()} molecules (a fixed random sample), RDKit {r['rdkit']}, one process, one "
             f"thread, on {r['machine']} shared with other jobs (slower than an idle machine: compare ratios, "
             "not absolute times). *Alone*: each descriptor by itself on a fresh copy of each molecule, so it pays "
             "for the work it shares with its family; the minimum over "
             f"{r['rounds']} passes. *In set*: in `_descList` order on one molecule object, as `rdkit2d` computes "
             "them (RDKit caches shared work on the molecule, so the first member of a family pays for the rest). "
             f"Command: `{r['benchmark_command']}`; raw results: `benchmarks/descriptors/results/cost_*.json`.", "",
             f"All {len(alone)} descriptors cost {total_in / n * 1e3:.2f} ms per molecule in set. The "
             f"{show} costliest alone:", "",
             "| descriptor | alone µs/molecule | share of the summed alone cost | in set µs/molecule | in rdkit2d_fast |",
             "|---|---|---|---|---|"]
    for name, sec in sorted(alone.items(), key=lambda kv: -kv[1])[:show]:
        lines.append(f"| {name} | {sec / n * 1e6:,.0f} | {100 * sec / total_alone:.1f}% | "
                     f"{in_set[name] / n * 1e6:,.0f} | {'no' if name in excluded else 'yes'} |")
    rule = {name for name, sec in alone.items() if sec > share * total_alone}
    kept_in = sum(v for k, v in in_set.items() if k not in excluded)
    e2e = r["end_to_end_s"]
    full, fast = np.asarray(e2e["rdkit2d"]), np.asarray(e2e["rdkit2d_fast"])
    ratio = full / fast
    lines += ["", f"- `rdkit2d_fast` leaves out the {len(excluded)} descriptors whose alone cost is above "
              f"{100 * share:.2f}% of the summed alone cost of all {len(alone)} (`FAST_LIMIT_SHARE` in "
              "`molgdl_rdkit.descriptors`); it keeps "
              f"{r['columns']['rdkit2d_fast']} of {r['columns']['rdkit2d']} columns. "
              + ("Applied to this measurement the rule gives the same list." if rule == excluded else
                 f"Applied to this measurement the rule would also leave out {sorted(rule - excluded) or 'nothing'} "
                 f"and keep {sorted(excluded - rule) or 'nothing'} (costs near the threshold move with the load)."),
              f"- In set, the kept descriptors account for {100 * kept_in / total_in:.0f}% of the full set's time.",
              f"- End to end (`compute()` of each set, SMILES parsing included, {len(full)} alternating rounds): "
              f"rdkit2d {full.mean() / n * 1e3:.2f} ± {full.std(ddof=1) / n * 1e3:.2f} ms per molecule, rdkit2d_fast "
              f"{fast.mean() / n * 1e3:.2f} ± {fast.std(ddof=1) / n * 1e3:.2f} ms; rdkit2d_fast / rdkit2d time "
              f"{np.mean(1 / ratio):.2f} (x{ratio.mean():.1f} the molecules/s per core); "
              f"rdkit2d_fast - rdkit2d seconds per round: {paired(fast, full, 'faster', 'slower')}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    molnet = [r for r in load("", args.results) if "arm" in r]
    mace = load("moleculeace_", args.results)
    if molnet:
        write_section("descriptors-molnet", molnet_section(molnet))
    if mace:
        write_section("descriptors-moleculeace", moleculeace_section(mace))
    costs = [r for r in load("cost_", args.results) if r["source"] == "moses"]
    if costs:
        from molgdl_rdkit.descriptors import FAST_EXCLUDED, FAST_LIMIT_SHARE

        write_section("descriptors-cost", cost_section(costs[-1], list(FAST_EXCLUDED), FAST_LIMIT_SHARE))
    print(f"sections written from {len(molnet)} + {len(mace)} + {len(costs)} result files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
