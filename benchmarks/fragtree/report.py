"""Writes the ``fragtree`` section of BENCHMARKS.md from ``benchmarks/fragtree/results/esol_*.json`` (written by
``run.py``): the fragment-tree encoder next to D-MPNN on ESOL at equal training time.

    python benchmarks/fragtree/report.py [--results DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import report_main  # noqa: E402
from stats import mean_std, paired  # noqa: E402

SECTIONS = ("fragtree",)
QUICK = ("run.py --quick",)
RESULTS = HERE / "results"


def render(results: Path) -> str:
    records = [json.loads(p.read_text()) for p in sorted(results.glob("esol_*.json"))]
    lines = ["## Fragment-tree encoder vs D-MPNN on ESOL at equal training time", ""]
    if not records:
        return "\n".join(lines + ["No results yet: `python benchmarks/fragtree/run.py`."])
    by = {(r["arm"], r["seed"]): r for r in records}
    seeds = sorted({s for (a, s) in by if ("dmpnn", s) in by and ("fragtree", s) in by})
    commands = sorted({r["benchmark_command"] for r in records})
    minutes = sorted({r["minutes"] for r in records})
    lines += [f"Command: {', '.join(f'`{c}`' for c in commands)}; raw results: "
              "`benchmarks/fragtree/results/esol_<arm>_s<seed>.json` (one per arm and seed, each with its "
              "`molgdl run` command).", "",
              f"Budget: {', '.join(f'{m:g}' for m in minutes)} min of training per run "
              "(`trainer.max_time_minutes`, early stopping as configured), the best validation checkpoint; "
              f"{records[0]['machine']}. Both arms use the same random 80/10/10 split per seed, RDKit 2D "
              "descriptors, head and optimiser (configs/esol_dmpnn.yaml, configs/esol_fragtree.yaml). This is a "
              "reduced benchmark (a few minutes per run on a shared CPU), not a converged comparison.", "",
              "| arm | encoder weights | seeds | test RMSE (mean ± std) | training s (mean) |", "|---|---|---|---|---|"]
    for arm in ("dmpnn", "fragtree"):
        rows = [by[(arm, s)] for s in seeds]
        if not rows:
            continue
        lines.append(f"| {arm} | {rows[0]['encoder_parameters']:,} | {len(rows)} | "
                     f"{mean_std([r['test_rmse'] for r in rows])} | "
                     f"{sum(r['train_seconds'] for r in rows) / len(rows):.0f} |")
    a = [by[("fragtree", s)]["test_rmse"] for s in seeds]
    b = [by[("dmpnn", s)]["test_rmse"] for s in seeds]
    lines += ["", f"fragtree minus dmpnn, test RMSE paired by seed: "
              f"{paired(a, b, lower='fragtree lower', higher='dmpnn lower')}."]
    return "\n".join(lines + moleculeace(results))


def moleculeace(results: Path) -> list[str]:
    """The same two encoders on the MoleculeACE sets (graph only, the sets' own split), paired over sets."""
    records = [json.loads(p.read_text()) for p in sorted(results.glob("moleculeace_*.json"))]
    by = {(r["dataset"], r["arm"], r["seed"]): r for r in records}
    pairs = sorted((d, s) for (d, a, s) in by if a == "dmpnn" and (d, "fragtree", s) in by)
    if not pairs:
        return ["", "MoleculeACE sets: not measured (`python benchmarks/fragtree/run.py --moleculeace`)."]
    commands = sorted({r["benchmark_command"] for r in records})
    minutes = sorted({r["minutes"] for r in records})
    lines = ["", f"MoleculeACE sets (command {', '.join(f'`{c}`' for c in commands)}; raw results "
             "`benchmarks/fragtree/results/moleculeace_<set>_<arm>_s<seed>.json`): each set's own train/test split "
             "with 10 % of train as validation, no descriptors (graph encoders alone), "
             f"{', '.join(f'{m:g}' for m in minutes)} min of training per run; "
             f"{len({d for d, _ in pairs})} of 10 sets measured.", "",
             "| set | seed | dmpnn test RMSE | fragtree test RMSE | dmpnn s | fragtree s |", "|---|---|---|---|---|---|"]
    for d, s in pairs:
        x, y = by[(d, "dmpnn", s)], by[(d, "fragtree", s)]
        lines.append(f"| {d} | {s} | {x['test_rmse']:.3f} | {y['test_rmse']:.3f} | {x['train_seconds']:.0f} | "
                     f"{y['train_seconds']:.0f} |")
    a = [by[(d, "fragtree", s)]["test_rmse"] for d, s in pairs]
    b = [by[(d, "dmpnn", s)]["test_rmse"] for d, s in pairs]
    lines += ["", f"fragtree minus dmpnn, paired over sets: {paired(a, b, lower='fragtree lower', higher='dmpnn lower')}."]
    return lines


if __name__ == "__main__":
    raise SystemExit(report_main(__doc__, RESULTS, "fragtree", render))
