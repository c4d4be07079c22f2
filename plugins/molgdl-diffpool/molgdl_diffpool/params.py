"""Parameter models of the diffpool plugin (pydantic only: no torch import here)."""

from __future__ import annotations

import math
from typing import Literal, Optional, Union

from pydantic import Field, field_validator

from molgdl.specs import Params


class DiffPoolParams(Params):
    """DiffPool readout (Ying et al. 2018): learned soft clustering of the atoms, level by level."""

    levels: list[Union[int, float]] = Field(
        default_factory=lambda: [0.25, 1],
        description="Clusters per pooling level: an int is a count, a float in (0, 1) a fraction of max_nodes "
        "(rounded up). Default [0.25, 1]: 25% of the largest molecule, then one cluster (the molecule).",
    )
    max_nodes: int = Field(
        64, ge=1, description="Size of the largest molecule (atoms, as in the graphs) that ratio levels refer to; "
        "larger molecules still work. ESOL ~55 heavy atoms, QM9 29 atoms with hydrogens.",
    )
    hidden_dim: int = Field(128, ge=1, description="Width of the embedding GNNs (= out_dim).")
    gnn_layers: int = Field(2, ge=1, description="Dense graph convolutions in each embedding / assignment GNN.")
    conv: Literal["sage", "gcn"] = Field(
        "sage", description="Dense convolution: 'sage' (GraphSAGE-mean, as in the paper) or 'gcn'."
    )
    adjacency: Literal["bond", "radius"] = Field(
        "bond", description="Input graph of the first level: 'bond' (batch.edge_index; any encoder) or 'radius' "
        "(pairs closer than radius_cutoff in batch.pos; 3D featurizers only).",
    )
    radius_cutoff: float = Field(3.0, gt=0.0, description="Cutoff in Å of the 'radius' adjacency.")
    radius_max_neighbors: Optional[int] = Field(
        None, ge=1, description="Nearest neighbours kept per atom by the 'radius' adjacency (null: all)."
    )
    self_loops: bool = Field(
        True, description="Add self-loops to the first-level adjacency (an atom is always linked to itself; "
        "makes the link-prediction target A + I match the diagonal of S S^T).",
    )
    link_weight: float = Field(1.0, ge=0.0, description="Weight of the link-prediction loss ||A - S S^T||_F / n.")
    entropy_weight: float = Field(0.1, ge=0.0, description="Weight of the mean row entropy of S.")
    max_dense_entries: int = Field(
        20_000_000, ge=1, description="Refuse a batch whose dense adjacency batch_size x max_atoms^2 has more "
        "entries than this (a clear error instead of running out of memory).",
    )

    @field_validator("levels", mode="before")
    @classmethod
    def _no_booleans(cls, levels):
        if isinstance(levels, (list, tuple)) and any(isinstance(v, bool) for v in levels):
            raise ValueError("levels hold cluster counts (int) or ratios (float), not booleans")
        return levels

    @field_validator("levels")
    @classmethod
    def _check_levels(cls, levels: list[Union[int, float]]) -> list[Union[int, float]]:
        if not levels:
            raise ValueError("levels must name at least one pooling level, e.g. [0.25, 1]")
        for value in levels:
            if isinstance(value, int) and value < 1:
                raise ValueError(f"level {value}: a cluster count must be >= 1")
            if isinstance(value, float) and not 0.0 < value < 1.0:
                raise ValueError(f"level {value}: a ratio must lie in (0, 1); write an int for a cluster count "
                                 "(e.g. 1, not 1.0)")
        return levels

    def cluster_counts(self) -> list[int]:
        """Number of clusters of each level: ratios resolved against ``max_nodes`` (rounded up)."""
        return [v if isinstance(v, int) else max(1, math.ceil(v * self.max_nodes)) for v in self.levels]


class ClustersParams(Params):
    """Export the level-1 DiffPool cluster assignment of the test molecules and draw a few of them."""

    seed: Optional[int] = Field(None, description="Replicate whose model is used (null: the first seed).")
    split: Literal["test", "val", "train", "all"] = Field("test", description="Molecules to export.")
    n_draw: int = Field(12, ge=0, description="Molecules drawn in clusters.png (atoms coloured by cluster).")
    mols_per_row: int = Field(4, ge=1, description="Columns of the clusters.png grid.")
    image_size: int = Field(300, ge=100, description="Size in pixels of one molecule in clusters.png.")
    batch_size: int = Field(64, ge=1, description="Molecules per forward pass.")
