"""Fragment-tree encoder against D-MPNN on ESOL at equal training time (issue 25, item 4): the same split,
descriptors, head and optimiser (configs/esol_fragtree.yaml vs configs/esol_dmpnn.yaml), each run stopped by
``trainer.max_time_minutes`` (early stopping as configured); one JSON record per arm x seed in results/.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/fragtree/run.py --minutes 1.5 --seeds 0 1 2 3 4
    # the ten MoleculeACE sets (their own train/test split, 10 % of train as validation, no descriptors)
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/fragtree/run.py --moleculeace --minutes 1 --seeds 0
    python benchmarks/fragtree/run.py --quick      # 0.2 min, seed 0, into a temporary folder
    python benchmarks/fragtree/report.py
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import shlex
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import molgdl_command, molgdl_run_once  # noqa: E402

ARMS = {"dmpnn": "configs/esol_dmpnn.yaml", "fragtree": "configs/esol_fragtree.yaml"}


def n_parameters(run_dir: Path, seed: int) -> int:
    import torch

    state = torch.load(run_dir / f"seed_{seed}" / "model.pt", weights_only=True)["state_dict"]
    return int(sum(v.numel() for k, v in state.items() if k.startswith("model.encoder.") or k.startswith("encoder.")))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=1.5, help="training-time budget per run")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--results", type=Path, default=HERE / "results")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--moleculeace", action="store_true", help="the ten MoleculeACE sets instead of ESOL")
    ap.add_argument("--sets", nargs="+", default=None, help="MoleculeACE sets (default: all ten)")
    args = ap.parse_args(argv)
    if args.quick:
        args.minutes, args.seeds, args.results = 0.2, [0], Path(tempfile.mkdtemp()) / "results"
    args.results.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="fragtree_bench_"))
    sets = [None]
    if args.moleculeace:
        sys.path.insert(0, str(ROOT / "benchmarks" / "assay"))
        import data  # noqa: E402  (the bundled MoleculeACE set names, read-only)

        sets = data.by_size(args.sets or data.SETS)
    for dataset, seed, (arm, config) in itertools.product(sets, args.seeds, ARMS.items()):
        prefix = "esol" if dataset is None else f"moleculeace_{dataset}"
        out = args.results / f"{prefix}_{arm}_s{seed}.json"
        if out.exists():
            continue
        name = f"{prefix}_{arm}_s{seed}"
        overrides = [f"run.name={name}", f"run.output_dir={work}", f"run.seeds=[{seed}]",
                     f"trainer.max_time_minutes={args.minutes}", "trainer.max_epochs=1000",
                     "trainer.progress_bar=false", "data.progress=false"]
        config_file = ROOT / config
        if dataset is not None:  # the set's own split, graph encoders alone (sections replaced, not merged)
            cfg = yaml.safe_load(config_file.read_text())
            cfg.update(data={"source": {"name": "moleculeace", "set": dataset}}, descriptors=[],
                       split={"name": "column", "column": "split", "val_fraction": 0.1})
            config_file = work / f"{name}.yaml"
            config_file.write_text(yaml.safe_dump(cfg, sort_keys=False))
        cmd = molgdl_command(config_file, overrides)
        wall = molgdl_run_once(cmd, work / name, name)
        metrics = json.loads((work / name / f"seed_{seed}" / "metrics.json").read_text())
        record = {"arm": arm, "dataset": dataset or "esol", "config": config, "seed": seed,
                  "minutes": args.minutes,
                  "test_rmse": metrics["metrics"]["test"]["overall"]["rmse"],
                  "val_rmse": metrics["metrics"]["val"]["overall"]["rmse"],
                  "train_seconds": metrics["train_seconds"], "wall_s": wall,
                  "encoder_parameters": n_parameters(work / name, seed),
                  "command": shlex.join(["python", "-m", "molgdl", "run", config, *sum((["--set", o] for o in
                                                                                      overrides[3:]), [])])
                  + ("" if dataset is None else f" (with data.source: moleculeace {dataset}, descriptors: [], "
                                                "split: {name: column, column: split, val_fraction: 0.1})"),
                  "benchmark_command": "python benchmarks/fragtree/run.py "
                                       + ("--moleculeace " if dataset else "")
                                       + f"--minutes {args.minutes} --seeds {' '.join(map(str, args.seeds))}",
                  "machine": f"{platform.machine()}, 2 shared CPU cores, OMP_NUM_THREADS=1, nice -n 10"}
        out.write_text(json.dumps(record, indent=1) + "\n")
        print(f"{prefix} {arm} seed {seed}: test RMSE {record['test_rmse']:.3f} ({record['train_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
