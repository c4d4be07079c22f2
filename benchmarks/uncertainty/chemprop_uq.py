"""chemprop 2.3.1's uncertainty methods on one split, per molecule (run with the chemprop venv,
benchmarks/peers/setup_chemprop.sh)::

    .bench/chemprop-venv/bin/python benchmarks/uncertainty/chemprop_uq.py --data data.csv --split split.json \
        --seed 0 --epochs 50 --ensemble-size 5 --out .bench/uq/esol

``data.csv``: columns smiles, y; ``split.json``: {"train", "val", "test"}: 0-based row indices of data.csv.
Trains (chemprop defaults otherwise) a ``regression`` ensemble of ``--ensemble-size`` models, one
``regression-mve`` and one ``regression-evidential`` model, then predicts with ``--uncertainty-method`` ensemble
(the ensemble), dropout (its first model, MC dropout p = 0.1, 10 samples), mve and evidential-total:
uncalibrated on val + test, and on test with chemprop's own calibrators fitted on val (``zscaling``: a variance;
``conformal-regression`` at alpha = 0.1: a half interval). Prints one JSON object:
``{"train_seconds": {model: s}, "methods": {method: {"val": {"mu", "var"}, "test": {"mu", "var", "zscaling_var",
"conformal_half"}}}}``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "peers"))
from chemprop_runner import chemprop_command  # noqa: E402

METHODS = {"ensemble": "point", "dropout": "point", "mve": "mve", "evidential-total": "evidential"}
TASKS = {"point": "regression", "mve": "regression-mve", "evidential": "regression-evidential"}


def run(cmd: list[str], log: Path, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    if proc.returncode != 0:
        sys.stderr.write("\n".join(log.read_text(errors="replace").splitlines()[-30:]) + "\n")
        raise SystemExit(f"chemprop_uq: {cmd[1] if len(cmd) > 1 else cmd} failed; log: {log}")
    return time.perf_counter() - t0


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows([["smiles", "y"], *rows])


def read_output(path: Path, smiles: list[str]) -> tuple[list[float], list[float]]:
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if [r["smiles"] for r in rows] != smiles:
        raise SystemExit(f"chemprop_uq: {path} rows are not in input order")
    return [float(r["y"]) for r in rows], [float(r["y_unc"]) for r in rows]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--split", required=True, type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--ensemble-size", type=int, default=5)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)

    with open(args.data, newline="") as fh:
        rows = [[r["smiles"], r["y"]] for r in csv.DictReader(fh)]
    split = json.loads(args.split.read_text())
    out = args.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    (out / "splits.json").write_text(json.dumps([{k: split[k] for k in ("train", "val", "test")}]))
    seconds = {}
    for head, task in TASKS.items():
        cmd = chemprop_command() + [
            "train", "--data-path", str(args.data), "--smiles-columns", "smiles", "--target-columns", "y",
            "--task-type", task, "--splits-file", str(out / "splits.json"), "--data-seed", str(args.seed),
            "--pytorch-seed", str(args.seed), "--epochs", str(args.epochs), "--output-dir", str(out / head),
            "--accelerator", "cpu", "--ensemble-size", str(args.ensemble_size if head == "point" else 1)]
        seconds[head] = run(cmd, out / f"train_{head}.log", env)
    parts = {k: [rows[i] for i in split[k]] for k in ("val", "test")}
    for k, part in parts.items():
        write_rows(out / f"{k}.csv", part)
    methods = {}
    for method, head in METHODS.items():
        model = out / head / "model_0" / "best.pt" if method == "dropout" else out / head
        base = chemprop_command() + ["predict", "--smiles-columns", "smiles", "--model-paths", str(model),
                                     "--accelerator", "cpu", "--uncertainty-method", method]
        if method == "dropout":
            base += ["--uncertainty-dropout-p", "0.1", "--dropout-sampling-size", "10"]
        res: dict[str, dict[str, list[float]]] = {}
        for k, part in parts.items():
            o = out / f"{method}_{k}_raw.csv"
            run(base + ["--test-path", str(out / f"{k}.csv"), "--preds-path", str(o)], o.with_suffix(".log"), env)
            mu, var = read_output(o, [r[0] for r in part])
            res[k] = {"mu": mu, "var": var}
        for cal, key, extra in (("zscaling", "zscaling_var", []),
                                ("conformal-regression", "conformal_half", ["--conformal-alpha", "0.1"])):
            o = out / f"{method}_test_{cal}.csv"
            run(base + ["--test-path", str(out / "test.csv"), "--preds-path", str(o), "--cal-path",
                        str(out / "val.csv"), "--calibration-method", cal, *extra], o.with_suffix(".log"), env)
            res["test"][key] = read_output(o, [r[0] for r in parts["test"]])[1]
        methods[method] = res
    print(json.dumps({"train_seconds": seconds, "methods": methods}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
