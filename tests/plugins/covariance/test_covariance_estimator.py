"""Uniform-block estimator: closed-form inverse vs numpy, unbiasedness and standard errors by Monte Carlo,
the O(npK) data path vs block averages of np.cov, the hard-thresholded variant."""

from __future__ import annotations

import numpy as np
import pytest

from molgdl_covariance import (
    UBMatrix,
    block_partial_correlation,
    block_standard_errors,
    corrected_precision,
    hard_threshold,
    labels_from_sizes,
    partial_correlation,
    plugin_precision,
    sample_gaussian,
    scenario1,
    threshold_cv,
    ub_estimate,
    ub_from_covariance,
    ub_frobenius,
    ub_inverse,
    wald_interval,
)

# a small, well-conditioned model: K = 3, p = (5, 6, 7)
SMALL = UBMatrix(a=np.array([1.0, 0.5, 2.0]),
                 b=np.array([[0.8, 0.3, -0.2], [0.3, 1.2, 0.1], [-0.2, 0.1, 0.6]]),
                 sizes=np.array([5, 6, 7]))


def _mc(sigma: UBMatrix, n: int, reps: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = labels_from_sizes(sigma.sizes)
    return [ub_estimate(sample_gaussian(sigma, n, rng), labels) for _ in range(reps)]


@pytest.mark.parametrize("sigma", [SMALL, scenario1(30)], ids=["small", "scenario1"])
def test_closed_form_inverse_equals_numerical_inverse(sigma):
    dense_inv = np.linalg.inv(sigma.dense())
    closed = ub_inverse(sigma).dense()
    assert np.linalg.norm(closed - dense_inv) / np.linalg.norm(dense_inv) < 1e-10
    # the structure is closed under inversion: the inverse of the inverse is the original
    back = ub_inverse(ub_inverse(sigma))
    np.testing.assert_allclose(back.dense(), sigma.dense(), rtol=1e-9, atol=1e-9)


def test_closed_form_inverse_with_unordered_labels():
    rng = np.random.default_rng(3)
    labels = rng.permutation(labels_from_sizes(SMALL.sizes))
    dense = SMALL.dense(labels)
    np.testing.assert_allclose(ub_inverse(SMALL).dense(labels) @ dense, np.eye(labels.size), atol=1e-10)


def test_eigenvalues_without_the_dense_matrix():
    np.testing.assert_allclose(SMALL.eigenvalues(), np.linalg.eigvalsh(SMALL.dense()), rtol=1e-10)
    assert SMALL.is_positive_definite()
    assert not UBMatrix(SMALL.a, SMALL.b - 2 * np.eye(3), SMALL.sizes).is_positive_definite()


def test_data_path_equals_block_averages_of_sample_covariance():
    rng = np.random.default_rng(1)
    labels = rng.permutation(labels_from_sizes([4, 1, 6]))  # unordered, with a singleton
    X = rng.standard_normal((30, labels.size)) @ rng.standard_normal((labels.size, labels.size))
    S = np.cov(X, rowvar=False)
    fast, slow = ub_estimate(X, labels), ub_from_covariance(S, labels)
    np.testing.assert_allclose(fast.a, slow.a, rtol=1e-12)
    np.testing.assert_allclose(fast.b, slow.b, rtol=1e-12, atol=1e-12)
    # hand-computed block averages
    i0, i2 = np.flatnonzero(labels == 0), np.flatnonzero(labels == 2)
    blk = S[np.ix_(i0, i0)]
    b00 = (blk.sum() - np.trace(blk)) / (4 * 3)
    assert fast.b[0, 0] == pytest.approx(b00, rel=1e-12)
    assert fast.a[0] == pytest.approx(np.trace(blk) / 4 - b00, rel=1e-12)
    assert fast.b[0, 2] == pytest.approx(S[np.ix_(i0, i2)].mean(), rel=1e-12)
    assert fast.a[1] == pytest.approx(S[labels == 1][:, labels == 1].item()) and fast.b[1, 1] == 0.0
    assert ub_frobenius(fast, slow) < 1e-10


def test_block_parameters_are_unbiased_and_standard_errors_match_mc_spread():
    """Means within 3 Monte Carlo SEs of the truth; asymptotic SEs within 15% of the MC SD at n = 100."""
    reps, n = 4000, 100
    ests = _mc(SMALL, n, reps)
    a = np.stack([e.a for e in ests])
    b = np.stack([e.b for e in ests])
    mc_se_a, mc_se_b = a.std(0, ddof=1) / np.sqrt(reps), b.std(0, ddof=1) / np.sqrt(reps)
    assert np.all(np.abs(a.mean(0) - SMALL.a) < 3 * mc_se_a), (a.mean(0), SMALL.a)
    assert np.all(np.abs(b.mean(0) - SMALL.b) < 3 * mc_se_b), (b.mean(0), SMALL.b)
    se = block_standard_errors(SMALL, n - 1)
    np.testing.assert_allclose(se.a, a.std(0, ddof=1), rtol=0.15)
    np.testing.assert_allclose(se.b, b.std(0, ddof=1), rtol=0.15)
    # plug-in SEs give Wald intervals with about nominal coverage
    covered = []
    for e in ests[:1000]:
        lo, hi = wald_interval(e.a, block_standard_errors(e, n - 1).a)
        covered.append((lo <= SMALL.a) & (SMALL.a <= hi))
    assert np.all(np.abs(np.mean(covered, 0) - 0.95) < 0.03)


def test_corrected_precision_is_unbiased_and_plugin_is_not():
    """Small n, where the plug-in inverse is visibly biased (methods.md: 3.3% vs 0.2%)."""
    n, reps = 20, 6000
    ests = _mc(SMALL, n, reps, seed=7)
    truth = ub_inverse(SMALL).dense()
    plug = np.mean([plugin_precision(e).dense() for e in ests], 0)
    corr_all = np.stack([corrected_precision(e, n - 1).dense() for e in ests])
    corr = corr_all.mean(0)
    rel = lambda m: np.linalg.norm(m - truth) / np.linalg.norm(truth)  # noqa: E731
    mc_se = corr_all.std(0, ddof=1) / np.sqrt(reps)
    assert rel(plug) > 0.02
    assert rel(corr) < 0.01
    assert np.mean(np.abs(corr - truth) < 3 * mc_se) > 0.97
    with pytest.raises(ValueError, match="bias correction needs"):
        corrected_precision(ests[0], 3)


def test_block_partial_correlation_matches_dense():
    labels = labels_from_sizes(SMALL.sizes)
    omega = ub_inverse(SMALL)
    dense = partial_correlation(omega.dense())
    blocks = block_partial_correlation(omega)
    i, j = 0, 1  # two features of block 0
    assert blocks[0, 0] == pytest.approx(dense[i, j], rel=1e-12)
    k = np.flatnonzero(labels == 2)[0]
    assert blocks[0, 2] == pytest.approx(dense[i, k], rel=1e-12)


def test_hard_threshold_and_cv_on_many_communities():
    """K = 30 communities with a sparse B: CV picks a positive threshold and beats the raw estimate."""
    rng = np.random.default_rng(5)
    K, pk = 30, 10
    b = np.eye(K) * 1.0
    for k in range(0, K - 1, 2):
        b[k, k + 1] = b[k + 1, k] = 0.6
    sigma = UBMatrix(a=np.full(K, 0.5), b=b, sizes=np.full(K, pk))
    X = sample_gaussian(sigma, 30, rng)
    labels = labels_from_sizes(sigma.sizes)
    fit = threshold_cv(X, labels, n_splits=10, seed=0)
    raw = ub_estimate(X, labels)
    assert fit.threshold > 0
    assert ub_frobenius(fit.estimate, sigma) < ub_frobenius(raw, sigma)
    kept = hard_threshold(raw, fit.threshold)
    np.testing.assert_array_equal(np.diag(kept.b), np.diag(raw.b))
    off = ~np.eye(K, dtype=bool)
    assert np.all((kept.b[off] == 0) | (np.abs(raw.b[off]) >= fit.threshold))
