"""``scaling.element_shift``: per-element reference values fitted by least squares on the training molecules.

The fit recovers planted per-element values exactly (closed form), missing targets and absent elements are
handled, scale/unscale are inverse to each other, forces are unchanged by the shift (it does not depend on
positions), a run on the bundled QM9 slice trains on the residual and beats the same run without it, and a
misspelled target is refused with a message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from torch_geometric.data import Batch, Data

from molgdl.cli import main
from molgdl.train.element_shift import element_counts, fit_element_shift, molecule_shift


def _molecules(n: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        size = int(torch.randint(3, 12, (1,), generator=g))
        z = torch.tensor([1, 6, 7, 8])[torch.randint(0, 4, (size,), generator=g)]
        out.append(Data(z=z, pos=torch.randn(size, 3, generator=g)))
    return out


def test_fit_recovers_planted_values_and_skips_missing_targets():
    mols = _molecules(60)
    batch = Batch.from_data_list(mols)
    counts = element_counts(batch.z, batch.ptr)
    assert counts.shape == (60, 119) and torch.equal(counts.sum(1), torch.diff(batch.ptr).double())
    planted = torch.zeros(119, 2, dtype=torch.float64)
    planted[[1, 6, 7, 8], 0] = torch.tensor([-13.6, -1029.8, -1485.3, -2042.6], dtype=torch.float64)
    planted[[1, 6, 7, 8], 1] = torch.tensor([0.5, -0.25, 1.0, 2.0], dtype=torch.float64)
    y = counts @ planted
    y[::3, 1] = float("nan")  # a target missing for a third of the molecules
    fitted = fit_element_shift(counts, y)
    torch.testing.assert_close(fitted, planted, rtol=1e-9, atol=1e-7)
    assert torch.equal(fitted[[0, 2, 9]], torch.zeros(3, 2, dtype=torch.float64))  # absent elements: 0
    per_mol = molecule_shift(fitted, batch.z, batch.batch, batch.num_graphs)
    torch.testing.assert_close(per_mol[:, 0], (counts @ planted)[:, 0], rtol=1e-12, atol=1e-8)


def test_constant_formula_gives_the_mean():
    """Every frame of an MD trajectory has one formula: the minimum-norm fit reproduces the mean."""
    z = torch.tensor([6, 6, 8, 1, 1, 1, 1, 1, 1])
    counts = element_counts(z.repeat(5), torch.arange(0, 46, 9))
    y = torch.tensor([[1.0], [2.0], [3.0], [4.0], [5.0]], dtype=torch.float64)
    shift = fit_element_shift(counts, y)
    assert float((counts @ shift)[0, 0]) == pytest.approx(3.0, rel=1e-12)


def test_scale_and_unscale_are_inverse_and_forces_ignore_the_shift():
    from molgdl.train.module import MolecularModel

    class Energy(torch.nn.Module):
        out_dim = 1

        def forward(self, batch):
            return (batch.pos ** 2).sum(-1, keepdim=True)

    class Sum(torch.nn.Module):
        out_dim = 1

        def forward(self, h, batch):
            return h.new_zeros(batch.num_graphs, 1).index_add(0, batch.batch, h)

    mols = _molecules(40)
    batch = Batch.from_data_list(mols)
    counts = element_counts(batch.z, batch.ptr)
    y = (counts @ torch.linspace(-3, 3, 119, dtype=torch.float64)[:, None]).float() + torch.randn(40, 1)
    model = MolecularModel(Energy(), Sum(), 0, 1, 4, 1, 0.0)
    model.set_scalers(y, torch.zeros(40, 0), True, counts=counts, shift_targets=[0])
    scaled = model.scale(y, batch)
    assert float(scaled.mean()) == pytest.approx(0.0, abs=1e-5) and float(scaled.std(unbiased=False)) == pytest.approx(1.0, rel=1e-4)
    assert float(model.y_std[0]) < 1.5  # the residual (noise of std 1), not the spread of the composition part
    torch.testing.assert_close(model.unscale(scaled, batch), y, rtol=1e-6, atol=1e-4)
    reloaded = MolecularModel(Energy(), Sum(), 0, 1, 4, 1, 0.0)
    reloaded.load_state_dict(model.state_dict())  # a checkpoint brings its shift back into use
    torch.testing.assert_close(reloaded.unscale(scaled, batch), y, rtol=1e-6, atol=1e-4)
    old = {k: v for k, v in model.state_dict().items() if k != "element_shift"}  # written before shifts existed
    reloaded.load_state_dict(old)
    assert not reloaded.element_shift.any() and isinstance(reloaded.shift(batch), float)
    from molgdl.train.forces import energy_and_forces

    _, forces = energy_and_forces(model, batch, create_graph=False)
    slope = float(model.head[-1].weight[0, 0])  # head: one linear layer, out = slope * E + bias
    torch.testing.assert_close(forces, -2 * batch.pos * model.y_std[0] * slope, rtol=1e-5, atol=1e-6)


def _config(tmp: Path, **over) -> Path:
    cfg = {
        "run": {"name": "q", "output_dir": str(tmp / "runs"), "seeds": [0]},
        "data": {"source": {"name": "qm9", "targets": ["U0_atom"], "limit": 400}, "cache_dir": str(tmp / "cache"),
                 "progress": False},
        "featurizer": {"name": "conformer3d"},
        "model": {"name": "schnet", "hidden_channels": 32, "num_filters": 32, "num_interactions": 2, "cutoff": 5.0},
        "readout": {"name": "sum"},
        "head": {"hidden_dim": 32},
        "optimizer": {"name": "adam", "lr": 0.003},
        "trainer": {"max_epochs": 3, "batch_size": 32, "progress_bar": False, "accelerator": "cpu",
                    "early_stopping": None},
        **over,
    }
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_qm9_run_learns_the_residual_and_beats_the_unshifted_run(tmp_path):
    maes = {}
    for label, scaling in (("plain", {}), ("shift", {"element_shift": ["U0_atom"]})):
        out = tmp_path / label
        assert main(["run", str(_config(out, scaling=scaling))]) == 0
        seed = out / "runs" / "q" / "seed_0"
        maes[label] = json.loads((seed / "metrics.json").read_text())["metrics"]["test"]["U0_atom"]["mae"]
        resolved = yaml.safe_load((out / "runs" / "q" / "config.yaml").read_text())
        assert resolved["scaling"]["element_shift"] == scaling.get("element_shift", [])
    assert maes["shift"] < 0.5 * maes["plain"], maes


def test_unknown_target_is_refused(tmp_path, capsys):
    code = main(["run", str(_config(tmp_path, scaling={"element_shift": ["U0"]}))])
    err = " ".join(capsys.readouterr().err.split())
    assert code != 0 and "scaling.element_shift names target(s) ['U0']" in err and "Traceback" not in err, err[-1500:]
