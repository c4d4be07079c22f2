"""Train/evaluate chemprop 2.3.1 (default D-MPNN) on a molgdl split file.

Run with the chemprop venv (see setup_chemprop.sh)::

    .bench/chemprop-venv/bin/python benchmarks/peers/chemprop_runner.py \
        --data data.csv --smiles-column smiles --target-column y \
        --split-json split.json --seed 0 --epochs 50 --out .bench/out

Input split file (molgdl format): {"train": [...], "val": [...], "test": [...]}
with 0-based data-row indices into the CSV (header excluded).

What it does:
  1. writes ``OUT/data.csv`` = (stripped SMILES, target) for the CSV rows named in
     the split, in CSV order (all rows, same order, when the split covers them all);
  2. writes ``OUT/chemprop_splits.json`` = ``[{"train": ..., "val": ..., "test": ...}]``
     with indices into ``OUT/data.csv`` (chemprop's ``--splits-file`` format: a JSON
     *list* of dicts, one per replicate);
  3. runs ``chemprop train`` as a subprocess with chemprop defaults, overriding only
     the split (``--splits-file``), the seeds (``--data-seed`` and ``--pytorch-seed``)
     and ``--epochs``; its stdout/stderr go to ``OUT/chemprop_train.log`` (the exact
     command is in ``OUT/chemprop_cmd.json``). ``--pytorch-seed`` also makes chemprop
     build its Lightning Trainer with ``deterministic=True``. Optional ``--threads N``
     sets OMP/MKL_NUM_THREADS for the subprocess (torch's default is one per core;
     on a 2-core machine ``--threads 1`` trained ~2.5x faster); ``--accelerator``
     is passed through (chemprop's default ``auto`` picks a GPU when one is visible);
  4. reads ``OUT/chemprop/model_0/test_predictions.csv`` (predictions of the best-val
     checkpoint, in test-index order), checks each row's SMILES against the CSV, and
     computes the RMSE itself against the CSV targets.

Prints ONE JSON line on stdout:
  {"test_rmse": float, "wall_s": float, "peak_rss_mb": float}
  wall_s      = wall time of the whole ``chemprop train`` subprocess (startup,
                featurization, training, test prediction, checkpoint saving)
  peak_rss_mb = ru_maxrss of the chemprop subprocess (RUSAGE_CHILDREN), in MiB
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path


def _fail(msg: str) -> None:
    print(f"chemprop_runner: error: {msg}", file=sys.stderr)
    sys.exit(2)


def read_csv(path: Path, smiles_col: str, target_col: str) -> tuple[list[str], list[float]]:
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        for col in (smiles_col, target_col):
            if col not in fields:
                _fail(f"column {col!r} not in {path} (columns: {fields})")
        smiles, targets = [], []
        for row in reader:
            smiles.append(row[smiles_col].strip())
            raw = (row[target_col] or "").strip()
            targets.append(float(raw) if raw else math.nan)
    return smiles, targets


def load_split(path: Path, n_rows: int) -> dict[str, list[int]]:
    with open(path) as fh:
        split = json.load(fh)
    if isinstance(split, list) and len(split) == 1:  # already chemprop's list-of-one format
        split = split[0]
    if not isinstance(split, dict):
        _fail(f"{path}: expected a JSON object with train/val/test keys, got {type(split).__name__}")
    out: dict[str, list[int]] = {}
    for key in ("train", "val", "test"):
        if key not in split:
            _fail(f"{path}: missing key {key!r}")
        idx = [int(i) for i in split[key]]
        if not idx:
            _fail(f"{path}: split {key!r} is empty (chemprop needs train, val and test rows)")
        bad = [i for i in idx if not 0 <= i < n_rows]
        if bad:
            _fail(f"{path}: {key} has indices outside [0, {n_rows}): {bad[:5]}")
        if len(set(idx)) != len(idx):
            _fail(f"{path}: {key} has duplicate indices")
        out[key] = idx
    for a, b in (("train", "val"), ("train", "test"), ("val", "test")):
        if set(out[a]) & set(out[b]):
            _fail(f"{path}: {a} and {b} overlap")
    return out


def chemprop_command() -> list[str]:
    exe = Path(sys.executable).parent / "chemprop"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "import sys; from chemprop.cli.main import main; sys.exit(main())"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--smiles-column", required=True)
    p.add_argument("--target-column", required=True)
    p.add_argument("--split-json", required=True, type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=50, help="chemprop default: 50")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--accelerator", default=None,
                   help="passed to chemprop --accelerator (chemprop default 'auto'); e.g. 'cpu'")
    p.add_argument("--threads", type=int, default=None,
                   help="set OMP_NUM_THREADS/MKL_NUM_THREADS for chemprop (default: leave torch's "
                        "default, one thread per core). On a 2-core box 1 is ~2.5x faster.")
    args = p.parse_args(argv)

    if args.epochs <= 2:  # chemprop: epochs must exceed --warmup-epochs (default 2)
        _fail(f"--epochs must be > 2 (chemprop's default warmup is 2 epochs), got {args.epochs}")
    smiles, targets = read_csv(args.data, args.smiles_column, args.target_column)
    split = load_split(args.split_json, len(smiles))

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    train_dir = out / "chemprop"
    if train_dir.exists():  # stale results from an earlier run must never be read
        shutil.rmtree(train_dir)

    # chemprop parses EVERY row of its input CSV (an invalid SMILES aborts the run),
    # while molgdl's split files may leave out rows molgdl skipped as invalid. So
    # chemprop gets only the rows named in the split, and the indices are remapped
    # to positions in that file (identity when the split covers every row).
    used = sorted(set().union(*split.values()))
    pos = {row: k for k, row in enumerate(used)}
    data_csv = out / "data.csv"
    with open(data_csv, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([args.smiles_column, args.target_column])
        for i in used:
            y = targets[i]
            w.writerow([smiles[i], "" if math.isnan(y) else repr(y)])

    splits_file = out / "chemprop_splits.json"
    with open(splits_file, "w") as fh:
        # chemprop --splits-file: a JSON list of dicts (one per replicate)
        json.dump([{k: [pos[i] for i in split[k]] for k in ("train", "val", "test")}], fh)

    cmd = chemprop_command() + [
        "train",
        "--data-path", str(data_csv),
        "--smiles-columns", args.smiles_column,
        "--target-columns", args.target_column,
        "--task-type", "regression",  # chemprop's default, stated for clarity
        "--splits-file", str(splits_file),
        "--data-seed", str(args.seed),
        "--pytorch-seed", str(args.seed),
        "--epochs", str(args.epochs),
        "--output-dir", str(train_dir),
    ]
    if args.accelerator:
        cmd += ["--accelerator", args.accelerator]

    log_path = out / "chemprop_train.log"
    (out / "chemprop_cmd.json").write_text(json.dumps(cmd, indent=1) + "\n")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if args.threads:
        env.update(OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    with open(log_path, "w") as log:
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        wall_s = time.perf_counter() - t0
    # Linux: ru_maxrss in KiB; max over waited-for children (the chemprop process).
    peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    if proc.returncode != 0:
        tail = log_path.read_text(errors="replace").splitlines()[-30:]
        print("\n".join(tail), file=sys.stderr)
        _fail(f"chemprop train exited with {proc.returncode}; log: {log_path}")

    pred_path = train_dir / "model_0" / "test_predictions.csv"
    if not pred_path.exists():
        _fail(f"no test predictions at {pred_path}; log: {log_path}")
    with open(pred_path, newline="") as fh:
        rows = list(csv.reader(fh))
    header, rows = rows[0], rows[1:]
    if len(rows) != len(split["test"]):
        _fail(f"{pred_path}: {len(rows)} predictions for {len(split['test'])} test rows")
    # columns: input (smiles) columns then target columns
    pred_col = header.index(args.target_column) if args.target_column in header else len(header) - 1
    sq, n = 0.0, 0
    for row, i in zip(rows, split["test"]):
        if row[0] != smiles[i]:
            _fail(f"prediction order mismatch at data row {i}: {row[0]!r} != {smiles[i]!r}")
        y = targets[i]
        if math.isnan(y):
            continue
        sq += (float(row[pred_col]) - y) ** 2
        n += 1
    if n == 0:
        _fail("no finite targets in the test split")
    result = {
        "test_rmse": math.sqrt(sq / n),
        "wall_s": round(wall_s, 3),
        "peak_rss_mb": round(peak_rss_mb, 1),
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
