"""Benchmark of molgdl-generate (issue 24): the SMILES GRU trained on MOSES by configs/lm_smiles.yaml, decoded
with several decoders (10,000 molecules each), and ESOL-guided decoding; raw records in results/.

    python benchmarks/generate/run.py --phase training     # record the language model's training (run it first:
                                                           # OMP_NUM_THREADS=1 nice -n 10 molgdl run configs/lm_smiles.yaml)
    python benchmarks/generate/run.py --phase unguided     # random sampling vs masked decoders, MOSES metrics
    python benchmarks/generate/run.py --phase sampling_seeds --seeds 1 2   # random sampling again, other seeds
    python benchmarks/generate/run.py --phase guided       # ESOL guide: lam = 0 vs lam > 0, and the lam x tau sweep
    python benchmarks/generate/run.py --phase guided_full  # 10,000 molecules: lam 0 tau 1 vs lam 4 and 6 at tau 0.7
    python benchmarks/generate/run.py --quick              # all phases on the bundled slices and the CI model

Each decoding is one `molgdl generate` run (the task's own code path) in runs/bench_generate/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))
from common import dump, machine  # noqa: E402

MOSES = ROOT.parent / "shared" / "data" / "moses"
UNGUIDED = [  # (record name, decoder, grammar masks, backtracking retries, size: "n_full" or "n")
    ("random_sampling", {"name": "sample", "tau": 1.0}, False, 0, "n_full"),
    ("sample_masked", {"name": "sample", "tau": 1.0}, True, 0, "n"),
    ("top_p_0.95_masked", {"name": "top_p", "p": 0.95, "tau": 1.0}, True, 0, "n"),
    ("sample_masked_backtrack", {"name": "sample", "tau": 1.0}, True, 12, "n"),
    ("top_p_0.95_masked_backtrack", {"name": "top_p", "p": 0.95, "tau": 1.0}, True, 12, "n"),
]


def setup(quick: bool) -> dict:
    if quick:
        return {"quick": True, "lm": "runs/lm_smiles_ci", "lm_config": "configs/lm_smiles_ci.yaml", "n": 200, "n_full": 200,
                "batch": 200,
                "reference": {"train": "moses_train_2000", "test": "moses_test_500"}, "k": [100, 200],
                "guide_samples": 200, "lams": [0.0, 2.0], "taus": [0.8, 1.2], "sweep_n": 50, "lam": 2.0,
                "full_arms": [(2.0, 0.8)]}
    # n_full: the MOSES-protocol row (random sampling, cheap); n: masked and guided decoding, whose per-token
    # RDKit checks cost ~10x more CPU: sized for the 2-core machine shared with other jobs
    return {"lm": "runs/lm_smiles", "lm_config": "configs/lm_smiles.yaml", "n": 2000, "n_full": 10_000, "batch": 500,
            "reference": {"train": str(MOSES / "train.csv.gz"), "test": str(MOSES / "test.csv.gz"),
                          "test_rows": 10_000, "canonicalize_train": False},
            "k": [1000, 10_000], "guide_samples": 2000, "lams": [0.0, 1.0, 2.0, 4.0], "taus": [0.7, 1.0, 1.3],
            "sweep_n": 100, "lam": 2.0,
            # full-size guided arms, in the order they were run: the sweep cell (lam 4, tau 0.7) that met the
            # acceptance on 100 molecules, then lam 6 after it missed validity 0.9 by 0.003 on 10,000
            "full_arms": [(4.0, 0.7), (6.0, 0.7)]}


def generate(name: str, cfg: dict, s: dict, n: int, seed: int = 0, **extra) -> dict:
    import molgdl

    config = {"task": "generate", "run": {"name": name, "output_dir": "runs/bench_generate", "seeds": [seed]},
              "model": {"run": s["lm"]}, "n": n, "batch_size": s["batch"], "max_len": 100,
              "report": {"unique_k": s["k"], "grid": 24}, **cfg, **extra}
    t0 = time.time()
    run = molgdl.run(config, overwrite=True)
    metrics = json.loads((run.path / f"seed_{seed}" / "metrics.json").read_text())
    return {"config": config, "metrics": metrics, "wall_seconds": round(time.time() - t0, 1)}


def phase_training(s: dict, results: Path, command: str) -> None:
    import csv

    lm = ROOT / s["lm"]
    summary = json.loads((lm / "summary.json").read_text())
    with open(lm / "seed_0" / "train_log.csv") as f:
        log = list(csv.DictReader(f))
    import yaml

    config = yaml.safe_load((lm / "config.yaml").read_text())
    model = ", ".join(f"{k} {v}" for k, v in config["model"].items())
    # the first section ran configs/lm_smiles.yaml as it was at commit 5339886 (40 min, constant lr, shuffle
    # buffer, one thread); each later section is a `--resume --set ...` that train.py logs in run.log
    trained_by = f"OMP_NUM_THREADS=1 nice -n 10 molgdl run {s['lm_config']}"
    if not s.get("quick"):
        trained_by += " (as of commit 5339886)"
    for line in (lm / "run.log").read_text().splitlines():
        if "resumed with changed settings: " in line:
            changes = line.split("resumed with changed settings: ", 1)[1]
            new_values = (c.rsplit("->", 1)[1].strip().strip("'") for c in changes.split("; "))
            sets = " ".join(f"--set {c.split(':')[0].strip()}={v}" for c, v in zip(changes.split("; "), new_values))
            trained_by += f"`, then `molgdl run {s['lm']}/config.yaml --resume {sets}"
    import torch

    progress = torch.load(lm / "seed_0" / "checkpoint.pt", map_location="cpu", weights_only=False)["progress"]
    dump(results / "training.json", {"command": trained_by, "section": progress.get("section"),
                                     "recorded_by": command, "machine": machine(), "summary": summary, "log": log,
                                     "config": config, "model": model,
                                     "budget_minutes": config["training"]["max_minutes"] or 0,
                                     "batch_size": config["training"]["batch_size"]})


def unguided(run_name: str, decoder: dict, grammar: bool, backtrack: int, s: dict, n: int, seed: int = 0) -> dict:
    """One unguided decoding scored against the MOSES reference sets."""
    return generate(run_name, {"decoder": decoder, "grammar": grammar, "backtrack": backtrack,
                               "reference": s["reference"]}, s, n, seed=seed)


def phase_unguided(s: dict, results: Path, command: str) -> None:
    for name, decoder, grammar, backtrack, size in UNGUIDED:
        if s.get("skip_existing") and (results / f"unguided_{name}.json").exists():
            continue
        rec = unguided(f"unguided_{name}", decoder, grammar, backtrack, s, s[size])
        dump(results / f"unguided_{name}.json", {"command": command, "machine": machine(), "name": name, **rec})
        print(name, {k: rec["metrics"].get(k) for k in ("validity", "novelty", "intdiv")}, flush=True)


def phase_sampling_seeds(s: dict, results: Path, command: str) -> None:
    """The MOSES-protocol row (random sampling, tau = 1, no masks) again with sampling seeds 1-4: the spread of
    validity, uniqueness and novelty between independent draws of the full size from the same model."""
    name, decoder, grammar, backtrack, size = UNGUIDED[0]
    for seed in s["sampling_seeds"]:
        out = results / f"unguided_{name}_seed{seed}.json"
        if s.get("skip_existing") and out.exists():
            continue
        rec = unguided(f"unguided_{name}_seed{seed}", decoder, grammar, backtrack, s, s[size], seed)
        dump(out, {"command": command, "machine": machine(), "name": name, "seed": seed, **rec})
        print(name, seed, {k: rec["metrics"].get(k) for k in ("validity", "unique@10000", "novelty")}, flush=True)


def phase_guided(s: dict, results: Path, command: str) -> None:
    guide = {"run": "runs/esol_guide_forest",  # molgdl run benchmarks/generate/esol_guide.yaml
             "direction": "maximize", "samples": s["guide_samples"], "epochs": 8}
    for lam in (0.0, s["lam"]):
        if s.get("skip_existing") and (results / f"guided_lam{lam:g}.json").exists():
            continue
        extra = {}
        if lam:
            extra["report"] = {"unique_k": s["k"], "grid": 24,
                               "sweep": {"lams": s["lams"], "taus": s["taus"], "n": s["sweep_n"]}}
        rec = generate(f"guided_lam{lam:g}", {"decoder": {"name": "guided", "lam": lam, "tau": 1.0}, "grammar": True,
                                              "backtrack": 0, "guide": guide}, s, s["n"], **extra)
        dump(results / f"guided_lam{lam:g}.json", {"command": command, "machine": machine(), "lam": lam, **rec})
        run = ROOT / "runs" / "bench_generate" / f"guided_lam{lam:g}" / "seed_0"
        for picture in ("tradeoff.png", "grid.png"):
            if (run / picture).exists():
                shutil.copy(run / picture, results / f"guided_lam{lam:g}_{picture}")
        print(lam, {k: rec["metrics"].get(k) for k in ("validity", "guide_mean", "guide_std", "intdiv")}, flush=True)


def phase_guided_full(s: dict, results: Path, command: str) -> None:
    """The acceptance arms at the full size: unguided (lam 0, tau 1) and the sweep's best guided cell."""
    guide = {"run": "runs/esol_guide_forest", "direction": "maximize", "samples": s["guide_samples"], "epochs": 8}
    for lam, tau in ((0.0, 1.0), *s["full_arms"]):
        name = f"guided_full_lam{lam:g}_tau{tau:g}"
        if s.get("skip_existing") and (results / f"{name}.json").exists():
            continue
        rec = generate(name, {"decoder": {"name": "guided", "lam": lam, "tau": tau}, "grammar": True,
                              "backtrack": 0, "guide": guide}, s, s["n_full"])
        dump(results / f"{name}.json", {"command": command, "machine": machine(), "lam": lam, "tau": tau, **rec})
        print(name, {k: rec["metrics"].get(k) for k in ("validity", "guide_mean", "guide_std", "intdiv")}, flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--phase", choices=["training", "unguided", "sampling_seeds", "guided", "guided_full", "all"],
                    default="all")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4],
                    help="sampling seeds of --phase sampling_seeds (seed 0 is the unguided phase's row)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--results", type=Path, default=None)
    ap.add_argument("--skip-existing", action="store_true", help="keep the records already in the results folder")
    args = ap.parse_args()
    os.chdir(ROOT)
    s = setup(args.quick) | {"skip_existing": args.skip_existing, "sampling_seeds": args.seeds}
    results = args.results or (HERE / ("results_quick" if args.quick else "results"))
    results.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/generate/run.py " + " ".join(sys.argv[1:])
    for phase, fn in (("training", phase_training), ("unguided", phase_unguided),
                      ("sampling_seeds", phase_sampling_seeds), ("guided", phase_guided),
                      ("guided_full", phase_guided_full)):
        if args.phase in (phase, "all"):
            fn(s, results, command)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
