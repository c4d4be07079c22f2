"""Issue 28: does making RDKit descriptors float32-safe (Ipc as log1p(Ipc), unsafe values set missing) change
the accuracy of the default configs? ESOL, FreeSolv and Lipophilicity, paired by seed (a seed fixes the random
80/10/10 split and the initialisation), in three arms run by this one script:

- ``before``: the code at commit ``BEFORE`` (raw Ipc), from a git worktree in ``.bench/before`` put first on
  PYTHONPATH (the installed entry points then load that tree's plugins);
- ``after``: the working tree (``configs/<dataset>.yaml`` unchanged: z-scored descriptors);
- ``after_cdf``: the same with ``scaling.descriptors: cdf`` (training-set empirical CDF).

One JSON per (dataset, arm, seed) in ``benchmarks/descriptors/results/``; ``report.py`` makes the section.

    git worktree add .bench/before 48872f1
    OMP_NUM_THREADS=1 python benchmarks/descriptors/molnet_before_after.py [--datasets esol freesolv lipo]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / ".bench" / "descriptors"
RESULTS = Path(__file__).resolve().parent / "results"
BEFORE = "48872f1"
BEFORE_TREE = ROOT / ".bench" / "before"
#: epochs per dataset: the configs' own 50, except Lipophilicity at 15 (4,200 molecules; the CPU budget of a
#: 2-core session), the budget of its optimizer benchmark in BENCHMARKS.md
EPOCHS = {"esol": 50, "freesolv": 50, "lipo": 15}
ARMS = {"before": [], "after": [], "after_cdf": ["scaling.descriptors=cdf"]}


def child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def env_for(arm: str) -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    if arm == "before":
        if not (BEFORE_TREE / "src" / "molgdl").is_dir():
            raise SystemExit(f"no worktree at {BEFORE_TREE}: run `git worktree add .bench/before {BEFORE}` first")
        paths = [str(p) for p in sorted((BEFORE_TREE / "plugins").glob("molgdl-*"))] + [str(BEFORE_TREE / "src")]
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def run_one(dataset: str, arm: str, seed: int) -> dict:
    out = RESULTS / f"{dataset}_{arm}_seed{seed}.json"
    if out.exists():
        return json.loads(out.read_text())
    name = f"{dataset}_{arm}_s{seed}"
    overrides = [f"run.seeds=[{seed}]", f"run.output_dir={BENCH / 'runs'}", f"run.name={name}",
                 f"trainer.max_epochs={EPOCHS[dataset]}", "trainer.num_threads=1", "data.progress=false",
                 "trainer.progress_bar=false", f"data.cache_dir={BENCH / ('cache_' + arm.split('_')[0])}",
                 "data.num_workers=1", *ARMS[arm]]
    cmd = [sys.executable, "-m", "molgdl", "run", str(ROOT / "configs" / f"{dataset}.yaml"), "--overwrite"]
    for o in overrides:
        cmd += ["--set", o]
    cwd = BEFORE_TREE if arm == "before" else ROOT
    cpu0, t0 = child_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env_for(arm))
    (BENCH / f"{name}.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
        raise RuntimeError(f"{name} failed (log: {BENCH / (name + '.log')})")
    summary = json.loads((BENCH / "runs" / name / "summary.json").read_text())
    record = {
        "dataset": dataset, "arm": arm, "seed": seed, "epochs": EPOCHS[dataset],
        "code": BEFORE if arm == "before" else "working tree",
        "test_rmse": summary["test"]["overall"]["rmse"]["mean"],
        "val_rmse": summary["val"]["overall"]["rmse"]["mean"],
        "wall_s": round(time.perf_counter() - t0, 1), "cpu_s": round(child_cpu() - cpu0, 1),
        "command": " ".join(cmd[1:]).replace(str(ROOT) + "/", ""),
    }
    out.write_text(json.dumps(record, indent=1) + "\n")
    return record


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--datasets", nargs="+", default=list(EPOCHS))
    p.add_argument("--arms", nargs="+", default=list(ARMS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    args = p.parse_args()
    BENCH.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for dataset in args.datasets:
        for seed in args.seeds:
            for arm in args.arms:
                r = run_one(dataset, arm, seed)
                print(f"{dataset} {arm} seed {seed}: test RMSE {r['test_rmse']:.4f} ({r['wall_s']} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
