"""Hook implementations of the molgdl-covariance plugin (numpy/pandas/matplotlib load inside the factory)."""

from __future__ import annotations

from molgdl import hookimpl
from molgdl.specs import AnalysisSpec

from .params import LearnedVsDescriptorsParams


def _learned_vs_descriptors(params: LearnedVsDescriptorsParams):
    from .analysis import LearnedVsDescriptors

    return LearnedVsDescriptors(params)


@hookimpl
def molgdl_analyses():
    return [
        AnalysisSpec("learned_vs_descriptors", "learned features vs RDKit descriptors: joint communities, "
                     "uniform-block interconnection (arXiv:2302.01861), CKA/CCA, partial correlations",
                     _learned_vs_descriptors, LearnedVsDescriptorsParams),
    ]
