"""The ``dynamics`` task: a registered solver (physical core) + a neural correction, trained online on rollout
windows of trajectories, evaluated by held-out rollout error against the truth, the core alone and (optionally)
an offline-trained correction.

Per seed it writes under ``seed_<s>/``: ``history.json`` (and ``history_offline.json``), ``correction.pt``
(and ``correction_offline.pt``), ``rollout.png`` and, last, ``metrics.json``; with ``--resume`` a seed whose
``metrics.json`` exists is not trained again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from molgdl.errors import ConfigError, DataError
from molgdl.tasks import TaskContext

from .corrections import CorrectionInputs, correction_spec
from .data import Trajectories, load_trajectories, windows
from .evaluation import free_rollout, plot_rollouts, rmse_by_step
from .gradients import check_mode
from .task_params import DynamicsParams
from .training import History, train_offline, train_online


def _build_correction(params: DynamicsParams, inputs: CorrectionInputs, dtype: torch.dtype) -> torch.nn.Module:
    spec = correction_spec(params.correction["name"])
    values = spec.params.model_validate({k: v for k, v in params.correction.items() if k != "name"})
    return spec.factory(values, inputs).to(dtype)


def _sample(array: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    return array if len(array) <= k else array[np.sort(rng.choice(len(array), k, replace=False))]


def _save(path: Path, correction: torch.nn.Module, params: DynamicsParams, dt: float, kind: str) -> None:
    torch.save({"kind": kind, "correction": params.correction, "solver": params.solver, "dt": dt,
                "state_dict": correction.state_dict()}, path)


def _evaluate(solver: Any, data: Trajectories, params: DynamicsParams, models: dict[str, Any], dtype: torch.dtype,
              seed_dir: Path) -> dict[str, dict[str, float]]:
    horizon = max(params.evaluation.horizons)
    test = windows(data.test, horizon + 1)
    if len(test) == 0:
        raise DataError(f"evaluation: no held-out trajectory part has {horizon + 1} states "
                        f"(longest: {max(len(t) for t in data.test)})",
                        hint="lower evaluation.horizons or raise data.test_fraction / the trajectory length")
    pick = np.unique(np.linspace(0, len(test) - 1, min(params.evaluation.max_windows, len(test))).round().astype(int))
    truth = torch.as_tensor(test[pick], dtype=dtype).transpose(0, 1)            # [K + 1, W, dim]
    preds = {name: free_rollout(solver, truth[0], data.dt, horizon, model) for name, model in models.items()}
    errors = {name: rmse_by_step(pred, truth) for name, pred in preds.items()}
    plot_rollouts(seed_dir / "rollout.png", truth[:, 0].double().numpy(),
                  {n: p[:, 0].double().numpy() for n, p in preds.items()}, errors, data.dt)
    return {name: {f"rmse_at_{k}": float(err[k]) for k in params.evaluation.horizons} for name, err in errors.items()}


def _run_seed(seed: int, solver: Any, data: Trajectories, params: DynamicsParams, context: TaskContext) -> dict:
    seed_dir = context.seed_dir(seed)
    tp = params.training
    dtype = getattr(torch, tp.dtype)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    train = _sample(windows(data.train, tp.rollout + 1), tp.max_windows, rng)
    if len(train) == 0:
        raise DataError(f"training: no training trajectory part has {tp.rollout + 1} states",
                        hint="lower training.rollout or use longer trajectories")
    inputs = CorrectionInputs(solver, data.dt, np.concatenate(data.train))
    online = _build_correction(params, inputs, dtype)
    context.log.info("seed %d: online training (%s) on %d windows of %d steps", seed, tp.mode, len(train), tp.rollout)
    hist = train_online(online, solver, train, data.dt, tp, History(seed_dir / "history.json", "online"), generator)
    _save(seed_dir / "correction.pt", online, params, data.dt, f"online-{tp.mode}")
    models: dict[str, Any] = {"hybrid": online, "core": None}
    seconds = {"hybrid": hist.seconds}
    if tp.offline:
        offline = _build_correction(params, inputs, dtype)
        off = train_offline(offline, solver, train[:, :2], data.dt, tp,
                            History(seed_dir / "history_offline.json", "offline"), generator)
        _save(seed_dir / "correction_offline.pt", offline, params, data.dt, "offline")
        models["offline"], seconds["offline"] = offline, off.seconds
    metrics = {"seed": seed, "test": _evaluate(solver, data, params, models, dtype, seed_dir),
               "train_loss": hist.losses[-1], "train_seconds": seconds}
    (seed_dir / "metrics.json").write_text(json.dumps(metrics, indent=1))
    return metrics


def _check_same_molecule(params: DynamicsParams) -> None:
    """Molecular reference data and a molecular solver must describe the same molecule (two molecules with the
    same atom count would otherwise pass the state-width check and train on nonsense)."""
    solver_smiles = params.solver.get("smiles")
    if params.data.source != "molecular_md" or not isinstance(solver_smiles, str):
        return
    from rdkit import Chem

    def canonical(smiles: str) -> str | None:
        mol = Chem.MolFromSmiles(smiles)
        return Chem.MolToSmiles(mol) if mol is not None else None

    if canonical(solver_smiles) != canonical(params.data.md.smiles):
        raise ConfigError(f"solver.smiles {solver_smiles!r} and data.md.smiles {params.data.md.smiles!r} are "
                          "different molecules", hint="set both to the molecule the reference dynamics describe")


def run_dynamics(params: DynamicsParams, context: TaskContext) -> dict:
    """Train and evaluate every seed of ``run.seeds``; the summary holds the mean over seeds."""
    solver = context.build("solver", params.solver, "solver")
    check_mode(params.training.mode, solver)
    _check_same_molecule(params)
    data = load_trajectories(params.data)
    if data.dim != solver.dim:
        raise DataError(f"data: states have {data.dim} components, solver {params.solver['name']!r} steps "
                        f"{solver.dim}", hint="pick the solver that matches the data")
    per_seed = []
    for seed in context.seeds:
        done = context.run_dir / f"seed_{seed}" / "metrics.json"
        if context.resume and done.is_file():
            context.log.info("seed %d: metrics.json exists, skipped (--resume)", seed)
            per_seed.append(json.loads(done.read_text()))
            continue
        per_seed.append(_run_seed(seed, solver, data, params, context))
    models = per_seed[0]["test"].keys()
    test = {m: {key: float(np.mean([s["test"][m][key] for s in per_seed])) for key in per_seed[0]["test"][m]}
            for m in models}
    return {"test": test, "mode": params.training.mode, "seeds": [s["seed"] for s in per_seed],
            "train_loss": float(np.mean([s["train_loss"] for s in per_seed]))}
