"""What each RDKit 2D descriptor costs, and what the ``rdkit2d_fast`` subset saves (issue 17, deliverable 2).

On ``--molecules`` MOSES molecules (a fixed random sample of the library, seed 0), one process, one thread:

1. in set: the time of each function of ``rdkit.Chem.Descriptors._descList`` on each molecule
   (``time.perf_counter_ns`` around the call, RDKit molecule parsed once beforehand), summed per descriptor;
2. alone: each descriptor by itself on a fresh copy of each molecule, the minimum over ``--rounds`` passes;
   ``rdkit2d_fast`` keeps those costing at most ``FAST_LIMIT_SHARE`` of the summed stand-alone cost of all
   descriptors (``fast_subset``);
3. end to end: ``compute()`` of the molgdl descriptor sets ``rdkit2d`` and ``rdkit2d_fast`` (parsing included, as
   featurization does it) over the same molecules, ``--e2e-rounds`` alternating rounds (paired values).

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/descriptors/cost.py --library ../shared/data/moses/train.csv.gz
    python benchmarks/descriptors/cost.py --quick     # 300 molecules of the bundled ESOL set

Raw record: ``benchmarks/descriptors/results/cost_<source>_<n>.json`` (``--results DIR``); ``report.py`` writes the
``descriptors-cost`` section from it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import machine  # noqa: E402

RESULTS = HERE / "results"


def sample_smiles(path: Path, n: int, seed: int = 0, head: int = 200_000) -> list[str]:
    """``n`` SMILES drawn without replacement (``seed``) from the first ``head`` rows of a CSV(.gz) library."""
    import pandas as pd

    df = pd.read_csv(path, nrows=head, dtype=str, keep_default_na=False)
    column = next(c for c in df.columns if c.lower() == "smiles")
    rng = np.random.default_rng(seed)
    return df[column].iloc[np.sort(rng.choice(len(df), size=min(n, len(df)), replace=False))].tolist()


def bundled_smiles(n: int) -> list[str]:
    import pandas as pd
    from molgdl_datasets.bundled import data_path

    df = pd.read_csv(data_path("esol_delaney-processed.csv"))
    return df["smiles"].astype(str).tolist()[:n]


def per_descriptor(mols: list, functions: list | None = None) -> dict[str, float]:
    """Descriptor name -> total seconds over ``mols``, calling ``functions`` (``(name, callable)``, default the whole
    ``_descList``) in order on a fresh copy of each molecule (RDKit caches shared work on a molecule, so the cost
    of a descriptor depends on which ran before it). Exceptions count their time, as featurization pays it."""
    from rdkit import Chem
    from rdkit.Chem import Descriptors

    functions = functions if functions is not None else list(Descriptors._descList)
    total = {name: 0 for name, _ in functions}
    clock = time.perf_counter_ns
    for original in mols:
        mol = Chem.Mol(original)
        for name, function in functions:
            t0 = clock()
            try:
                function(mol)
            except Exception:  # noqa: BLE001 - timed like any other call
                pass
            total[name] += clock() - t0
    return {name: ns * 1e-9 for name, ns in total.items()}


def standalone(mols: list, repeats: int) -> dict[str, float]:
    """Descriptor name -> seconds over ``mols`` of each descriptor computed alone, on a fresh copy of the molecule
    (so it pays for any work it shares with its family, e.g. the Crippen contributions or BCUT matrices); molecule
    by molecule, all descriptors in turn (so that other jobs on the machine slow them alike); the minimum over
    ``repeats`` passes."""
    from rdkit import Chem
    from rdkit.Chem import Descriptors

    best = {name: float("inf") for name, _ in Descriptors._descList}
    clock = time.perf_counter_ns
    for _ in range(repeats):
        total = dict.fromkeys(best, 0)
        for original in mols:
            for name, function in Descriptors._descList:
                mol = Chem.Mol(original)
                t0 = clock()
                try:
                    function(mol)
                except Exception:  # noqa: BLE001 - timed like any other call
                    pass
                total[name] += clock() - t0
        best = {name: min(best[name], total[name] * 1e-9) for name in best}
    return best


def fast_subset(costs: dict[str, float], share: float) -> list[str]:
    """The rule behind ``rdkit2d_fast``: the descriptors whose stand-alone cost is at most ``share`` of the summed
    stand-alone cost of all descriptors (a ratio, so the rule does not depend on the machine's speed or load), in
    ``_descList`` order."""
    total = sum(costs.values())
    return [name for name, seconds in costs.items() if seconds <= share * total]


def end_to_end(smiles: list[str], rounds: int) -> dict[str, list[float]]:
    """Descriptor set name -> seconds of ``compute()`` over all molecules, one value per round."""
    from molgdl.data import MoleculeRecord
    from molgdl_rdkit.descriptors import RDKit2DDescriptors, fast_names
    from molgdl_rdkit.params import RDKit2DParams

    sets = {"rdkit2d": RDKit2DDescriptors(RDKit2DParams()),
            "rdkit2d_fast": RDKit2DDescriptors(RDKit2DParams(names=fast_names()))}
    records = [MoleculeRecord(id=str(i), smiles=s, row=i + 2) for i, s in enumerate(smiles)]
    out: dict[str, list[float]] = {name: [] for name in sets}
    for _ in range(rounds):
        for name, desc in sets.items():
            t0 = time.perf_counter()
            for rec in records:
                desc.compute(rec)
            out[name].append(time.perf_counter() - t0)
    out["columns"] = {name: len(desc.names) for name, desc in sets.items()}  # type: ignore[assignment]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--library", type=Path, help="CSV(.gz) with a SMILES column (MOSES train.csv.gz)")
    ap.add_argument("--molecules", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3, help="passes of the stand-alone timing (minimum kept)")
    ap.add_argument("--e2e-rounds", type=int, default=5, help="alternating end-to-end rounds (paired values)")
    ap.add_argument("--quick", action="store_true", help="300 molecules of the bundled ESOL set, 2 rounds")
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    from rdkit import Chem, RDLogger, rdBase

    RDLogger.DisableLog("rdApp.*")
    if args.quick:
        smiles, source, rounds, e2e_rounds = bundled_smiles(300), "esol", 2, 2
    elif args.library is None:
        ap.error("give --library (MOSES train.csv.gz) or --quick")
    else:
        smiles, source, rounds, e2e_rounds = (sample_smiles(args.library, args.molecules), "moses", args.rounds,
                                              args.e2e_rounds)
    mols = [m for m in (Chem.MolFromSmiles(s) for s in smiles) if m is not None]
    from molgdl_rdkit.descriptors import FAST_EXCLUDED, FAST_LIMIT_SHARE

    t0 = time.perf_counter()
    in_set = per_descriptor(mols)
    alone = standalone(mols, rounds)
    per_s = time.perf_counter() - t0
    kept = fast_subset(alone, FAST_LIMIT_SHARE)
    e2e = end_to_end(smiles, e2e_rounds)
    record = {"benchmark_command": "python benchmarks/descriptors/cost.py " + " ".join(argv or sys.argv[1:]),
              "machine": machine(), "source": source, "molecules": len(mols), "rdkit": rdBase.rdkitVersion,
              "in_set_s": in_set, "standalone_s": alone, "timing_wall_s": per_s, "rounds": rounds,
              "e2e_rounds": e2e_rounds,
              "fast_limit_share": FAST_LIMIT_SHARE, "rule_excludes": [n for n in alone if n not in kept],
              "code_excludes": list(FAST_EXCLUDED),
              "end_to_end_s": {k: v for k, v in e2e.items() if k != "columns"}, "columns": e2e["columns"]}
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"cost_{source}_{len(mols)}{'_quick' if args.quick else ''}.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
