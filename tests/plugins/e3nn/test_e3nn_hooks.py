"""Registration of the molgdl-e3nn plugin: entry point, specs and symmetry claims, params, factory errors."""

from __future__ import annotations

import pluggy
import pytest
import torch
from pydantic import ValidationError

from molgdl import hookspecs
from molgdl.errors import ConfigError, DataError
from molgdl.specs import FeatureDims, ModelSpec


def specs() -> dict[str, ModelSpec]:
    from molgdl_e3nn import hooks

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(hooks, name="e3nn")
    pm.check_pending()
    return {s.name: s for group in pm.hook.molgdl_models() for s in group}


def test_entry_point_is_installed():
    from importlib.metadata import entry_points

    eps = {ep.name: ep.value for ep in entry_points(group="molgdl")}
    assert eps.get("e3nn") == "molgdl_e3nn.hooks"


def test_specs_claim_what_the_parity_gives():
    got = specs()
    assert set(got) == {"e3nn", "e3nn_chiral"}
    assert got["e3nn"].symmetry == {"E3", "permutation"} and got["e3nn"].family == "encoder"
    assert got["e3nn_chiral"].symmetry == {"SE3", "permutation"}
    dims = FeatureDims(atom_dim=0, bond_dim=0, is_3d=True)
    small = {"num_layers": 1, "num_features": 4, "radial_width": 8}
    assert got["e3nn"].factory(got["e3nn"].build_params(small), dims).parity is True
    assert got["e3nn_chiral"].factory(got["e3nn_chiral"].build_params(small), dims).parity is False


def test_params_defaults_and_bounds():
    spec = specs()["e3nn"]
    p = spec.build_params()
    assert (p.num_layers, p.l_max, p.num_features, p.cutoff, p.num_radial, p.cutoff_p) == (3, 1, 32, 5.0, 8, 6)
    assert (p.correlation, p.natural_parity, p.all_layer_outputs) == (2, True, False)
    for bad in ({"l_max": 4}, {"cutoff": 0.0}, {"parity": False}, {"num_features": 0}, {"correlation": 4}):
        with pytest.raises(ValidationError):
            spec.build_params(bad)


def test_factory_needs_3d_and_valid_atoms():
    spec = specs()["e3nn"]
    params = spec.build_params({"num_layers": 1, "num_features": 4, "radial_width": 8, "max_z": 10})
    with pytest.raises(ConfigError, match="3D"):
        spec.factory(params, FeatureDims(atom_dim=8, bond_dim=4, is_3d=False))
    model = spec.factory(params, FeatureDims(atom_dim=8, bond_dim=4, is_3d=True))
    from torch_geometric.data import Batch, Data

    with pytest.raises(DataError, match="max_z"):
        model(Batch.from_data_list([Data(z=torch.tensor([6, 17]), pos=torch.zeros(2, 3))]))
    with pytest.raises(DataError, match="pos"):
        model(Batch.from_data_list([Data(z=torch.tensor([6, 8]), num_nodes=2)]))


def test_residual_embeds_the_input_irreps():
    """The residual adds input channel k of irrep ir to output channel k of the same irrep (zero-padded)."""
    from e3nn import o3

    from molgdl_e3nn.layer import residual_index

    idx = residual_index(o3.Irreps("2x0e+1x1o"), o3.Irreps("1x0o+2x0e+1x1o+1x1e"))
    assert idx.tolist() == [1, 2, 3, 4, 5]
    assert residual_index(o3.Irreps("2x0e"), o3.Irreps("3x0e+1x1o")) is None  # multiplicities differ
    assert residual_index(o3.Irreps("1x2e"), o3.Irreps("1x0e+1x1o")) is None  # irrep missing


def test_modules_expose_irreps():
    from e3nn import o3

    from molgdl_e3nn.model import E3NNEncoder

    model = E3NNEncoder(num_layers=2, l_max=2, num_features=8, num_tensor_features=4, radial_width=8)
    assert model.irreps_out == o3.Irreps("8x0e") and model.out_dim == 8
    assert model.irreps_features == o3.Irreps("8x0e+4x1o+4x2e")  # natural parity (default)
    both = E3NNEncoder(num_layers=2, l_max=2, num_features=8, num_tensor_features=4, radial_width=8,
                       natural_parity=False)
    assert both.irreps_features == o3.Irreps("8x0e+4x1o+4x1e+4x2o+4x2e")  # 0o needs a third layer
    assert model.layers[0].irreps_in == o3.Irreps("8x0e")
    assert model.layers[0].irreps_out == o3.Irreps("8x0e+4x1o+4x2e")  # only what 0e x Y can reach
    assert model.layers[1].irreps_in == model.layers[0].irreps_out
    assert not model.layers[0].residual and not model.layers[1].residual  # off by default (NequIP's resnet)
    with_res = E3NNEncoder(num_layers=2, l_max=2, num_features=8, num_tensor_features=4, radial_width=8, residual=True)
    assert with_res.layers[0].residual and with_res.layers[1].residual  # input irreps embedded in the output
    assert model.irreps_edge == o3.Irreps("0e+1o+2e")
    assert E3NNEncoder(num_layers=1, l_max=2, parity=False, num_features=4).irreps_edge == o3.Irreps("0e+1e+2e")
