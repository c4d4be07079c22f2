"""Hook implementations of the molgdl-attribution plugin (torch, rdkit, pandas load inside the factory)."""

from __future__ import annotations

from molgdl import hookimpl
from molgdl.specs import AnalysisSpec

from .params import AttributionParams


def _attribution(params: AttributionParams):
    from .analysis import build_attribution_analysis

    return build_attribution_analysis(params)


@hookimpl
def molgdl_analyses():
    return [
        AnalysisSpec(
            name="attribution",
            summary="per-atom contributions: integrated gradients / occlusion (graph models), permutation "
            "Shapley values through fingerprint bits (descriptor models); drawings; substructures up / down",
            factory=_attribution,
            params=AttributionParams,
        )
    ]
