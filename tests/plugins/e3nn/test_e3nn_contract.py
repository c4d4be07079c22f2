"""molgdl's ModelContract on the ``e3nn`` encoder (small size; the kit runs it on both registered names)."""

from __future__ import annotations

from molgdl.testing import ModelContract
from molgdl_e3nn import hooks


class TestE3NNContract(ModelContract):
    plugin = hooks
    name = "e3nn"
    params = {"num_layers": 2, "l_max": 2, "num_features": 8, "radial_width": 16}
