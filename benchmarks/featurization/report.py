"""Writes the ``featurization`` section of BENCHMARKS.md from ``benchmarks/featurization/results/throughput.json``
(written by ``throughput.py``); every number and verdict is computed here, paired by round.

    python benchmarks/featurization/report.py [--results DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import report_main  # noqa: E402
from stats import paired  # noqa: E402

SECTIONS = ("featurization",)
QUICK = ("throughput.py --quick",)
RESULTS = HERE / "results"
PYG = "PyG from_smiles (1 process)"


def ms(values) -> str:
    v = np.asarray(values, dtype=float)
    return f"{v.mean():,.0f} ± {v.std(ddof=1) if len(v) > 1 else 0.0:,.0f}"


def render(d: dict) -> str:
    n, rounds = d["molecules"], d["rounds"]
    rates = {k: np.asarray(v) for k, v in d["rates_mol_per_s"].items()}
    lines = ["## 2D featurization throughput", "",
             f"Command: `{d['command']}`; raw results (every round): `benchmarks/featurization/results/"
             "throughput.json`.", "",
             f"Machine: {d['machine']}, shared with other jobs. ESOL's SMILES repeated to {n:,} molecules, SMILES "
             f"parsing included; {rounds} interleaved rounds, one process per tool and round; molecules/s mean ± "
             "std over rounds, ratio to PyG taken per round.", "",
             "| featurizer | molecules/s | ratio to PyG from_smiles | vs PyG (paired by round) |", "|---|---|---|---|"]
    for name, v in rates.items():
        ratio = v / rates[PYG]
        vs = "—" if name == PYG else paired(v, rates[PYG], "slower", "faster")
        lines.append(f"| {name} | {ms(v)} | {ratio.mean():.2f} ± {ratio.std(ddof=1) if len(v) > 1 else 0:.2f} | "
                     f"{vs} |")
    st = {k: np.asarray(v) for k, v in d["stage_seconds"].items()}
    ratio = st["pyg"] / st["cold"]
    lines += ["", "molgdl's whole first-time featurization stage (`featurize_table`: process pool with `num_workers: "
              "auto`, collation, cache write) against PyG `from_smiles` timed just before it in the same process:",
              "", "| | molecules/s | ratio to PyG |", "|---|---|---|",
              f"| PyG from_smiles (1 process, in-process) | {ms(n / st['pyg'])} | 1 |",
              f"| molgdl featurization stage, cold cache | {ms(n / st['cold'])} | {ratio.mean():.2f} ± "
              f"{ratio.std(ddof=1) if len(ratio) > 1 else 0:.2f} |", "",
              f"Stage vs PyG, molecules/s: {paired(n / st['cold'], n / st['pyg'], 'slower', 'faster')}.", "",
              f"Cache: the same {n:,} molecules featurized again take {st['warm'].mean():.3f} s from the cache vs "
              f"{st['cold'].mean():.2f} s cold ({100 * (st['warm'] / st['cold']).mean():.1f} % of the first run, "
              f"mean over rounds)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return report_main(__doc__, RESULTS, "featurization",
                       lambda results: render(json.loads((results / "throughput.json").read_text())), argv)


if __name__ == "__main__":
    sys.exit(main())
