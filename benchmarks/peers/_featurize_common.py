"""Shared helpers for the featurization-throughput scripts (stdlib only, any venv)."""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from typing import Callable


def parse_args(description: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--smiles-file", required=True, help="CSV with a header row")
    p.add_argument("--column", default="smiles")
    p.add_argument("--repeat-to", type=int, default=5000,
                   help="cycle the molecules until this many are featurized (0: each once)")
    p.add_argument("--warmup", type=int, default=20, help="untimed calls before timing (imports, caches)")
    p.add_argument("--rounds", type=int, default=3,
                   help="time the whole list this many times; mol_per_s is the best round "
                        "(least disturbed by other load), mol_per_s_median is also reported")
    return p.parse_args()


def load_smiles(path: str, column: str, repeat_to: int) -> tuple[list[str], int]:
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        if column not in (reader.fieldnames or []):
            raise SystemExit(f"column {column!r} not in {path} (columns: {reader.fieldnames})")
        base = [row[column].strip() for row in reader if row[column] and row[column].strip()]
    if not base:
        raise SystemExit(f"no SMILES in {path}")
    n = repeat_to if repeat_to > 0 else len(base)
    return [base[i % len(base)] for i in range(n)], len(base)


def run(tool: str, featurize_one: Callable[[str], object], extra: dict | None = None) -> None:
    """Time featurize_one (SMILES -> graph, parsing included) over the repeated list; print one JSON line."""
    args = parse_args(f"SMILES->graph featurization throughput: {tool}")
    smiles, n_unique = load_smiles(args.smiles_file, args.column, args.repeat_to)
    for s in smiles[: args.warmup]:
        featurize_one(s)
    times = []
    for _ in range(max(1, args.rounds)):
        t0 = time.perf_counter()
        for s in smiles:
            featurize_one(s)
        times.append(time.perf_counter() - t0)
    rates = sorted(len(smiles) / t for t in times)
    out = {"tool": tool, "mol_per_s": rates[-1], "mol_per_s_median": statistics.median(rates),
           "n_mols": len(smiles), "n_unique": n_unique, "rounds": len(times),
           "seconds": [round(t, 4) for t in times]}
    out.update(extra or {})
    print(json.dumps(out), flush=True)
