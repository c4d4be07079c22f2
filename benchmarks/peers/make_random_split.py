"""Write a random train/val/test split file in molgdl's format (0-based CSV data rows).

Mirrors molgdl.data.splits.RandomSplitter (np.random.default_rng(seed).permutation,
counts round(f*n)) and write_split_file (sorted lists), so for a CSV whose rows are all
valid the file equals the split molgdl's "random" splitter makes. numpy only; any venv::

    python benchmarks/peers/make_random_split.py --data X.csv --seed 0 --sizes 0.8 0.1 0.1 --out split.json
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sizes", type=float, nargs=3, default=[0.8, 0.1, 0.1])
    p.add_argument("--out", required=True, type=Path)
    args = p.parse_args(argv)

    with open(args.data, newline="") as fh:
        n = sum(1 for _ in csv.DictReader(fh))
    perm = np.random.default_rng(args.seed).permutation(n)
    n_train = int(round(args.sizes[0] * n))
    n_val = min(int(round(args.sizes[1] * n)), n - n_train)
    split = {
        "train": sorted(int(i) for i in perm[:n_train]),
        "val": sorted(int(i) for i in perm[n_train:n_train + n_val]),
        "test": sorted(int(i) for i in perm[n_train + n_val:]),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(split))
    print(json.dumps({k: len(v) for k, v in split.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
