"""The default physical-chemistry configs (issue 16: "ESOL stays at or below 0.50 test RMSE with the default
config"): the ensembles of ``configs/esol.yaml`` and ``configs/freesolv.yaml`` against each of their members
alone (the D-MPNN member is the single model that was the default before), paired by seed in the same run.

Per dataset and seed ``s``: ``python -m molgdl run configs/<dataset>.yaml --set run.seeds=[s]`` (a seed fixes the random
80/10/10 split and every member's initialisation); the record keeps the ensemble's test RMSE, every member's
test RMSE alone (``ensemble.json``), and the validation RMSE of each, so that choices can be checked against
validation numbers only. One JSON record per dataset and seed in ``results/<dataset>_seed<s>.json``;
``report.py`` turns them into BENCHMARKS.md.

    OMP_NUM_THREADS=1 python benchmarks/physchem_default/run.py            # esol and freesolv, seeds 0-4, missing only
    OMP_NUM_THREADS=1 python benchmarks/physchem_default/run.py --datasets esol --seeds 0 --quick   # smoke, .bench/
    python benchmarks/physchem_default/report.py                            # BENCHMARKS.md section
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import BENCH_DIR, molgdl_command  # noqa: E402

DATASETS = ("esol", "freesolv")


def rmse_by_split(pred_csv: Path) -> dict[str, float]:
    """RMSE of ``<target>_pred`` per split label in a predictions.csv (one regression target)."""
    p = pd.read_csv(pred_csv)
    pred = next(c for c in p.columns if c.endswith("_pred"))
    err = p[pred] - p[pred[: -len("_pred")]]
    return {s: float(np.sqrt(np.mean(err[p["split"] == s] ** 2))) for s in ("train", "val", "test")}


def run_seed(dataset: str, seed: int, out: Path, quick: bool, extra: list[str] = (), tag: str = "") -> dict:
    config = f"configs/{dataset}.yaml"
    name = f"{dataset}_default{tag and '_' + tag}_s{seed}"
    runs = BENCH_DIR / ("physchem_default_quick" if quick else "physchem_default") / "runs"
    sets = [f"run.seeds=[{seed}]", f"run.name={name}", f"run.output_dir={runs}", "data.progress=false",
            "trainer.progress_bar=false"] + (["trainer.max_epochs=3"] if quick else []) + list(extra)
    cmd = molgdl_command(ROOT / config, sets)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-3000:])
        raise SystemExit(f"{dataset} seed {seed}: molgdl run failed")
    run = runs / name
    key = f"seed_{seed}"
    info = json.loads((run / "ensemble.json").read_text())["replicates"][key]
    members = {m: rmse_by_split(run / "members" / m / key / "predictions.csv") for m in info["trained"]}
    record = {
        "dataset": dataset, "seed": seed, "config": config, "overrides": list(extra), "quick": quick, "ensemble": rmse_by_split(run / key / "predictions.csv"),
        "members": members, "weights": info["weights"], "wall_s": round(wall, 1),
        "member_seconds": info["seconds"], "command": " ".join(cmd[1:]).replace(str(ROOT) + "/", ""),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                 text=True).stdout.strip(),
        "threads": os.environ.get("OMP_NUM_THREADS", "unset"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    out.write_text(json.dumps(record, indent=1) + "\n")
    return record


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    ap.add_argument("--quick", action="store_true", help="3 epochs, records under .bench/ (not committed)")
    ap.add_argument("--force", action="store_true", help="rerun seeds whose record exists")
    ap.add_argument("--results", type=Path, default=None,
                    help="records folder (default: results/ here; .bench/physchem_default_quick/results with --quick)")
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                    help="a config override for every run (repeatable), e.g. ensemble.classical_fit=train_and_val; "
                         "use with --results and --tag so that the default's records stay apart")
    ap.add_argument("--tag", default="", help="suffix of the run folders' names (with --set)")
    args = ap.parse_args()
    results = args.results or ((BENCH_DIR / "physchem_default_quick" / "results") if args.quick else HERE / "results")
    results.mkdir(parents=True, exist_ok=True)
    for dataset in args.datasets:
        for seed in args.seeds:
            out = results / f"{dataset}_seed{seed}.json"
            if out.exists() and not args.force:
                continue
            r = run_seed(dataset, seed, out, args.quick, args.sets, args.tag)
            shown = ", ".join(f"{m} {v['test']:.3f}" for m, v in r["members"].items())
            print(f"{dataset} seed {seed}: ensemble test RMSE {r['ensemble']['test']:.3f} ({shown}); "
                  f"{r['wall_s']:.0f} s", flush=True)


if __name__ == "__main__":
    main()
