"""Hook implementations of the molgdl-diffpool plugin (no torch / rdkit import: factories import lazily)."""

from __future__ import annotations

from molgdl import hookimpl
from molgdl.specs import AnalysisSpec, ReadoutSpec

from .params import ClustersParams, DiffPoolParams


def _diffpool_readout(params, in_dim):
    from .readout import build_diffpool

    return build_diffpool(params, in_dim)


def _diffpool_clusters(params):
    from .clusters import build_clusters_analysis

    return build_clusters_analysis(params)


@hookimpl
def molgdl_readouts():
    return [
        ReadoutSpec(
            name="diffpool",
            summary="Hierarchical soft-cluster pooling with link and entropy losses (DiffPool, Ying et al. 2018)",
            factory=_diffpool_readout,
            params=DiffPoolParams,
        )
    ]


@hookimpl
def molgdl_analyses():
    return [
        AnalysisSpec(
            name="diffpool_clusters",
            summary="Level-1 DiffPool cluster of every test atom (assignments.csv) and drawings (clusters.png)",
            factory=_diffpool_clusters,
            params=ClustersParams,
        )
    ]
