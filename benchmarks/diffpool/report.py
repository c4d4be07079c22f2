"""Writes the ``diffpool`` section of BENCHMARKS.md from the per-run records in ``benchmarks/diffpool/results/``
(written by ``compare_readouts.py``); every number and verdict is computed here, paired by seed.

    python benchmarks/diffpool/report.py [--results DIR]
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import report_main  # noqa: E402
from stats import mean_std, paired  # noqa: E402

SECTIONS = ("diffpool",)
QUICK = ("compare_readouts.py --quick",)
RESULTS = HERE / "results"
BASE = "sum"


def render(results: Path) -> str:
    runs: dict = defaultdict(lambda: defaultdict(dict))  # runs[dataset][readout][seed]
    for p in sorted(results.glob("*.json")):
        r = json.loads(p.read_text())
        runs[r["dataset"]][r["readout"]][r["seed"]] = r
    records = [r for by_readout in runs.values() for by_seed in by_readout.values() for r in by_seed.values()]
    first = records[0]
    readouts = sorted({r["readout"] for r in records}, key=lambda x: x != BASE)
    seeds = sorted({r["seed"] for r in records})
    invocation = (f"--datasets {' '.join(runs)} --readouts {' '.join(readouts)} --epochs "
                  f"{' '.join(str(e) for e in sorted({r['epochs'] for r in records}))} "
                  f"--seeds {' '.join(map(str, seeds))}")
    lines = ["## DiffPool vs other readouts (issue 5)", "",
             f"Command: `OMP_NUM_THREADS=1 python benchmarks/diffpool/compare_readouts.py {invocation}`, one "
             f"`molgdl run` per dataset, readout and seed, e.g. `{first['command']}`; raw results: "
             "`benchmarks/diffpool/results/<dataset>_<readout>_s<seed>.json`.", "",
             f"Machine: {first['machine']}, one thread, shared with other jobs. D-MPNN 300 x 3 encoder of "
             "configs/<dataset>.yaml without the rdkit2d descriptors, only the readout changed; the readouts of a "
             "seed ran back to back, so rows pair up by seed (split and initialisation). s/epoch: training + "
             "validation seconds per epoch (wall clock); the time ratio to the sum readout is taken per seed. "
             "Peak RSS: the whole `molgdl run` process.", "",
             "| dataset | rows | epochs | readout | seeds | test metric | s/epoch | s/epoch / sum (per seed) | "
             "peak RSS (MiB) |", "|---|---|---|---|---|---|---|---|---|"]
    notes = []
    for dataset, by_readout in runs.items():
        base = by_readout.get(BASE, {})
        for readout, by_seed in sorted(by_readout.items(), key=lambda kv: kv[0] != BASE):
            seeds = sorted(by_seed)
            rs = [by_seed[s] for s in seeds]
            common = [s for s in seeds if s in base]
            ratio = np.array([by_seed[s]["sec_per_epoch"] / base[s]["sec_per_epoch"] for s in common])
            metric = rs[0]["metric"]
            lines.append(
                f"| {dataset} | {rs[0]['rows'] or 'all'} | {rs[0]['epochs']} | {readout} | {seeds} | {metric} "
                f"{mean_std([r['value'] for r in rs])} | {mean_std([r['sec_per_epoch'] for r in rs])} | "
                f"{mean_std(ratio) if len(ratio) else '-'} | {np.mean([r['peak_rss_mb'] for r in rs]):.0f} |")
            if readout != BASE and common:
                better = "lower (better)" if metric == "rmse" else "lower (worse)"
                worse = "higher (worse)" if metric == "rmse" else "higher (better)"
                notes.append(f"- {dataset}, {readout} - {BASE}, test {metric}: " + paired(
                    [by_seed[s]["value"] for s in common], [base[s]["value"] for s in common], better, worse) + ".")
                notes.append(f"- {dataset}, {readout} - {BASE}, s/epoch: " + paired(
                    [by_seed[s]["sec_per_epoch"] for s in common], [base[s]["sec_per_epoch"] for s in common],
                    "faster", "slower") + ".")
    return "\n".join(lines + ["", "Paired by seed:", ""] + notes)


def main(argv: list[str] | None = None) -> int:
    return report_main(__doc__, RESULTS, "diffpool", render, argv)


if __name__ == "__main__":
    sys.exit(main())
