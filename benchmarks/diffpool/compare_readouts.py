"""DiffPool vs sum / attention / Set2Set readouts after the default 2D encoder (D-MPNN 300 x 3).

For each dataset (ESOL and Lipophilicity: test RMSE; BBBP: test ROC-AUC), seed and readout, one
``molgdl run configs/<dataset>.yaml`` (its single model: ``ensemble=null``) with only the readout changed (``--set readout=...``), the same epoch
budget for every readout, the rdkit2d descriptors removed (``descriptors=[]``) so that the molecule
representation comes from the readout alone, one thread. The readouts of one seed run back to back (seed by
seed), so that a change of machine load hits every readout of a seed alike and the time ratios pair up.
One raw record per run in ``benchmarks/diffpool/results/<dataset>_<readout>_s<seed>.json``: test metric,
training seconds per epoch (``train_seconds`` / epochs, validation included), peak RSS of the process
(``/usr/bin/time``; featurization is cached by a warm-up run first) and the command. ``report.py`` writes the
BENCHMARKS.md section from the records. DiffPool uses ``levels: [0.25, 1]`` with ``max_nodes`` = the
dataset's largest molecule (the paper's 25 % rule).

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/diffpool/compare_readouts.py --datasets esol \
        --readouts sum diffpool --epochs 8 --seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine, timed  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
# metric, largest molecule (heavy atoms), rows used (None: all; the first N rows keep the CPU budget bounded)
DATASETS = {"esol": ("rmse", 55, None), "lipo": ("rmse", 115, 600), "bbbp": ("roc_auc", 132, 600)}
READOUTS = {
    "diffpool": "{{name: diffpool, max_nodes: {max_nodes}}}",
    "sum": "{{name: sum}}",
    "attention": "{{name: attention}}",
    "set2set": "{{name: set2set}}",
}


def base_cmd(dataset: str, name: str, epochs: int, seed: int, work: Path, limit: int | None) -> list[str]:
    return [sys.executable, "-m", "molgdl", "run", f"configs/{dataset}.yaml",
            "--set", "descriptors=[]", "--set", f"run.seeds=[{seed}]",
            "--set", f"run.output_dir={work / 'runs'}", "--set", f"run.name={name}",
            "--set", f"trainer.max_epochs={epochs}", "--set", "trainer.num_threads=1",
            "--set", "data.progress=false", "--set", "trainer.progress_bar=false",
            "--set", f"data.cache_dir={work / 'cache'}", "--set", "data.num_workers=1", "--set", "ensemble=null",
            "--overwrite"] + (
        ["--set", f"data.source.limit={limit}"] if limit else [])


def run_one(dataset: str, readout: str, epochs: int, seed: int, work: Path, limit: int | None) -> dict:
    metric, max_nodes, _ = DATASETS[dataset]
    spec = READOUTS[readout].format(max_nodes=max_nodes)
    name = f"{dataset}_{readout}_s{seed}"
    cmd = base_cmd(dataset, name, epochs, seed, work, limit) + ["--set", f"readout={spec}"]
    res = timed(cmd, env={"OMP_NUM_THREADS": "1"}, log=work / f"{name}.log")
    m = json.loads((work / "runs" / name / f"seed_{seed}" / "metrics.json").read_text())
    shown = ["python"] + [c.replace(str(work), "<work>") for c in cmd[1:]]
    return {"dataset": dataset, "readout": readout, "seed": seed, "epochs": epochs, "rows": limit,
            "spec": spec, "metric": metric, "value": float(m["metrics"]["test"]["overall"][metric]),
            "sec_per_epoch": float(m["train_seconds"]) / epochs, "peak_rss_mb": res["peak_rss_mb"],
            "wall_s": res["wall_s"], "command": "OMP_NUM_THREADS=1 " + " ".join(shown), "machine": machine()}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["esol"], choices=list(DATASETS))
    ap.add_argument("--readouts", nargs="+", default=["sum", "diffpool"], choices=list(READOUTS))
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--quick", action="store_true", help="ESOL's first 200 rows, 1 epoch, seeds 0 1")
    ap.add_argument("--results", type=Path, default=RESULTS, help="folder of the raw records")
    ap.add_argument("--work", type=Path, default=None, help="run folders and feature cache (default: a temp dir)")
    args = ap.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="molgdl-diffpool-"))
    work.mkdir(parents=True, exist_ok=True)
    args.results.mkdir(parents=True, exist_ok=True)
    if args.quick:
        args.datasets, args.epochs, args.seeds = ["esol"], 1, [0, 1]
    for dataset in args.datasets:
        limit = 200 if args.quick else DATASETS[dataset][2]
        timed(base_cmd(dataset, f"{dataset}_warmup", 1, 0, work, limit), env={"OMP_NUM_THREADS": "1"},
              log=work / f"{dataset}_warmup.log")  # featurize once, so no timed run pays for it
        for seed in args.seeds:
            for readout in args.readouts:
                r = run_one(dataset, readout, args.epochs, seed, work, limit)
                (args.results / f"{dataset}_{readout}_s{seed}.json").write_text(json.dumps(r, indent=1) + "\n")
                print(f"{dataset:5s} {readout:9s} seed {seed} {r['metric']} {r['value']:.3f}  "
                      f"{r['sec_per_epoch']:.2f} s/epoch  {r['peak_rss_mb']:.0f} MiB", flush=True)


if __name__ == "__main__":
    main()
