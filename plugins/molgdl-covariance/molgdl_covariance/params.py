"""Parameter model of the ``learned_vs_descriptors`` analysis (pydantic only: no heavy imports)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from molgdl.specs import Params


class LearnedVsDescriptorsParams(Params):
    """Compare a trained model's learned molecular representation with a descriptor set."""

    seed: Optional[int] = Field(
        None, ge=0, description="Replicate whose trained model gives the learned features (null: the first seed).")
    descriptor: str = Field(
        "rdkit2d", description="Registered descriptor to compare with (taken from the run's featurization when "
        "the config lists it under descriptors, else computed for the run's molecules).")
    method: Literal["hierarchical", "louvain"] = Field(
        "hierarchical", description="Community detection on the joint correlation matrix: agglomerative "
        "hierarchical clustering on 1-|r|, or Louvain on the graph of |r| >= louvain_threshold.")
    criterion: Literal["silhouette", "eigengap"] = Field(
        "silhouette", description="hierarchical: how the number of communities is chosen (mean silhouette width "
        "on 1-|r|, or the largest eigengap of the normalised |r| affinity).")
    linkage: Literal["complete", "average", "weighted"] = Field(
        "complete", description="hierarchical: linkage rule (average linkage tends to chain on large descriptor sets).")
    max_communities: int = Field(12, ge=2, description="hierarchical: largest number of communities considered.")
    louvain_threshold: float = Field(
        0.3, gt=0, lt=1, description="louvain: |r| at or above which two features are linked.")
    louvain_resolution: float = Field(1.0, gt=0, description="louvain: modularity resolution (larger: more communities).")
    top_k: int = Field(5, ge=1, description="Descriptors listed per learned block (by |r| with its first PC).")
    cca_components: int = Field(
        10, ge=1, description="Principal components per feature set entering CCA (capped at (n - 1) / 4).")
    random_state: int = Field(0, ge=0, description="Seed of the Louvain node order (results are deterministic).")
