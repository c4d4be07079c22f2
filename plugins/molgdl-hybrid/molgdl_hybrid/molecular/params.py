"""Parameter model of the molecular solver (pydantic only: no torch / RDKit import here)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from molgdl.specs import Params


class MDSolverParams(Params):
    """Velocity-Verlet molecular dynamics of one molecule on an RDKit force field (optionally Langevin BAOAB).

    State row ``u = [x (Å), v (Å/fs)]`` of width ``6 N`` (N atoms with hydrogens, RDKit's atom order).
    """

    smiles: str = Field("CCO", description="The molecule (hydrogens are added); ethanol by default.")
    forcefield: Literal["uff", "mmff94"] = Field(
        "uff", description="RDKit force field of the physical core: uff (the cheap core) or mmff94.")
    thermostat: Literal["none", "langevin"] = Field(
        "none", description="none: velocity Verlet (NVE); langevin: BAOAB splitting (Leimkuhler & Matthews 2013).")
    temperature: float = Field(300.0, gt=0.0, description="Langevin target temperature, K.")
    friction: float = Field(0.01, ge=0.0, description="Langevin friction gamma, 1/fs.")
    noise_seed: int = Field(0, description="Seed of the Langevin noise (numpy PCG64); the sequence advances per step.")


class E3NNForceParams(Params):
    """Energy-conserving E(3)-equivariant correction force ``F = -dE_theta/dx`` for a molecular core."""

    encoder: dict = Field(
        default_factory=lambda: {"name": "e3nn", "num_layers": 2, "l_max": 1, "num_features": 16, "correlation": 1,
                                 "radial_width": 32, "cutoff": 4.0, "max_z": 36, "avg_num_neighbors": 8.0},
        description="the invariant atom encoder: {name: <registered 3D encoder model>, <its params>} (e3nn, small "
                    "for CPU by default)")
    energy_scale: float = Field(10.0, gt=0.0, description="kcal/mol per unit of the (zero-initialised) energy head")


class MDDataParams(Params):
    """Reference trajectories generated with an RDKit force field (``data.source: molecular_md``)."""

    smiles: str = Field("CCO", description="The molecule (hydrogens added); must match the solver's smiles.")
    truth: Literal["mmff94", "uff"] = Field("mmff94", description="Force field of the reference dynamics.")
    num_trajectories: int = Field(4, ge=1, description="Independent NVE trajectories (rows).")
    steps: int = Field(400, ge=2, description="Recorded velocity-Verlet steps per trajectory.")
    dt: float = Field(0.5, gt=0.0, description="Time step, fs (also the solver's step h).")
    temperature: float = Field(300.0, gt=0.0, description="Langevin equilibration temperature, K.")
    equilibration_steps: int = Field(1000, ge=0, description="Langevin BAOAB steps before recording.")
    friction: float = Field(0.01, ge=0.0, description="Langevin friction of the equilibration, 1/fs.")
    seed: int = Field(0, description="Embedding, velocity and noise seed (the trajectories are deterministic).")
