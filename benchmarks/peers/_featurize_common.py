"""Shared helpers for the featurization-throughput scripts (stdlib only, any venv)."""

from __future__ import annotations

import argparse
import csv
import json
import time
from typing import Callable


def parse_args(description: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--smiles-file", required=True, help="CSV with a header row")
    p.add_argument("--column", default="smiles")
    p.add_argument("--repeat-to", type=int, default=5000,
                   help="cycle the molecules until this many are featurized (0: each once)")
    p.add_argument("--warmup", type=int, default=20, help="untimed calls before timing (imports, caches)")
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
    """Time featurize_one (SMILES -> graph, parsing included) over the repeated list; print JSON."""
    args = parse_args(f"SMILES->graph featurization throughput: {tool}")
    smiles, n_unique = load_smiles(args.smiles_file, args.column, args.repeat_to)
    for s in smiles[: args.warmup]:
        featurize_one(s)
    t0 = time.perf_counter()
    for s in smiles:
        featurize_one(s)
    dt = time.perf_counter() - t0
    out = {"tool": tool, "mol_per_s": len(smiles) / dt, "n_mols": len(smiles), "n_unique": n_unique,
           "seconds": round(dt, 4)}
    out.update(extra or {})
    print(json.dumps(out), flush=True)
