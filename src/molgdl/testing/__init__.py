"""Reusable checks for molgdl components, for first-party and third-party plugin tests.

``molgdl.testing.pytest_plugin`` is registered as a pytest plugin (fixtures ``molgdl_pm``,
``tiny_table``, ``cli``); the contract functions below raise ``AssertionError`` with a clear message.
"""

from molgdl.testing.contracts import (
    check_batch_consistency,
    check_permutation_invariance,
    permute_graph,
)
from molgdl.testing.molecules import TINY_SMILES, tiny_table

__all__ = ["TINY_SMILES", "check_batch_consistency", "check_permutation_invariance", "permute_graph", "tiny_table"]
