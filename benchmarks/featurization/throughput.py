"""2D featurization throughput (molecules/s): molgdl graph2d vs PyG ``from_smiles`` (and chemprop's featurizer
when ``--chemprop-python`` names a Python with chemprop), plus molgdl's full featurization stage (process pool)
cold and from the cache.

ESOL's 1,128 SMILES repeated to ``--repeat-to`` molecules; every tool parses SMILES inside the timed region.
The tools run in interleaved rounds (one process per tool and round) so that all see similar load. Every
round's rate goes to ``benchmarks/featurization/results/throughput.json``; ``report.py`` writes the section.

    OMP_NUM_THREADS=1 python benchmarks/featurization/throughput.py [--repeat-to 5000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import ROOT, machine, timed  # noqa: E402

RESULTS = HERE / "results"


def stage_vs_pyg(smiles: list[str], rounds: int) -> dict[str, list[float]]:
    """Interleaved in one process: PyG ``from_smiles`` over the molecules, then molgdl's whole featurization
    stage (``featurize_table``: process pool, collation, cache write) cold, then again from the cache.
    Seconds of every round."""
    import numpy as np
    from torch_geometric.utils import from_smiles

    from molgdl.data.cache import FeatureCache
    from molgdl.data.featurize import featurize_table
    from molgdl.data.table import MoleculeRecord, MoleculeTable
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry

    spec = Registry(create_plugin_manager()).get("featurizer", "graph2d")
    feat = spec.factory(spec.build_params())
    table = MoleculeTable([MoleculeRecord(f"m{i}", s, i + 1) for i, s in enumerate(smiles)],
                          np.zeros((len(smiles), 1)), ["y"], "regression", "bench")
    secs: dict[str, list[float]] = {"pyg": [], "cold": [], "warm": []}
    ident = ("graph2d", {}, "bench")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for s in smiles:
            from_smiles(s)
        secs["pyg"].append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as tmp:
            cache = FeatureCache(Path(tmp))
            first = featurize_table(table, feat, ident, [], cache, "auto", progress=False)
            second = featurize_table(table, feat, ident, [], cache, "auto", progress=False)
        if second.from_cache is not True or first.from_cache is not False:
            raise RuntimeError("the second featurization did not come from the cache")
        secs["cold"].append(first.seconds)
        secs["warm"].append(second.seconds)
    return secs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat-to", type=int, default=5000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--chemprop-python", type=Path, default=None,
                   help="a Python with chemprop installed (benchmarks/peers/setup_chemprop.sh): adds its featurizer")
    p.add_argument("--quick", action="store_true", help="500 molecules, 2 rounds")
    p.add_argument("--results", type=Path, default=RESULTS, help="folder of the raw results")
    args = p.parse_args(argv)
    if args.quick:
        args.repeat_to, args.rounds = 500, 2
    import molgdl_datasets

    csv = Path(molgdl_datasets.__file__).parent / "data" / "esol_delaney-processed.csv"
    common = ["--smiles-file", str(csv), "--column", "smiles", "--repeat-to", str(args.repeat_to), "--rounds", "1"]
    peers = ROOT / "benchmarks" / "peers"
    scripts = {"molgdl graph2d (1 process)": [sys.executable, str(peers / "molgdl_graph2d.py")],
               "PyG from_smiles (1 process)": [sys.executable, str(peers / "pyg_from_smiles.py")]}
    if args.chemprop_python:
        scripts["chemprop featurizer (1 process)"] = [str(args.chemprop_python), str(peers / "chemprop_featurize.py")]
    rates: dict[str, list[float]] = {k: [] for k in scripts}
    for _ in range(args.rounds):  # interleaved rounds
        for name, cmd in scripts.items():
            out = timed(cmd + common, env={"OMP_NUM_THREADS": "1"})["stdout"].strip().splitlines()[-1]
            rates[name].append(json.loads(out)["mol_per_s"])
    import pandas as pd

    smiles = [s.strip() for s in pd.read_csv(csv)["smiles"]]
    smiles = [smiles[i % len(smiles)] for i in range(args.repeat_to)]
    stage = stage_vs_pyg(smiles, args.rounds)
    argv_text = " ".join(sys.argv[1:] if argv is None else argv)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "throughput.json").write_text(json.dumps({
        "command": f"OMP_NUM_THREADS=1 python benchmarks/featurization/throughput.py {argv_text}".strip(),
        "molecules": args.repeat_to, "unique_smiles": "ESOL (1,128)", "rounds": args.rounds,
        "rates_mol_per_s": rates, "stage_seconds": stage, "machine": machine()}, indent=1) + "\n")
    print(json.dumps(rates))
    return 0


if __name__ == "__main__":
    sys.exit(main())
