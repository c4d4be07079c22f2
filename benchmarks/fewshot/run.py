"""Few-shot protocol on the ten MoleculeACE sets (issue 25, item 3): ``task: fewshot`` (molgdl-fewshot) per set
with one pretrained encoder (``molgdl pretrain``); supports of 16/32/64/128 train molecules, the set's test split
as query; arms protonet, knn (pretrained embedding), finetune (pretrained encoder + head), scratch (the same
architecture from random weights, its own training), svm (Tanimoto SVM on ECFP4 bits), rf (random forest on ECFP4).
One JSON per set in results/ (every episode's RMSE per arm), plus results/pretrain.json (the pretraining run).

    # full protocol (issue 25) with the shipped 1 M-molecule encoder and the recipe chosen on held-out train molecules
    P=benchmarks/fewshot/pretrained/moses_1m
    OMP_NUM_THREADS=1 python benchmarks/fewshot/recipe.py --pretrained $P --label moses_1m --jobs 2
    for e in 10 5 3 2; do OMP_NUM_THREADS=1 python benchmarks/fewshot/recipe.py --pretrained $P --label moses_1m_e$e \
        --epochs $e --variants mean scratch ft1 --jobs 2; done        # each arm's epochs, on train molecules
    for s in 0 10; do OMP_NUM_THREADS=1 python benchmarks/fewshot/run.py --pretrained $P --label moses_1m --draws 10 \\
        --epochs 30 --seed $s --recipe-from benchmarks/fewshot/results/recipe/moses_1m{,_e10,_e5,_e3,_e2}.json; done
    OMP_NUM_THREADS=1 python benchmarks/fewshot/run.py --pretrained $P --label moses_1m --epochs 30 \\
        --full-train-draws 3 --recipe-from benchmarks/fewshot/results/recipe/moses_1m_whole.json
    python benchmarks/fewshot/report.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "assay"))
import data  # noqa: E402  (the ten bundled MoleculeACE sets, read-only)


def pretrain_record(run: Path, label: str) -> dict:
    meta = json.loads((run / "pretrained" / "pretrained.json").read_text())
    summary = json.loads((run / "summary.json").read_text())
    config = (run / "config.yaml").read_text()
    return {"label": label, "run": str(run), "model": meta["model"], "featurizer": meta["featurizer"],
            "targets": [t["name"] for t in meta["targets"]], "n_descriptors": len(meta["target_names"]),
            "train_molecules_seen": meta["data"]["train_molecules_seen"], "steps": meta["steps"],
            "val_molecules": meta["data"]["val_molecules"], "val_rmse_standardised": meta["val_rmse_standardised"],
            "seconds": summary.get("seconds"), "config": config}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pretrained", type=Path, required=True, help="run folder of `molgdl pretrain`")
    ap.add_argument("--label", default="reduced", help="what the pretraining was (written into the records)")
    ap.add_argument("--sets", nargs="+", default=data.SETS)
    ap.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64, 128])
    ap.add_argument("--draws", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--full-train-draws", type=int, default=0, help="instead of supports: fine-tune and train from "
                    "scratch on each set's whole train split this many times (seeds), into results/full/")
    ap.add_argument("--finetune", action="append", default=[], metavar="KEY=VALUE",
                    help="a setting of the finetune arm (task fewshot's `finetune:` section; the scratch arm keeps "
                    "its own), e.g. head_init=ridge; repeatable")
    ap.add_argument("--recipe-from", type=Path, nargs="+", help="recipe.py records scored on the same supports (e.g. "
                    "one per epoch count): the finetune arm takes the pretrained variant, and the scratch arm the "
                    "scratch setting, with the lowest held-out RMSE on train molecules at sizes 16-64 (or on the "
                    "whole pool with --full-train-draws); --finetune items still override")
    ap.add_argument("--seed", type=int, default=0, help="seed of the support draws and of training (task fewshot's "
                    "`seed`); a nonzero seed gives draws independent of seed 0's, written into results/seed<N>/ "
                    "(a replication)")
    ap.add_argument("--results", type=Path, default=HERE / "results")
    ap.add_argument("--quick", action="store_true", help="2 sets, sizes 16 and 32, 1 draw, 3 epochs, temp folder")
    args = ap.parse_args(argv)
    if args.quick:
        args.sets, args.sizes, args.draws, args.epochs = data.SETS[:2], [16, 32], 1, 3
        args.results = Path(tempfile.mkdtemp()) / "results"
    import molgdl
    import yaml

    finetune, scratch = {"epochs": args.epochs}, {"epochs": args.epochs}
    if args.recipe_from:
        from recipe import arm_settings_of

        records = [json.loads(p.read_text()) for p in args.recipe_from]
        sections = arm_settings_of(records, whole=args.full_train_draws > 0)
        finetune.update(sections["finetune"])
        scratch.update(sections.get("scratch", {}))
    for item in args.finetune:
        key, _, value = item.partition("=")
        finetune[key] = yaml.safe_load(value)
    args.results.mkdir(parents=True, exist_ok=True)
    out_dir = args.results / "full" if args.full_train_draws else args.results
    out_dir = out_dir / f"seed{args.seed}" if args.seed else out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    (args.results / "pretrain.json").write_text(json.dumps(pretrain_record(args.pretrained, args.label), indent=1))
    work = Path(tempfile.mkdtemp(prefix="fewshot_bench_"))
    command = f"python benchmarks/fewshot/run.py --pretrained {args.pretrained} --label {args.label} "
    command += (f"--epochs {args.epochs} --full-train-draws {args.full_train_draws}" if args.full_train_draws else
                f"--draws {args.draws} --epochs {args.epochs} --sizes {' '.join(map(str, args.sizes))}")
    command += f" --recipe-from {' '.join(map(str, args.recipe_from))}" if args.recipe_from else ""
    command += "".join(f" --finetune {item}" for item in args.finetune)
    command += f" --seed {args.seed}" if args.seed else ""
    for name in data.by_size(args.sets):
        out = out_dir / f"{name}.json"
        if out.exists():
            continue
        t0 = time.perf_counter()
        config = {"task": "fewshot", "run": {"name": name, "output_dir": str(work)},
                  "pretrained": str(args.pretrained), "data": {"path": str(data.csv_path(name))},
                  "sizes": args.sizes, "draws": args.draws, "finetune": finetune,
                  "scratch": scratch, "seed": args.seed}
        if args.full_train_draws:  # the whole train split only: no supports, no metric heads
            config.update(sizes=[], draws=0, full_train_draws=args.full_train_draws,
                          arms=["finetune", "scratch", "svm", "rf"])
        run = molgdl.run(config, resume=(work / name).exists())
        episodes = [json.loads(line) for line in (run.path / "episodes.jsonl").read_text().splitlines()]
        record = {"set": name, "sizes": args.sizes, "draws": args.draws, "epochs": args.epochs, "seed": args.seed,
                  "pretrained_label": args.label, "episodes": episodes, "seconds": time.perf_counter() - t0,
                  "config": {k: v for k, v in config.items() if k != "run"}, "benchmark_command": command,
                  "machine": f"{platform.machine()}, {os.cpu_count()} shared CPU cores, OMP_NUM_THREADS="
                             f"{os.environ.get('OMP_NUM_THREADS', 'unset')}, nice {os.nice(0)}"}
        out.write_text(json.dumps(record) + "\n")
        print(f"{name}: {len(episodes)} episodes in {record['seconds']:.0f} s")


if __name__ == "__main__":
    main()
