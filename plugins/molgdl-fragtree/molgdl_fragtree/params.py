"""Parameter models of molgdl-fragtree (pydantic only: no torch / rdkit import here)."""

from __future__ import annotations

from pydantic import Field

from molgdl.specs import Params


class FragTreeParams(Params):
    """``fragtree``: atom embeddings pooled per fragment, combined bottom-up by a Child-Sum Tree-LSTM."""

    hidden_dim: int = Field(64, ge=1, description="width of atom, fragment and tree states (few parameters: "
                            "64 gives ~45k weights with the fragtree2d features)")
    prototypes: int = Field(0, ge=0, description="size of a learned prototype dictionary: > 0 appends each "
                            "fragment state's cosine similarity to every prototype to the node embedding")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout on the fragment inputs of the Tree-LSTM")


class FragTree2DParams(Params):
    """``fragtree2d``: which bonds cut the molecule into fragments."""

    cut: str = Field("brics", pattern="^(brics|acyclic)$",
                     description="'brics': RDKit's BRICS bonds; 'acyclic': every single bond outside a ring "
                     "that joins two heavy atoms of degree > 1 (finer fragments: ring systems and chain links)")
