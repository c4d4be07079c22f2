"""Reusable checks for molgdl components, for first-party and third-party plugin tests.

``molgdl.testing.pytest_plugin`` is registered as a pytest plugin (entry point ``pytest11``), so a plugin
package's tests get its fixtures without a conftest: ``molgdl_pm`` (a fresh plugin manager, entry-point
autoload off), ``tiny_table`` / ``tiny_table_3d`` / ``tiny_graphs`` (tiny molecules, with 3D coordinates),
``cli`` (the molgdl CLI in-process).

Contract classes (``molgdl.testing.suites``; subclass one, set ``plugin``, ``name``, ``params``):
``ModelContract``, ``ReadoutContract``, ``FeaturizerContract``, ``OptimizerContract``, ``AnalysisContract``,
``CallbackContract``.
The check functions below raise ``AssertionError`` with a clear message.
"""

from typing import Any

from molgdl.testing.contracts import (
    SYMMETRY_CHECKS,
    check_batch_consistency,
    check_euclidean_invariance,
    check_force_equivariance,
    check_irreps_equivariance,
    forces_of,
    to_float64,
    check_graph_data,
    check_node_batch_consistency,
    check_node_permutation_equivariance,
    check_permutation_invariance,
    permute_graph,
    random_rotation,
    register_symmetry_check,
    relabel_molecule,
)
from molgdl.testing.molecules import TINY_3D, TINY_SMILES, TinyGraphFeaturizer, tiny_graphs, tiny_table, tiny_table_3d

_SUITES = ("ComponentContract", "ModelContract", "ReadoutContract", "FeaturizerContract", "OptimizerContract",
           "AnalysisContract", "CallbackContract", "ContractWarning")


def __getattr__(name: str) -> Any:
    # the contract classes import pytest: loaded on first use, so that the helpers above work without it
    if name in _SUITES:
        from molgdl.testing import suites

        return getattr(suites, name)
    if name in ("make_analysis_context", "StubAnalysisContext"):
        from molgdl.testing import runs

        return getattr(runs, name)
    raise AttributeError(f"module 'molgdl.testing' has no attribute {name!r}")


__all__ = [
    "SYMMETRY_CHECKS",
    "TINY_3D",
    "TINY_SMILES",
    "TinyGraphFeaturizer",
    "check_batch_consistency",
    "check_euclidean_invariance",
    "check_force_equivariance",
    "check_irreps_equivariance",
    "forces_of",
    "to_float64",
    "check_graph_data",
    "check_node_batch_consistency",
    "check_node_permutation_equivariance",
    "check_permutation_invariance",
    "permute_graph",
    "random_rotation",
    "register_symmetry_check",
    "relabel_molecule",
    "tiny_graphs",
    "tiny_table",
    "tiny_table_3d",
    "make_analysis_context",
    "StubAnalysisContext",
    *_SUITES,
]
