"""Energy + force training: forces are -dE/dpos (checked against finite differences), the force loss trains
(test force MAE far below a zero-force guess), and a force config without forces or positions is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from torch_geometric.data import Batch

from molgdl.cli import main
from molgdl.testing import tiny_graphs
from molgdl.train.forces import energy_and_forces


def _schnet_model():
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry
    from molgdl.specs import FeatureDims
    from molgdl.train.module import MolecularModel

    spec = Registry(create_plugin_manager(autoload=True, disabled=())).get("model", "schnet")
    params = spec.build_params({"hidden_channels": 16, "num_filters": 16, "num_gaussians": 16, "num_interactions": 2})
    torch.manual_seed(0)
    encoder = spec.factory(params, FeatureDims(0, 0, 0, True))
    readout = Registry(create_plugin_manager(autoload=True, disabled=())).get("readout", "sum")
    model = MolecularModel(encoder, readout.factory(readout.build_params({}), 16), 0, 1, 16, 2, 0.0)
    model.y_std.fill_(0.7)  # forces are returned in target units: the scale must be applied
    return model.double().eval()


def test_forces_equal_finite_differences_of_the_energy_in_float64():
    model = _schnet_model()
    graphs = [g for g in tiny_graphs(hydrogens=True) if g.num_nodes > 2][:3]
    batch = Batch.from_data_list(graphs)
    batch.pos = batch.pos.double()
    _, forces = energy_and_forces(model, batch, create_graph=False)

    def energy(pos):
        b = batch.clone()
        b.pos = pos
        with torch.no_grad():
            return model.unscale(model(b), b)[:, 0].sum()

    eps = 1e-5
    fd = torch.zeros_like(batch.pos)
    for i in range(batch.pos.size(0)):
        for k in range(3):
            plus, minus = batch.pos.clone(), batch.pos.clone()
            plus[i, k] += eps
            minus[i, k] -= eps
            fd[i, k] = -(energy(plus) - energy(minus)) / (2 * eps)
    assert torch.allclose(forces, fd, rtol=1e-6, atol=1e-8), (forces - fd).abs().max()
    assert float(forces.abs().max()) > 1e-3  # not trivially zero


def _config(tmp: Path, **over) -> Path:
    cfg = {
        "run": {"name": "f", "output_dir": str(tmp / "runs"), "seeds": [0]},
        "data": {"source": {"name": "rmd17_ethanol"}, "cache_dir": str(tmp / "cache"), "progress": False},
        "featurizer": {"name": "conformer3d"},
        "model": {"name": "schnet", "hidden_channels": 32, "num_filters": 32, "num_interactions": 2, "cutoff": 5.0},
        "readout": {"name": "sum"},
        "head": {"hidden_dim": 32},
        "loss": {"force_weight": 100.0},
        "optimizer": {"name": "adam", "lr": 0.003},
        "trainer": {"max_epochs": 12, "batch_size": 10, "progress_bar": False, "accelerator": "cpu",
                    "early_stopping": None},
    }
    for key, value in over.items():
        cfg[key] = value
    path = tmp / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_force_training_learns_forces_and_reports_them(tmp_path):
    assert main(["run", str(_config(tmp_path))]) == 0
    seed = tmp_path / "runs" / "f" / "seed_0"
    metrics = yaml.safe_load((seed / "metrics.json").read_text())["metrics"]
    arrays = np.load(seed / "forces_test.npz")
    zero_guess = float(np.abs(arrays["ref"]).mean())  # MAE of predicting F = 0
    mae = metrics["test"]["forces"]["mae"]
    assert mae == pytest.approx(float(np.abs(arrays["pred"] - arrays["ref"]).mean()), rel=1e-5)
    assert mae < 0.5 * zero_guess, (mae, zero_guess)
    assert arrays["pred"].shape == arrays["ref"].shape and arrays["pred"].shape[1] == 3
    assert np.unique(arrays["molecule"]).size == 10  # 10% of 100 frames, 9 atoms each
    logged = (seed / "logs" / "metrics.csv").read_text().splitlines()[0]
    assert "val/force_mae" in logged and "train/energy_mse" in logged


@pytest.mark.parametrize("override, message", [
    ({"featurizer": {"name": "graph2d"}}, "is not 3D"),
    ({"data": {"source": {"name": "esol", "limit": 40}, "progress": False}, "featurizer": {"name": "conformer3d"}},
     "has none"),
])
def test_force_training_without_positions_or_forces_is_refused(tmp_path, capsys, override, message):
    code = main(["run", str(_config(tmp_path, **override))])
    err = " ".join(capsys.readouterr().err.split())  # the console wraps long lines
    assert code != 0 and message in err and "Traceback" not in err, err[-2000:]
