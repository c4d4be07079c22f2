"""Fragment-tree encoder against D-MPNN on ESOL at equal training time (issue 25, item 4): the same split,
descriptors, head and optimiser (configs/esol_fragtree.yaml vs configs/esol_dmpnn.yaml), each run stopped by
``trainer.max_time_minutes`` (early stopping as configured); one JSON record per arm x seed in results/.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/fragtree/run.py --minutes 1.5 --seeds 0 1 2 3 4
    python benchmarks/fragtree/run.py --quick      # 0.2 min, seed 0, into a temporary folder
    python benchmarks/fragtree/report.py
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
import tempfile
from pathlib import Path

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
    args = ap.parse_args(argv)
    if args.quick:
        args.minutes, args.seeds, args.results = 0.2, [0], Path(tempfile.mkdtemp()) / "results"
    args.results.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="fragtree_bench_"))
    for seed in args.seeds:
        for arm, config in ARMS.items():
            out = args.results / f"esol_{arm}_s{seed}.json"
            if out.exists():
                continue
            name = f"{arm}_s{seed}"
            overrides = [f"run.name={name}", f"run.output_dir={work}", f"run.seeds=[{seed}]",
                         f"trainer.max_time_minutes={args.minutes}", "trainer.max_epochs=1000",
                         "trainer.progress_bar=false", "data.progress=false"]
            cmd = molgdl_command(ROOT / config, overrides)
            wall = molgdl_run_once(cmd, work / name, name)
            metrics = json.loads((work / name / f"seed_{seed}" / "metrics.json").read_text())
            record = {"arm": arm, "config": config, "seed": seed, "minutes": args.minutes,
                      "test_rmse": metrics["metrics"]["test"]["overall"]["rmse"],
                      "val_rmse": metrics["metrics"]["val"]["overall"]["rmse"],
                      "train_seconds": metrics["train_seconds"], "wall_s": wall,
                      "encoder_parameters": n_parameters(work / name, seed),
                      "command": shlex.join(["python", "-m", "molgdl", "run", config, *sum((["--set", o] for o in
                                                                                          overrides[3:]), [])]),
                      "benchmark_command": "python benchmarks/fragtree/run.py "
                                           f"--minutes {args.minutes} --seeds {' '.join(map(str, args.seeds))}",
                      "machine": f"{platform.machine()}, 2 shared CPU cores, OMP_NUM_THREADS=1, nice -n 10"}
            out.write_text(json.dumps(record, indent=1) + "\n")
            print(f"{arm} seed {seed}: test RMSE {record['test_rmse']:.3f} ({record['train_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
