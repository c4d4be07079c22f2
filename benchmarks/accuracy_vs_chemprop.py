"""ESOL and FreeSolv: molgdl's default 2D model vs the random-forest baseline vs chemprop 2.3.1.

Same split files for every tool (molgdl's random 80/10/10 split with seeds 0-2, written to split.json and
fed to chemprop through ``--splits-file``), the same epoch budget (50, chemprop's default), test RMSE
computed identically, wall time and peak RSS of each tool's whole process. Results -> BENCHMARKS.md.

    bash benchmarks/peers/setup_chemprop.sh      # once: chemprop in its own venv (.bench/chemprop-venv)
    python benchmarks/accuracy_vs_chemprop.py [--datasets esol freesolv] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from common import BENCH_DIR, CHEMPROP_PY, ROOT, dump, machine, mean_std, timed, write_section

DATASETS = {
    # name: (bundled csv, smiles column, target column, molgdl config)
    "esol": ("esol_delaney-processed.csv", "smiles", "measured log solubility in mols per litre", "configs/esol_dmpnn.yaml"),
    "freesolv": ("freesolv_SAMPL.csv", "smiles", "expt", "configs/freesolv_dmpnn.yaml"),
}


def bundled_csv(name: str) -> Path:
    import molgdl_datasets

    return Path(molgdl_datasets.__file__).parent / "data" / name


def molgdl_cmd(config: str, name: str, out: Path, seed: int, split: Path, rf: bool) -> list[str]:
    sets = [f"run.name={name}", f"run.output_dir={out}", f"run.seeds=[{seed}]", "data.progress=false",
            "trainer.progress_bar=false", f"split={{name: file, path: {split}}}"]
    if rf:
        sets += ["model={name: random_forest, n_estimators: 500}",
                 "descriptors=[{name: morgan, radius: 2, n_bits: 2048}, {name: rdkit2d}]"]
    return [sys.executable, "-m", "molgdl", "run", config, "--overwrite", *[a for s in sets for a in ("--set", s)]]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--datasets", nargs="+", default=list(DATASETS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--skip-chemprop", action="store_true")
    args = p.parse_args()
    work = BENCH_DIR / "accuracy"
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    for ds in args.datasets:
        csv_name, smi, target, config = DATASETS[ds]
        data = bundled_csv(csv_name)
        epochs = yaml.safe_load((ROOT / config).read_text())["trainer"]["max_epochs"]
        for seed in args.seeds:
            split = work / f"{ds}_split_seed{seed}.json"
            timed([sys.executable, str(ROOT / "benchmarks/peers/make_random_split.py"), "--data", str(data),
                   "--seed", str(seed), "--out", str(split)])
            for tool, rf in (("molgdl D-MPNN", False), ("molgdl random forest", True)):
                name = f"{ds}_{'rf' if rf else 'dmpnn'}_s{seed}"
                r = timed(molgdl_cmd(str(ROOT / config), name, work / "runs", seed, split, rf), log=work / f"{name}.log")
                metrics = json.loads((work / "runs" / name / f"seed_{seed}" / "metrics.json").read_text())
                r["test_rmse"] = metrics["metrics"]["test"]["overall"]["rmse"]
                results.setdefault(ds, {}).setdefault(tool, []).append(r)
                print(ds, tool, seed, f"{r['test_rmse']:.3f}", f"{r['wall_s']:.0f}s", flush=True)
            if not args.skip_chemprop:
                out = work / f"{ds}_chemprop_s{seed}"
                r = timed([str(CHEMPROP_PY), str(ROOT / "benchmarks/peers/chemprop_runner.py"), "--data", str(data),
                           "--smiles-column", smi, "--target-column", target, "--split-json", str(split),
                           "--seed", str(seed), "--epochs", str(args.epochs), "--out", str(out)])
                r.update(json.loads(r.pop("stdout").strip().splitlines()[-1]))
                results[ds].setdefault("chemprop 2.3.1", []).append(r)
                print(ds, "chemprop", seed, f"{r['test_rmse']:.3f}", f"{r['wall_s']:.0f}s", flush=True)
        results[ds]["_epochs"] = epochs
    dump(work / "results.json", results)
    lines = [f"Machine: {machine()}. Command: `python benchmarks/accuracy_vs_chemprop.py` "
             f"(seeds {args.seeds}, random 80/10/10 split files shared by all tools, {args.epochs} epochs for both "
             "neural models). Test RMSE mean ± std over seeds; wall time and peak RSS per run (whole process: "
             "start-up, featurization, training, evaluation).", "",
             "| dataset | tool | test RMSE | wall time (s) | peak RSS (MiB) |", "|---|---|---|---|---|"]
    for ds, tools in results.items():
        for tool, runs in tools.items():
            if tool.startswith("_"):
                continue
            lines.append(f"| {ds} | {tool} | {mean_std([r['test_rmse'] for r in runs])} | "
                         f"{mean_std([r['wall_s'] for r in runs])} | {mean_std([r['peak_rss_mb'] for r in runs])} |")
    write_section("accuracy", "## Accuracy vs chemprop (ESOL, FreeSolv)\n\n" + "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
