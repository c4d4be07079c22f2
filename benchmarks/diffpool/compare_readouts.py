"""DiffPool vs sum / attention / Set2Set readouts after the default 2D encoder (D-MPNN 300 x 3).

For each dataset (ESOL and Lipophilicity: test RMSE; BBBP: test ROC-AUC) and each readout, one
``molgdl run configs/<dataset>.yaml`` over all seeds with only the readout changed (``--set readout=...``),
the same reduced epoch budget for every readout, the rdkit2d descriptors removed (``descriptors=[]``) so that
the molecule representation comes from the readout alone, one thread. Reports per readout: test metric mean
± std over seeds, training seconds per epoch (``train_seconds`` of each seed / epochs, validation included)
and the peak RSS of the ``molgdl run`` process (``/usr/bin/time``; data loading included, featurization
cached by a warm-up run). DiffPool uses ``levels: [0.25, 1]`` with ``max_nodes`` = the dataset's largest
molecule (the paper's 25 % rule). Results go to ``.bench/diffpool/results.json`` and BENCHMARKS.md.

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/diffpool/compare_readouts.py --epochs 30 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine, timed, write_section  # noqa: E402

BENCH = ROOT / ".bench" / "diffpool"
# metric, largest molecule (heavy atoms), rows used (None: all; the first N rows keep the CPU budget bounded)
DATASETS = {"esol": ("rmse", 55, None), "lipo": ("rmse", 115, 600), "bbbp": ("roc_auc", 132, 600)}
READOUTS = {
    "diffpool": "{{name: diffpool, max_nodes: {max_nodes}}}",
    "sum": "{{name: sum}}",
    "attention": "{{name: attention}}",
    "set2set": "{{name: set2set}}",
}


def base_cmd(dataset: str, name: str, epochs: int, seeds: list[int]) -> list[str]:
    limit = DATASETS[dataset][2]
    return [sys.executable, "-m", "molgdl", "run", str(ROOT / "configs" / f"{dataset}.yaml"),
            "--set", "descriptors=[]", "--set", f"run.seeds=[{','.join(map(str, seeds))}]",
            "--set", f"run.output_dir={BENCH / 'runs'}", "--set", f"run.name={name}",
            "--set", f"trainer.max_epochs={epochs}", "--set", "trainer.num_threads=1",
            "--set", "data.progress=false", "--set", "trainer.progress_bar=false",
            "--set", f"data.cache_dir={BENCH / 'cache'}", "--set", "data.num_workers=1", "--overwrite"] + (
        ["--set", f"data.source.limit={limit}"] if limit else [])


def test_metric(run_dir: Path, seed: int, metric: str) -> float:
    m = json.loads((run_dir / f"seed_{seed}" / "metrics.json").read_text())
    return float(m["metrics"]["test"]["overall"][metric])


def run_one(dataset: str, readout: str, epochs: int, seeds: list[int]) -> dict:
    metric, max_nodes, _ = DATASETS[dataset]
    spec = READOUTS[readout].format(max_nodes=max_nodes)
    name = f"{dataset}_{readout}_e{epochs}"
    cmd = base_cmd(dataset, name, epochs, seeds) + ["--set", f"readout={spec}"]
    BENCH.mkdir(parents=True, exist_ok=True)
    res = timed(cmd, env={"OMP_NUM_THREADS": "1"}, log=BENCH / f"{name}.log")
    run_dir = BENCH / "runs" / name
    values = [test_metric(run_dir, s, metric) for s in seeds]
    secs = [json.loads((run_dir / f"seed_{s}" / "metrics.json").read_text())["train_seconds"] / epochs
            for s in seeds]
    return {"dataset": dataset, "readout": readout, "spec": spec, "metric": metric, "values": values,
            "mean": float(np.mean(values)), "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
            "sec_per_epoch": float(np.mean(secs)), "peak_rss_mb": res["peak_rss_mb"], "wall_s": res["wall_s"],
            "command": " ".join(cmd[1:]).replace(str(ROOT) + "/", "")}


def warm_cache(dataset: str) -> None:
    """Featurize once (a 1-epoch run) so that no timed run pays for featurization."""
    cmd = base_cmd(dataset, f"{dataset}_warmup", 1, [0])
    timed(cmd, env={"OMP_NUM_THREADS": "1"}, log=BENCH / f"{dataset}_warmup.log")


def table(results: list[dict], epochs: int, seeds: list[int]) -> str:
    lines = [
        f"Test metric mean ± std over seeds {seeds}, {epochs} epochs for every readout (reduced CPU budget: "
        "absolute numbers are below fully trained ones; the comparison between readouts is the point). "
        "D-MPNN 300 x 3 encoder of configs/<dataset>.yaml, no rdkit2d descriptors, batch 50, noam schedule, "
        "1 thread. ESOL: all 1128 molecules; Lipophilicity and BBBP: the first 600 rows of the file only "
        "(CPU budget). s/epoch: training + validation seconds per epoch (mean over seeds), wall clock on a "
        "machine shared with other jobs (load ~5 on 2 cores): compare the ratio to sum, not the absolute "
        "seconds. Peak RSS: peak resident memory of the whole `molgdl run` process (/usr/bin/time, data "
        "included), not the readout alone.",
        "",
        "| dataset | metric | readout | test metric | s/epoch | s/epoch vs sum | peak RSS (MiB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        base = next((b for b in results if b["dataset"] == r["dataset"] and b["readout"] == "sum"), None)
        ratio = f"{r['sec_per_epoch'] / base['sec_per_epoch']:.2f}x" if base else "-"
        arrow = "lower is better" if r["metric"] == "rmse" else "higher is better"
        lines.append(f"| {r['dataset']} | {r['metric']} ({arrow}) | {r['readout']} | "
                     f"{r['mean']:.3f} ± {r['std']:.3f} | {r['sec_per_epoch']:.2f} | {ratio} | "
                     f"{r['peak_rss_mb']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    ap.add_argument("--readouts", nargs="+", default=list(READOUTS), choices=list(READOUTS))
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--notes", default="", help="verdict paragraph appended under the table in BENCHMARKS.md")
    ap.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    ap.add_argument("--report", action="store_true",
                    help="run nothing: write BENCHMARKS.md from .bench/diffpool/results.json")
    args = ap.parse_args()

    out = BENCH / "results.json"
    old = json.loads(out.read_text()) if out.exists() else []
    results = [r for r in old if not (r["dataset"] in args.datasets and r["readout"] in args.readouts)]
    if args.report:
        results = old
        args.epochs, args.seeds = old[0]["epochs"], old[0]["seeds"]
    for dataset in [] if args.report else args.datasets:
        warm_cache(dataset)
        for readout in args.readouts:
            r = run_one(dataset, readout, args.epochs, args.seeds)
            r["epochs"], r["seeds"] = args.epochs, args.seeds
            print(f"{dataset:5s} {readout:9s} {r['metric']} {r['mean']:.3f} ± {r['std']:.3f}  "
                  f"{r['sec_per_epoch']:.2f} s/epoch  {r['peak_rss_mb']:.0f} MiB", flush=True)
            results.append(r)
            out.write_text(json.dumps(results, indent=2))
    order = {d: i for i, d in enumerate(DATASETS)}
    ro = {n: i for i, n in enumerate(READOUTS)}
    results.sort(key=lambda r: (order[r["dataset"]], ro[r["readout"]]))
    if not args.no_write:
        cmd = (f"OMP_NUM_THREADS=1 nice -n 5 python benchmarks/diffpool/compare_readouts.py --epochs {args.epochs} "
               f"--seeds {' '.join(map(str, args.seeds))}")
        body = (f"## DiffPool vs other readouts (issue 5)\n\nCommand: `{cmd}`  \nMachine: {machine()}\n\n"
                + table(results, args.epochs, args.seeds) + ("\n\n" + args.notes if args.notes else ""))
        write_section("diffpool", body)


if __name__ == "__main__":
    main()
