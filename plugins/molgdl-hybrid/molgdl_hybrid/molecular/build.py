"""Factories of the molecular case for molgdl-hybrid's registries (imported lazily by hooks / corrections)."""

from __future__ import annotations

import numpy as np

from molgdl.errors import ConfigError

from .params import E3NNForceParams, MDDataParams, MDSolverParams


def build_md_solver(params: MDSolverParams):
    from .solver import MDSolver
    from .system import MolecularSystem

    return MDSolver(MolecularSystem.from_smiles(params.smiles), params.forcefield, params.thermostat,
                    params.temperature, params.friction, params.noise_seed)


def build_e3nn_force(params: E3NNForceParams, inputs):
    """``inputs``: ``molgdl_hybrid.corrections.CorrectionInputs`` whose solver is a molecular one."""
    from .correction import EnergyCorrection, build_encoder

    system = getattr(inputs.solver, "system", None)
    if system is None:
        raise ConfigError(f"correction e3nn_force needs a molecular solver (with atoms), got "
                          f"{type(inputs.solver).__name__}", hint="use solver: {name: rdkit_md, smiles: ...}")
    block = dict(params.encoder)
    name = block.pop("name", "e3nn")
    return EnergyCorrection(build_encoder(name, block), system.z, system.masses, params.energy_scale)


def reference_states(params: MDDataParams) -> tuple[np.ndarray, float]:
    """States ``[S, T + 1, 6N]`` (float64) and ``dt`` (fs) of the reference trajectories."""
    from .reference import reference_trajectories

    traj = reference_trajectories(params.smiles, params.num_trajectories, params.steps, dt=params.dt,
                                  temperature=params.temperature, seed=params.seed,
                                  equilibration_steps=params.equilibration_steps, friction=params.friction,
                                  truth=params.truth)
    return traj.states.transpose(0, 1).numpy(), params.dt
