"""Issue 28: ``configs/esol_random_forest.yaml`` and ``configs/esol.yaml`` with only the data source and the split
changed, on the ten bundled MoleculeACE sets (their own train/test split, 10 % of train as validation, seed 0).
Before the float32-safe descriptors, the random-forest config crashed on CHEMBL204_Ki and CHEMBL236_Ki
(``Input X contains infinity or a value too large for dtype('float32')``). Records whether each run completed,
its test RMSE and cliff RMSE (-log10(Ki or EC50 / nM)), and how many descriptor values run.log reports as set
missing. One JSON per (config, set) in ``benchmarks/descriptors/results/``; ``report.py`` makes the section.

    OMP_NUM_THREADS=1 python benchmarks/descriptors/moleculeace_configs.py [--configs esol_random_forest esol]
    OMP_NUM_THREADS=1 python benchmarks/descriptors/moleculeace_configs.py --configs esol --epochs 5
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / ".bench" / "descriptors"
RESULTS = Path(__file__).resolve().parent / "results"
SETS = ["CHEMBL1862_Ki", "CHEMBL2047_EC50", "CHEMBL204_Ki", "CHEMBL214_Ki", "CHEMBL218_EC50", "CHEMBL228_Ki",
        "CHEMBL236_Ki", "CHEMBL262_Ki", "CHEMBL287_Ki", "CHEMBL4203_Ki"]
CONFIGS = ["esol_random_forest", "esol"]


def run_one(config: str, assay: str, epochs: int | None) -> dict:
    tag = f"_e{epochs}" if epochs else ""
    out = RESULTS / f"moleculeace_{config}{tag}_{assay}.json"
    if out.exists():
        return json.loads(out.read_text())
    name = f"mace_{config}{tag}_{assay}"
    overrides = [f"data.source={{name: moleculeace, set: {assay}}}",
                 "split={name: column, column: split, val_fraction: 0.1}", "run.seeds=[0]",
                 f"run.output_dir={BENCH / 'runs'}", f"run.name={name}", "data.progress=false",
                 f"data.cache_dir={BENCH / 'cache_after'}", "data.num_workers=1"]
    if config != "esol_random_forest":
        overrides += ["trainer.num_threads=1", "trainer.progress_bar=false"]
        if epochs:
            overrides.append(f"trainer.max_epochs={epochs}")
    cmd = [sys.executable, "-m", "molgdl", "run", str(ROOT / "configs" / f"{config}.yaml"), "--overwrite"]
    for o in overrides:
        cmd += ["--set", o]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    (BENCH / f"{name}.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    run_dir = BENCH / "runs" / name
    status = json.loads((run_dir / "status.json").read_text()) if (run_dir / "status.json").exists() else {}
    record = {"config": f"configs/{config}.yaml", "set": assay, "epochs": epochs, "returncode": proc.returncode,
              "state": status.get("state"), "wall_s": round(time.perf_counter() - t0, 1),
              "command": " ".join(cmd[1:]).replace(str(ROOT) + "/", "")}
    if proc.returncode == 0:
        s = json.loads((run_dir / "summary.json").read_text())
        record.update(test_rmse=s["test"]["overall"]["rmse"]["mean"],
                      test_cliff_rmse=s["test"]["overall"]["cliff_rmse"]["mean"])
        log = (run_dir / "run.log").read_text()
        m = re.search(r"descriptors: (\d+) value\(s\) in (\d+) of (\d+) columns", log)
        record["descriptor_values_set_missing"] = int(m.group(1)) if m else 0
        record["overflow_warnings"] = proc.stderr.count("overflow encountered")
    else:
        record["error_tail"] = proc.stderr[-600:]
    out.write_text(json.dumps(record, indent=1) + "\n")
    return record


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--configs", nargs="+", default=CONFIGS)
    p.add_argument("--sets", nargs="+", default=SETS)
    p.add_argument("--epochs", type=int, default=None,
                   help="override trainer.max_epochs of the neural config (results named ..._e<N>_<set>.json)")
    args = p.parse_args()
    BENCH.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for config in args.configs:
        for assay in args.sets:
            r = run_one(config, assay, args.epochs)
            print(f"{config} {assay}: {r['state']} test RMSE {r.get('test_rmse')} cliff {r.get('test_cliff_rmse')} "
                  f"({r['wall_s']} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
