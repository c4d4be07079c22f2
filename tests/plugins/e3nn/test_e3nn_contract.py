"""molgdl's ModelContract (symmetries in float32 and float64, forces, batching, gradients, saving) on the
``e3nn`` encoder for every ``l_max`` 0-3, and on ``e3nn_chiral`` (small sizes; the kit also runs both
registered names at their contract params)."""

from __future__ import annotations

from molgdl.testing import ModelContract
from molgdl_e3nn import hooks

SMALL = {"num_layers": 2, "num_features": 8, "radial_width": 16}


class TestE3NNContractL0(ModelContract):
    plugin, name, params = hooks, "e3nn", {**SMALL, "l_max": 0}


class TestE3NNContractL1(ModelContract):
    plugin, name, params = hooks, "e3nn", {**SMALL, "l_max": 1}


class TestE3NNContractL2(ModelContract):
    plugin, name, params = hooks, "e3nn", {**SMALL, "l_max": 2}


class TestE3NNContractL3(ModelContract):
    plugin, name, params = hooks, "e3nn", {**SMALL, "l_max": 3, "num_tensor_features": 4}


class TestE3NNChiralContractL2(ModelContract):
    plugin, name, params = hooks, "e3nn_chiral", {**SMALL, "l_max": 2}
