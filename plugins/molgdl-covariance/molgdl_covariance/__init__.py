"""molgdl-covariance: uniform-block ("interconnected community") covariance estimation and a
learned-vs-descriptor feature analysis.

Method: Yang, Chen & Chen, "Covariance Matrix Estimation for High-Throughput Biomedical Data with
Interconnected Communities", arXiv:2302.01861. The public functions below act on numpy arrays; they are
loaded on first access so that importing the package (and its ``hooks``) stays light.
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

_PUBLIC = {
    "UBMatrix": "ub_matrix", "ub_frobenius": "ub_matrix",
    "canonical_labels": "partition", "block_sizes": "partition", "community_order": "partition",
    "labels_from_sizes": "partition", "membership": "partition",
    "ub_estimate": "estimator", "ub_from_covariance": "estimator",
    "ub_inverse": "precision", "plugin_precision": "precision", "corrected_precision": "precision",
    "block_partial_correlation": "precision", "partial_correlation": "precision",
    "block_standard_errors": "inference", "wald_interval": "inference", "BlockStandardErrors": "inference",
    "hard_threshold": "thresholding", "threshold_cv": "thresholding", "ThresholdFit": "thresholding",
    "hierarchical_communities": "communities", "louvain_communities": "communities",
    "detect_communities": "communities", "eigengap_k": "communities",
    "sample_covariance": "reference", "ledoit_wolf": "reference", "oas": "reference", "graphical_lasso": "reference",
    "linear_cka": "similarity", "canonical_correlations": "similarity",
    "scenario1": "scenario", "sample_gaussian": "scenario", "PAPER_N50_P150": "scenario",
    "compare_feature_sets": "comparison", "FeatureComparison": "comparison", "write_report": "report",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
