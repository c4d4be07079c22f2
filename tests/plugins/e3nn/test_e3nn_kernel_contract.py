"""molgdl's ModelContract (symmetries in float32 and float64, forces, batching, gradients, saving) on the e3nn
encoder with ``kernels: cuequivariance`` (cuEquivariance's pure-torch method on CPU); skipped without
cuequivariance-torch (``pip install 'molgdl-e3nn[cuda]'``)."""

from __future__ import annotations

import importlib.util

import pytest

from molgdl.testing import ModelContract
from molgdl_e3nn import hooks

pytestmark = pytest.mark.skipif(importlib.util.find_spec("cuequivariance_torch") is None,
                                reason="cuequivariance-torch is not installed")

SMALL = {"num_layers": 2, "num_features": 8, "radial_width": 16, "kernels": "cuequivariance"}


class TestE3NNCueContractL2(ModelContract):
    plugin, name, params = hooks, "e3nn", {**SMALL, "l_max": 2}


class TestE3NNChiralCueContractL2(ModelContract):
    plugin, name, params = hooks, "e3nn_chiral", {**SMALL, "l_max": 2}
