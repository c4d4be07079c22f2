"""(b) ESOL / Lipophilicity with the default 2D model (configs/<dataset>.yaml): test RMSE of QAdam vs Adam vs
SGD vs SGLD at the same, reduced epoch budget (CPU budget: see BENCHMARKS.md).

Each optimizer is one ``molgdl run`` over all seeds; everything else is the dataset's default config
(D-MPNN 300x3 + rdkit2d descriptors, random 80/10/10 split per seed, noam schedule, batch 50). The QAdam
lattice starts at spacing 2^-13 and is halved 3 times over the run (rate = 3 / epochs). SGLD uses the SGD
lr and QAdam's initial temperature 1/(24 lr_adam 8192^2). A run whose summary.json exists is reused.
Writes ``.bench/qlangevin/results/<dataset>.json``.

    OMP_NUM_THREADS=1 python benchmarks/qlangevin/molnet.py --dataset esol --epochs 20 --seeds 0 1 2 3 4
    OMP_NUM_THREADS=1 python benchmarks/qlangevin/molnet.py --dataset lipo --epochs 10 --seeds 0 --optimizers adam qadam
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / ".bench" / "qlangevin"
OUT = BENCH / "results"
ETA, LR_ADAM, LR_SGD = 8192.0, 1e-3, 0.05


def optimizer_specs(epochs: int) -> dict[str, str]:
    t_qadam = 1.0 / (24 * LR_ADAM * ETA**2)
    return {
        "adam": f"{{name: adam, lr: {LR_ADAM}}}",
        "qadam": f"{{name: qadam, lr: {LR_ADAM}, eta: {ETA}, b: 2, schedule: linear, rate: {3 / epochs:.6g}}}",
        "sgd": f"{{name: sgd, lr: {LR_SGD}}}",
        "sgld": f"{{name: sgld, lr: {LR_SGD}, temperature: {t_qadam:.6g}}}",
    }


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_one(dataset: str, opt: str, spec: str, epochs: int, seeds: list[int]) -> dict:
    name = f"{dataset}_{opt}_e{epochs}"
    run_dir = BENCH / "runs" / name
    cmd = [sys.executable, "-m", "molgdl", "run", str(ROOT / "configs" / f"{dataset}.yaml"),
           "--set", f"optimizer={spec}", "--set", f"run.seeds=[{','.join(map(str, seeds))}]",
           "--set", f"run.output_dir={BENCH / 'runs'}", "--set", f"run.name={name}",
           "--set", f"trainer.max_epochs={epochs}", "--set", "trainer.num_threads=1",
           "--set", "data.progress=false", "--set", "trainer.progress_bar=false",
           "--set", f"data.cache_dir={BENCH / 'cache'}", "--set", "data.num_workers=1", "--overwrite"]
    info = {"optimizer": opt, "spec": spec, "run_dir": str(run_dir.relative_to(ROOT)),
            "command": " ".join(cmd[1:]).replace(str(ROOT) + "/", "")}
    summary = run_dir / "summary.json"
    done = json.loads(summary.read_text())["seeds"] if summary.exists() else []
    if done != seeds:
        if done and set(done) < set(seeds):  # more seeds for a finished run: completed seeds are kept
            cmd[-1] = "--resume"
            timing = json.loads((run_dir / "bench_timing.json").read_text())
        else:
            timing = {"wall_s": 0.0, "cpu_s": 0.0}
        cpu0, t0 = child_cpu() - timing["cpu_s"], time.perf_counter() - timing["wall_s"]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        (BENCH / f"{name}.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-3000:])
            raise RuntimeError(f"{name} failed")
        info.update(wall_s=time.perf_counter() - t0, cpu_s=child_cpu() - cpu0)
        (run_dir / "bench_timing.json").write_text(json.dumps({"wall_s": info["wall_s"], "cpu_s": info["cpu_s"]}))
    else:
        info.update(json.loads((run_dir / "bench_timing.json").read_text()))
    s = json.loads(summary.read_text())
    rmse = s["test"]["overall"]["rmse"]
    info.update(test_rmse_mean=rmse["mean"], test_rmse_std=rmse["std"], test_rmse=rmse["values"],
                val_rmse_mean=s["val"]["overall"]["rmse"]["mean"])
    info.update(optim_log(run_dir, seeds))
    return info


def optim_log(run_dir: Path, seeds: list[int]) -> dict:
    """Mean of the logged optim/frozen_frac and optim/quant_err_rel over epochs and seeds (QAdam only)."""
    vals: dict[str, list[float]] = {"frozen_frac": [], "quant_err_rel": [], "temperature": []}
    for seed in seeds:
        path = run_dir / f"seed_{seed}" / "logs" / "metrics.csv"
        if not path.exists():
            continue
        for row in csv.DictReader(path.open()):
            for key in vals:
                if row.get(f"optim/{key}"):
                    vals[key].append(float(row[f"optim/{key}"]))
    return {f"logged_{k}_mean": sum(v) / len(v) for k, v in vals.items() if v}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="esol")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--optimizers", nargs="+", default=["adam", "qadam", "sgd", "sgld"])
    args = ap.parse_args()
    specs = optimizer_specs(args.epochs)
    OUT.mkdir(parents=True, exist_ok=True)
    out_path = OUT / f"{args.dataset}.json"
    result = json.loads(out_path.read_text()) if out_path.exists() else {}
    if result.get("epochs") != args.epochs or result.get("seeds") != args.seeds:
        result = {"dataset": args.dataset, "epochs": args.epochs, "seeds": args.seeds, "rows": {}}
    for opt in args.optimizers:
        row = run_one(args.dataset, opt, specs[opt], args.epochs, args.seeds)
        result["rows"][opt] = row
        out_path.write_text(json.dumps(result, indent=2))
        print(f"{args.dataset} {opt:6s} test RMSE {row['test_rmse_mean']:.4f} ± {row['test_rmse_std']:.4f} "
              f"(cpu {row['cpu_s']:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
