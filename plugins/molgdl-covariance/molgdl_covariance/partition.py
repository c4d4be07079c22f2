"""Partitions of p features into K communities, as integer labels ``[p]`` with values ``0..K-1``."""

from __future__ import annotations

import numpy as np


def canonical_labels(labels) -> np.ndarray:
    """Relabel so that communities are numbered by the first feature they contain.

    Shapes: labels ``[p]`` (any hashable values) -> int64 ``[p]`` with values ``0..K-1``.
    """
    labels = np.asarray(labels)
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse.ravel()]


def check_labels(labels, p: int) -> np.ndarray:
    """Validate a partition of ``p`` features: int64 ``[p]`` with every value of ``0..K-1`` used."""
    labels = np.asarray(labels)
    if labels.shape != (p,):
        raise ValueError(f"labels must have shape [{p}], got {list(labels.shape)}")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise ValueError("labels must be non-negative integers 0..K-1")
    labels = labels.astype(np.int64)
    if np.setdiff1d(np.arange(labels.max() + 1), labels).size:
        raise ValueError("labels must use every community number 0..K-1 (use canonical_labels)")
    return labels


def block_sizes(labels: np.ndarray) -> np.ndarray:
    """Community sizes ``p_k``. Shapes: labels ``[p]`` -> int64 ``[K]``."""
    return np.bincount(np.asarray(labels, dtype=np.int64))


def membership(labels: np.ndarray) -> np.ndarray:
    """One-hot membership matrix Z with ``Z[i, k] = 1`` iff feature i is in community k. Shapes: ``[p]`` -> ``[p, K]``."""
    labels = np.asarray(labels, dtype=np.int64)
    z = np.zeros((labels.size, labels.max() + 1))
    z[np.arange(labels.size), labels] = 1.0
    return z


def community_order(labels: np.ndarray) -> np.ndarray:
    """Permutation of the features that sorts them by community (stable). Shapes: ``[p]`` -> ``[p]``."""
    return np.argsort(np.asarray(labels), kind="stable")


def labels_from_sizes(sizes) -> np.ndarray:
    """Labels of contiguous communities of the given sizes, e.g. ``[2, 3] -> [0, 0, 1, 1, 1]``."""
    sizes = np.asarray(sizes, dtype=np.int64)
    return np.repeat(np.arange(sizes.size), sizes)
