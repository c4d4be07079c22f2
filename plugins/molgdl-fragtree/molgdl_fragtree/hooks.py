"""Hook implementations of molgdl-fragtree (no torch / rdkit import: factories import lazily)."""

from __future__ import annotations

from molgdl import hookimpl
from molgdl.specs import FeaturizerSpec, ModelSpec

from .params import FragTree2DParams, FragTreeParams


def _fragtree(params, dims):
    from .encoder import build_fragtree

    return build_fragtree(params, dims)


def _fragtree2d(params):
    from .featurizer import FragTreeFeaturizer

    return FragTreeFeaturizer(params)


@hookimpl
def molgdl_models() -> list[ModelSpec]:
    return [ModelSpec("fragtree", "recursive fragment-tree encoder: BRICS fragments combined bottom-up by a "
                      "Child-Sum Tree-LSTM, root + leaf states, optional prototype scores (needs fragtree2d)",
                      _fragtree, FragTreeParams)]


@hookimpl
def molgdl_featurizers() -> list[FeaturizerSpec]:
    return [FeaturizerSpec("fragtree2d", "2D graph (33 atom / 6 bond features, RDKit) + its BRICS fragment tree "
                           "(frag_id, frag_parent per atom) for the fragtree encoder", _fragtree2d, FragTree2DParams)]
