"""2D featurization throughput (molecules/s): molgdl graph2d vs PyG ``from_smiles`` vs chemprop's featurizer,
plus molgdl's full featurization stage (process pool) cold and from the cache.

ESOL's 1,128 SMILES repeated to 10,000 molecules (``--repeat-to``); every tool parses SMILES inside the
timed region. Single-process numbers are the best of ``--rounds`` rounds (least disturbed by other load),
interleaved so that all tools see similar load. Results -> BENCHMARKS.md.

    python benchmarks/featurization_throughput.py [--repeat-to 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from common import BENCH_DIR, CHEMPROP_PY, ROOT, machine, timed, write_section


def stage_vs_pyg(smiles: list[str], rounds: int) -> dict[str, float]:
    """Interleaved in one process: PyG ``from_smiles`` over the molecules, then molgdl's whole featurization
    stage (``featurize_table``: process pool, collation, cache write) cold, then again from the cache.
    Best of ``rounds`` for each (seconds)."""
    from molgdl.data.cache import FeatureCache
    from molgdl.data.featurize import featurize_table
    from molgdl.data.table import MoleculeRecord, MoleculeTable
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry
    from torch_geometric.utils import from_smiles

    import numpy as np

    spec = Registry(create_plugin_manager()).get("featurizer", "graph2d")
    feat = spec.factory(spec.build_params())
    table = MoleculeTable([MoleculeRecord(f"m{i}", s, i + 1) for i, s in enumerate(smiles)],
                          np.zeros((len(smiles), 1)), ["y"], "regression", "bench")
    best = {"pyg": float("inf"), "cold": float("inf"), "warm": float("inf")}
    ident = ("graph2d", {}, "bench")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for s in smiles:
            from_smiles(s)
        best["pyg"] = min(best["pyg"], time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as tmp:
            cache = FeatureCache(Path(tmp))
            first = featurize_table(table, feat, ident, [], cache, "auto", progress=False)
            second = featurize_table(table, feat, ident, [], cache, "auto", progress=False)
        assert second.from_cache and not first.from_cache
        best["cold"] = min(best["cold"], first.seconds)
        best["warm"] = min(best["warm"], second.seconds)
    return best


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--repeat-to", type=int, default=10000)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    import molgdl_datasets

    csv = Path(molgdl_datasets.__file__).parent / "data" / "esol_delaney-processed.csv"
    common = ["--smiles-file", str(csv), "--column", "smiles", "--repeat-to", str(args.repeat_to), "--rounds", "1"]
    scripts = {"molgdl graph2d (1 process)": [sys.executable, str(ROOT / "benchmarks/peers/molgdl_graph2d.py")],
               "PyG from_smiles (1 process)": [sys.executable, str(ROOT / "benchmarks/peers/pyg_from_smiles.py")]}
    if CHEMPROP_PY.exists():
        scripts["chemprop 2.3.1 featurizer (1 process)"] = [str(CHEMPROP_PY), str(ROOT / "benchmarks/peers/chemprop_featurize.py")]
    rates: dict[str, list[float]] = {k: [] for k in scripts}
    for _ in range(args.rounds):  # interleaved rounds
        for name, cmd in scripts.items():
            out = timed(cmd + common)["stdout"].strip().splitlines()[-1]
            rates[name].append(json.loads(out)["mol_per_s"])
    import pandas as pd

    smiles = [s.strip() for s in pd.read_csv(csv)["smiles"]]
    smiles = [smiles[i % len(smiles)] for i in range(args.repeat_to)]
    st = stage_vs_pyg(smiles, args.rounds)
    best = {k: max(v) for k, v in rates.items()}
    pyg = best["PyG from_smiles (1 process)"]
    lines = [f"Machine: {machine()}. Command: `python benchmarks/featurization_throughput.py --repeat-to "
             f"{args.repeat_to} --rounds {args.rounds}` (ESOL SMILES repeated to {args.repeat_to}; best of "
             f"{args.rounds} interleaved rounds; SMILES parsing included).", "",
             "| featurizer | molecules/s | ratio to PyG from_smiles |", "|---|---|---|"]
    for k, v in best.items():
        lines.append(f"| {k} | {v:,.0f} | {v / pyg:.2f} |")
    n = args.repeat_to
    lines += ["", "molgdl's whole first-time featurization stage (`featurize_table`: process pool with "
              "`num_workers: auto`, collation, cache write) against PyG `from_smiles` timed just before it in the "
              "same process (best of the rounds):", "",
              "| | molecules/s | ratio |", "|---|---|---|",
              f"| PyG from_smiles (1 process, in-process) | {n / st['pyg']:,.0f} | 1.00 |",
              f"| molgdl featurization stage, cold cache | {n / st['cold']:,.0f} | {st['pyg'] / st['cold']:.2f} |",
              "", f"Cache: the same {n} molecules featurized again take {st['warm']:.3f} s from the cache vs "
              f"{st['cold']:.2f} s cold ({100 * st['warm'] / st['cold']:.1f}% of the first run)."]
    write_section("featurization", "## 2D featurization throughput\n\n" + "\n".join(lines))
    print("\n".join(lines))
    (BENCH_DIR / "featurization.json").write_text(json.dumps({"rates": rates, **st}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
