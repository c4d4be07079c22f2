"""Molecular case of the hybrid benchmark (issue 22): a UFF velocity-Verlet core (RDKit, never differentiated)
corrected by an e3nn energy-conserving force, against MMFF94 reference dynamics.

    nice -n 10 env OMP_NUM_THREADS=1 python benchmarks/hybrid/molecular.py --molecules ethanol --seeds 0 1 2 3 4
    python benchmarks/hybrid/molecular.py --quick --results /tmp/mol     # a small version (minutes)

Per molecule and seed (the seed fixes the reference data, the model initialisation and the minibatches):
training data = 8 MMFF94 NVE trajectories (seed ``s``), test data = 4 more (seed ``1000 + s``), both 300 K,
0.5 fs steps. Arms, all with the same e3nn correction architecture:

- ``core``: UFF alone;
- ``offline``: force matching to F_MMFF94 - F_UFF on every 5th training frame;
- ``online_static``: online from scratch, static EGA through ``window``-step rollouts of the UFF solver
  (``molgdl_hybrid.gradients.rollout``), loss = position MSE + tau^2 x velocity MSE;
- ``offline_online``: the offline model fine-tuned online (static EGA) for ``finetune_steps`` more steps.

Every arm is evaluated on the test trajectories (``molgdl_hybrid.molecular.evaluation.evaluate``): Kabsch RMSD
and force error after 10/100/1000 steps, NVE energy drift under MMFF94, bond/angle Wasserstein distances. One
JSON per molecule and seed in ``--results`` (default ``benchmarks/hybrid/results/molecular/``); an existing file
is kept (rerun with --overwrite). ``benchmarks/hybrid/molecular_report.py`` writes the BENCHMARKS.md section.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
MOLECULES = {"ethanol": "CCO", "aspirin": "CC(=O)Oc1ccccc1C(=O)O"}
ENCODER = {"num_layers": 2, "l_max": 1, "num_features": 16, "correlation": 1, "radial_width": 32, "cutoff": 4.0,
           "max_z": 36, "avg_num_neighbors": 8.0}
FULL = {"train_trajectories": 8, "train_steps": 1000, "test_trajectories": 4, "horizons": [10, 100, 1000],
        "offline_steps": 600, "offline_batch": 16, "offline_lr": 1e-2, "offline_stride": 5,
        "online_steps": 150, "window": 5, "online_batch": 8, "online_lr": 1e-2, "tau": 10.0,
        "finetune_steps": 60, "finetune_window": 10, "finetune_lr": 1e-3, "energy_scale": 10.0}
QUICK = {**FULL, "train_trajectories": 2, "train_steps": 200, "test_trajectories": 2, "horizons": [10, 100],
         "offline_steps": 20, "online_steps": 4, "finetune_steps": 2}


def _model(system, budget: dict, seed: int):
    from molgdl_hybrid.molecular.correction import EnergyCorrection, build_encoder

    torch.manual_seed(seed)
    return EnergyCorrection(build_encoder("e3nn", ENCODER), system.z, system.masses, budget["energy_scale"])


def _summary(log) -> dict:
    k = max(1, min(10, len(log.losses) // 4))
    return {"seconds": log.seconds, "steps": len(log.losses), "loss_first": float(np.mean(log.losses[:k])),
            "loss_last": float(np.mean(log.losses[-k:]))}


def run_one(molecule: str, seed: int, budget: dict, command: str) -> dict:
    from molgdl_hybrid.molecular.evaluation import evaluate
    from molgdl_hybrid.molecular.reference import reference_trajectories
    from molgdl_hybrid.molecular.solver import MDSolver
    from molgdl_hybrid.molecular.training import train_offline, train_online

    smiles = MOLECULES[molecule]
    start = time.perf_counter()
    horizon = max(budget["horizons"])
    train = reference_trajectories(smiles, budget["train_trajectories"], budget["train_steps"], seed=seed)
    test = reference_trajectories(smiles, budget["test_trajectories"], horizon, seed=1000 + seed)
    core = MDSolver(train.system, "uff")
    arms: dict[str, dict] = {}

    def record(name: str, model, training: dict | None) -> None:
        t = time.perf_counter()
        arms[name] = {"metrics": evaluate(core, model, test, tuple(budget["horizons"])),
                      "eval_seconds": time.perf_counter() - t, "training": training}
        print(f"{molecule} seed {seed} {name}: rmsd {arms[name]['metrics']['rmsd']}", flush=True)

    record("core", None, None)
    offline = _model(train.system, budget, seed)
    log = train_offline(offline, train, "uff", steps=budget["offline_steps"], batch_size=budget["offline_batch"],
                        lr=budget["offline_lr"], stride=budget["offline_stride"], seed=seed)
    record("offline", offline, _summary(log))
    online = _model(train.system, budget, seed)
    log = train_online(online, core, train, steps=budget["online_steps"], window=budget["window"], mode="static",
                       batch_size=budget["online_batch"], lr=budget["online_lr"], tau=budget["tau"], seed=seed)
    record("online_static", online, _summary(log))
    log = train_online(offline, core, train, steps=budget["finetune_steps"], window=budget["finetune_window"],
                       mode="static", batch_size=budget["online_batch"], lr=budget["finetune_lr"], tau=budget["tau"],
                       seed=seed + 1)
    record("offline_online", offline, _summary(log))
    return {"molecule": molecule, "smiles": smiles, "num_atoms": train.system.num_atoms, "seed": seed,
            "truth": "mmff94", "core": "uff", "dt_fs": train.dt, "temperature_K": 300.0, "encoder": ENCODER,
            "budget": budget, "arms": arms, "seconds": time.perf_counter() - start, "command": command,
            "machine": f"{platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} thread(s)"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--molecules", nargs="+", choices=sorted(MOLECULES), default=["ethanol", "aspirin"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--results", type=Path, default=HERE / "results" / "molecular")
    ap.add_argument("--quick", action="store_true", help="tiny budgets (checks that everything runs)")
    ap.add_argument("--overwrite", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    args.results.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/hybrid/molecular.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    for molecule in args.molecules:
        for seed in args.seeds:
            path = args.results / f"{molecule}_seed_{seed}.json"
            if path.exists() and not args.overwrite:
                print(f"{path} exists, kept", flush=True)
                continue
            record = run_one(molecule, seed, QUICK if args.quick else FULL, command)
            path.write_text(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
