"""Hook implementations of the molgdl-e3nn plugin (no torch / e3nn import: factories import lazily)."""

from __future__ import annotations

from molgdl import hookimpl
from molgdl.specs import ModelSpec

from .params import E3NNParams


def _e3nn(params, dims):
    from .model import build_e3nn

    return build_e3nn(params, dims, parity=True)


def _e3nn_chiral(params, dims):
    from .model import build_e3nn

    return build_e3nn(params, dims, parity=False)


@hookimpl
def molgdl_models():
    return [
        ModelSpec(
            name="e3nn",
            summary="NequIP-style E(3)-equivariant interaction network with MACE's product basis, from e3nn "
                    "primitives (Batzner et al. 2022; Batatia et al. 2022)",
            factory=_e3nn,
            params=E3NNParams,
            family="encoder",
            symmetry=frozenset({"E3", "permutation"}),
        ),
        ModelSpec(
            name="e3nn_chiral",
            summary="NequIP-style network without parity: SE(3)-invariant, tells enantiomers apart (e3nn)",
            factory=_e3nn_chiral,
            params=E3NNParams,
            family="encoder",
            symmetry=frozenset({"SE3", "permutation"}),
        ),
    ]
