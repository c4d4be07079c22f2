"""Community detection recovers a planted partition; CKA/CCA against closed forms; partition helpers."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from molgdl_covariance import (
    canonical_correlations,
    canonical_labels,
    eigengap_k,
    hierarchical_communities,
    labels_from_sizes,
    linear_cka,
    louvain_communities,
)


def _planted(seed: int = 0, sizes=(8, 12, 10, 6), n: int = 400, within: float = 0.6):
    """Features of community k = shared factor f_k + noise: within-community r = within, between = 0.
    Returned in a shuffled order with the planted labels."""
    rng = np.random.default_rng(seed)
    labels = labels_from_sizes(sizes)
    f = rng.standard_normal((n, len(sizes)))
    X = np.sqrt(within) * f[:, labels] + np.sqrt(1 - within) * rng.standard_normal((n, labels.size))
    perm = rng.permutation(labels.size)
    return np.corrcoef(X[:, perm], rowvar=False), labels[perm]


@pytest.mark.parametrize("criterion", ["silhouette", "eigengap"])
def test_hierarchical_recovers_planted_partition(criterion):
    R, truth = _planted()
    found = hierarchical_communities(R, max_k=10, criterion=criterion)
    assert adjusted_rand_score(truth, found) == 1.0
    assert np.array_equal(found, canonical_labels(truth))


def test_louvain_recovers_planted_partition():
    R, truth = _planted(seed=1)
    found = louvain_communities(R, threshold=0.3, seed=0)
    assert np.array_equal(found, canonical_labels(truth))
    assert np.array_equal(found, louvain_communities(R, threshold=0.3, seed=0))  # deterministic


def test_eigengap_counts_blocks():
    R, truth = _planted(seed=2, sizes=(5, 5, 5, 5, 5))
    assert eigengap_k(R, 10) == 5


def test_canonical_labels():
    np.testing.assert_array_equal(canonical_labels(["b", "a", "b", "c", "a"]), [0, 1, 0, 2, 1])
    np.testing.assert_array_equal(canonical_labels([7, 7, 3]), [0, 0, 1])


def test_linear_cka_closed_forms():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 6))
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    assert linear_cka(X, X @ Q * 3.0 + 1.0) == pytest.approx(1.0, abs=1e-12)  # orthogonal + scale + shift
    # hand formula with explicit centering matrix
    Y = rng.standard_normal((200, 4))
    H = np.eye(200) - 1 / 200
    Kx, Ky = H @ X @ X.T @ H, H @ Y @ Y.T @ H
    hsic = lambda a, b: np.sum(a * b)  # noqa: E731
    assert linear_cka(X, Y) == pytest.approx(hsic(Kx, Ky) / np.sqrt(hsic(Kx, Kx) * hsic(Ky, Ky)), rel=1e-10)


def test_canonical_correlations_closed_form():
    """Y = [x1 + noise, independent]: the first canonical correlation is corr(x1, x1 + noise)."""
    rng = np.random.default_rng(1)
    n = 20000
    X = rng.standard_normal((n, 3))
    Y = np.column_stack([X[:, 0] + rng.standard_normal(n), rng.standard_normal(n)])
    cc = canonical_correlations(X, Y, max_components=3)
    assert cc[0] == pytest.approx(1 / np.sqrt(2), abs=0.01)
    assert cc[1] < 0.05
