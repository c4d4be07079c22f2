"""Molecular case of molgdl-hybrid: velocity Verlet / Langevin on RDKit force fields, the e3nn correction force,
checked against independent properties (finite differences, second-order energy error, equipartition,
rotation equivariance, bit-exact zero correction) and the CI config run end to end."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("rdkit")

from molgdl_hybrid.molecular.reference import maxwell_boltzmann, run  # noqa: E402
from molgdl_hybrid.molecular.solver import CoreAcceleration, MDSolver  # noqa: E402
from molgdl_hybrid.molecular.system import MolecularSystem  # noqa: E402
from molgdl_hybrid.molecular.units import KB, kinetic_energy  # noqa: E402


@pytest.fixture(scope="module")
def ethanol():
    return MolecularSystem.from_smiles("CCO")


def _state(system, x, v):
    return torch.from_numpy(np.concatenate([x.reshape(len(x), -1), v.reshape(len(v), -1)], 1))


def _thermal_states(system, batch, seed=0, temperature=300.0):
    x0 = system.forcefield("mmff94").minimize(system.embed(seed))
    v = maxwell_boltzmann(system.masses, temperature, batch, np.random.default_rng(seed))
    return _state(system, np.broadcast_to(x0, v.shape), v)


@pytest.mark.parametrize("kind", ["mmff94", "uff"])
def test_forces_are_minus_the_energy_gradient(ethanol, kind):
    """Against central differences of CalcEnergy, at positions visited in an arbitrary order."""
    ff = ethanol.forcefield(kind)
    rng = np.random.default_rng(1)
    xs = [ethanol.embed(0) + 0.05 * rng.standard_normal((9, 3)) for _ in range(3)]
    eps = 1e-5
    for x in xs[::-1]:
        fd = np.zeros_like(x)
        for i in range(9):
            for k in range(3):
                plus, minus = x.copy(), x.copy()
                plus[i, k] += eps
                minus[i, k] -= eps
                fd[i, k] = -(ff.energy(plus) - ff.energy(minus)) / (2 * eps)
        ff.energy(xs[0])  # a stale energy evaluation elsewhere must not change the forces
        np.testing.assert_allclose(ff.forces(x), fd, atol=1e-5)


def test_velocity_verlet_energy_error_is_second_order(ethanol):
    """NVE on MMFF94 for 50 fs: the max total-energy error falls ~4x when dt halves (velocity Verlet, order 2)."""
    solver = MDSolver(ethanol, "mmff94")
    ff = solver.forcefield
    u0 = _thermal_states(ethanol, 3, seed=0)
    errors = []
    for dt in (1.0, 0.5, 0.25):
        states = run(solver, u0, dt, int(round(50 / dt))).numpy()
        x, v = states[..., :27].reshape(-1, 3, 9, 3), states[..., 27:].reshape(-1, 3, 9, 3)
        energy = np.array([[ff.energy(p) for p in frame] for frame in x]) + kinetic_energy(ethanol.masses, v)
        errors.append(np.abs(energy - energy[0]).max(0).mean())
    ratios = errors[0] / errors[1], errors[1] / errors[2]
    assert errors[0] > 1e-3, "the energy error at dt = 1 fs is implausibly small"
    assert all(3.0 < r < 5.5 for r in ratios), f"energy error ratios {ratios}, expected ~4 (second order)"


def test_langevin_kinetic_temperature_matches_the_target(ethanol):
    """Equipartition: <K> = 3 N k_B T / 2 under BAOAB (no constraint on the momentum), 8 rows x 3 ps."""
    target = 400.0
    solver = MDSolver(ethanol, "mmff94", thermostat="langevin", temperature=target, friction=0.05, noise_seed=3)
    states = run(solver, _thermal_states(ethanol, 8, seed=1, temperature=50.0), 1.0, 3000).numpy()
    v = states[1000:, :, 27:].reshape(-1, 8, 9, 3)  # after 1 ps of equilibration from 50 K
    temperature = 2 * kinetic_energy(ethanol.masses, v).mean() / (3 * 9 * KB)
    assert abs(temperature - target) / target < 0.05, f"kinetic temperature {temperature:.1f} K, target {target} K"
    assert not np.allclose(states[1], run(MDSolver(ethanol, "mmff94"), torch.from_numpy(states[0]), 1.0, 1)[1].numpy())


def test_core_acceleration_backward_is_the_force_field_hessian(ethanol):
    """The first-order-Jacobian mode differentiates the core through finite-difference Hessian products."""
    solver = MDSolver(ethanol, "uff")
    x = torch.from_numpy(ethanol.embed(0)).reshape(1, -1).repeat(2, 1)
    x[1] += 0.03 * torch.randn(27, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda y: CoreAcceleration.apply(y, solver), (x.requires_grad_(True),),
                                    eps=1e-5, atol=1e-5, rtol=1e-3)


@pytest.fixture(scope="module")
def correction(ethanol):
    from molgdl_hybrid.molecular.correction import EnergyCorrection, build_encoder

    torch.manual_seed(0)
    encoder = build_encoder("e3nn", {"num_layers": 2, "l_max": 1, "num_features": 8, "correlation": 1,
                                     "radial_width": 16, "cutoff": 4.0, "max_z": 10})
    return EnergyCorrection(encoder, ethanol.z, ethanol.masses, energy_scale=10.0).double()


def test_zero_correction_leaves_the_core_trajectory_unchanged_bit_for_bit(ethanol, correction):
    from molgdl_hybrid.gradients import rollout

    assert correction.head.weight.abs().max() == 0, "an untrained correction starts at zero"
    solver = MDSolver(ethanol, "uff")
    u0 = _thermal_states(ethanol, 2)
    core = run(solver, u0, 0.5, 20)
    assert torch.equal(run(solver, u0, 0.5, 20, correction), core)
    hybrid = rollout(solver, u0, 0.5, 20, correction, "static")
    assert torch.equal(hybrid, core)


def test_reusing_the_position_only_correction_changes_nothing(ethanol, correction):
    """The solver evaluates a position-only correction once per step (the end of a step is the start of the
    next), with the same result bit for bit as evaluating it twice; a weight update invalidates the reuse."""
    with torch.no_grad():
        correction.head.weight.normal_(generator=torch.Generator().manual_seed(4))
    calls = []
    hook = correction.register_forward_hook(lambda *_: calls.append(1))
    try:
        u0 = _thermal_states(ethanol, 2)
        cached = run(MDSolver(ethanol, "uff"), u0, 0.5, 10, correction)
        assert len(calls) == 11
        plain = run(MDSolver(ethanol, "uff"), u0, 0.5, 10, lambda u: correction(u))  # no positions_only: no reuse
        assert len(calls) == 11 + 20 and torch.equal(cached, plain)
        assert not torch.equal(cached, run(MDSolver(ethanol, "uff"), u0, 0.5, 10))
        solver = MDSolver(ethanol, "uff")
        u1 = solver.step(u0, 0.5, correction)  # leaves the correction at u1's positions for reuse
        with torch.no_grad():
            correction.head.weight.mul_(2.0)  # an optimiser step: in place
        assert torch.equal(solver.step(u1, 0.5, correction), MDSolver(ethanol, "uff").step(u1, 0.5, correction))
    finally:
        hook.remove()
        with torch.no_grad():
            correction.head.weight.zero_()


def test_correction_forces_rotate_with_the_molecule(ethanol, correction):
    from molgdl.testing.contracts import random_rotation

    model = correction
    with torch.no_grad():
        model.head.weight.normal_(generator=torch.Generator().manual_seed(2))
    try:
        x = torch.from_numpy(np.stack([ethanol.embed(0), ethanol.embed(1)]))
        f = model.forces(x, create_graph=False)
        assert f.abs().max() > 1e-2 and f.sum(1).abs().max() < 1e-9, "nontrivial forces with zero net force"
        for seed, proper in [(0, True), (1, False)]:
            rot = random_rotation(torch.Generator().manual_seed(seed), proper=proper, dtype=torch.float64)
            shift = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
            torch.testing.assert_close(model.forces(x @ rot.T + shift, create_graph=False), f @ rot.T,
                                       rtol=1e-9, atol=1e-9)
        u = torch.cat([x.reshape(2, -1), torch.zeros(2, 27, dtype=torch.float64)], 1)
        tendency = model(u)
        assert tendency[:, :27].abs().max() == 0
        torch.testing.assert_close(tendency[:, 27:].reshape(2, 9, 3),
                                   f * model.inv_mass[:, None], rtol=1e-12, atol=0)
    finally:
        with torch.no_grad():
            model.head.weight.zero_()


def test_reference_trajectories_are_deterministic_for_a_seed():
    from molgdl_hybrid.molecular.reference import reference_trajectories

    a, b, c = (reference_trajectories("CCO", 2, 20, seed=s, equilibration_steps=20) for s in (3, 3, 4))
    assert a.states.shape == (21, 2, 54) and torch.equal(a.states, b.states)
    assert not torch.equal(a.states, c.states)


def test_kabsch_rmsd_and_geometry_against_hand_values(ethanol):
    from molgdl.testing.contracts import random_rotation
    from molgdl_hybrid.molecular.evaluation import bonds_and_angles, geometry, kabsch_rmsd

    x = ethanol.embed(0)
    rot = random_rotation(torch.Generator().manual_seed(0), proper=True, dtype=torch.float64).numpy()
    assert kabsch_rmsd(x @ rot.T + 3.0, x) < 1e-10
    shifted = x.copy()
    shifted[0] += [0.3, 0.0, 0.0]  # one atom moved: RMSD after the best fit is below the raw 0.3 / 3
    assert 0 < kabsch_rmsd(shifted, x) < 0.1
    bonds, angles = bonds_and_angles(ethanol.mol)
    assert len(bonds) == 8 and len(angles) == 6 + 6 + 1  # C(4, 2) at each carbon, C(2, 2) at the oxygen
    square = np.array([[0.0, 0, 0], [1.0, 0, 0], [1.0, 2.0, 0]])
    lengths, degrees = geometry(square, np.array([[0, 1], [1, 2]]), np.array([[0, 1, 2]]))
    np.testing.assert_allclose(lengths, [1.0, 2.0])
    np.testing.assert_allclose(degrees, [90.0])


def test_the_ethanol_config_runs_end_to_end(tmp_path):
    """configs/hybrid_ethanol.yaml through the dynamics task: UFF core + e3nn force, first-order EGA online."""
    import json
    from pathlib import Path

    from molgdl.cli import main

    config = Path(__file__).resolve().parents[3] / "configs" / "hybrid_ethanol.yaml"
    assert main(["run", str(config), "--set", f"run.output_dir={tmp_path}"]) == 0
    run_dir = tmp_path / "hybrid_ethanol"
    metrics = json.loads((run_dir / "seed_0" / "metrics.json").read_text())["test"]
    assert set(metrics) == {"hybrid", "core", "offline"}
    assert json.loads((run_dir / "summary.json").read_text())["mode"] == "first_order"
    # the core alone (UFF) misses MMFF94's forces: its one-step error is a property of the data, not zero
    assert metrics["core"]["rmse_at_1"] > 1e-4
    # one-step forecasts of the online hybrid beat the core (26% lower at the time of writing)
    assert metrics["hybrid"]["rmse_at_1"] < 0.95 * metrics["core"]["rmse_at_1"]


def test_solver_and_reference_of_different_molecules_are_refused(tmp_path):
    """Methanol's reference dynamics for an ethanol solver: same check as any config error, nothing trained."""
    import json
    from pathlib import Path

    import yaml

    from molgdl.cli import main

    config = yaml.safe_load((Path(__file__).resolve().parents[3] / "configs" / "hybrid_ethanol.yaml").read_text())
    config["run"]["output_dir"] = str(tmp_path)
    config["data"]["md"]["smiles"] = "OCC"  # the same molecule written differently is accepted ...
    path = tmp_path / "same.yaml"
    path.write_text(yaml.safe_dump(config))
    config["data"]["md"]["smiles"] = "CO"  # ... another molecule is not
    config["run"]["name"] = "other"
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(config))
    assert main(["run", str(other)]) == 2
    status = json.loads((tmp_path / "other" / "status.json").read_text())
    assert status["state"] == "failed" and "different molecules" in status["error"]
    assert not (tmp_path / "other" / "seed_0").exists()
    from molgdl_hybrid.task import _check_same_molecule
    from molgdl_hybrid.task_params import DynamicsParams

    same = {k: v for k, v in yaml.safe_load(path.read_text()).items() if k not in ("task", "run")}
    _check_same_molecule(DynamicsParams.model_validate(same))  # no error
