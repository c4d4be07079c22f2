"""Stacking weights against hand cases: NNLS recovers a known mixture, ignores noise, normalises to 1."""

from __future__ import annotations

import numpy as np
import pytest

from molgdl.ensemble.stacking import combine, fit_weights, nnls_weights


def test_the_member_that_is_the_target_gets_all_the_weight():
    rng = np.random.default_rng(0)
    y = rng.normal(6.0, 1.0, 200)
    noise = rng.normal(6.0, 1.0, 200)  # same scale, unrelated to y
    w = nnls_weights(np.stack([y, noise], axis=1), y)
    np.testing.assert_allclose(w, [1.0, 0.0], atol=1e-9)


def test_a_known_mixture_is_recovered_and_normalised():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=300), rng.normal(size=300)
    y = 0.3 * a + 0.7 * b
    np.testing.assert_allclose(nnls_weights(np.stack([a, b], axis=1), y), [0.3, 0.7], atol=1e-9)
    # twice the target: NNLS gives (0.6, 1.4); normalised to sum 1 it is the same average
    np.testing.assert_allclose(nnls_weights(np.stack([a, b], axis=1), 2 * y), [0.3, 0.7], atol=1e-9)


def test_an_anti_correlated_member_gets_zero_not_a_negative_weight():
    rng = np.random.default_rng(2)
    y = rng.normal(size=100)
    w = nnls_weights(np.stack([y + 0.1 * rng.normal(size=100), -y], axis=1), y)
    assert w[1] == 0.0 and w[0] == pytest.approx(1.0)


def test_rows_with_a_missing_value_are_left_out_and_no_usable_row_gives_equal_weights():
    y = np.array([1.0, 2.0, 3.0, np.nan, 5.0])
    a = np.array([1.0, 2.0, 3.0, 4.0, np.nan])
    b = np.array([0.0, 9.0, 0.0, 1.0, 5.0])
    np.testing.assert_allclose(nnls_weights(np.stack([a, b], axis=1), y), [1.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(nnls_weights(np.full((3, 2), np.nan), np.ones(3)), [0.5, 0.5])
    # every member pointing the wrong way: NNLS gives all zeros, which is replaced by equal weights
    np.testing.assert_allclose(nnls_weights(np.array([[-1.0, -2.0], [-2.0, -1.0]]), np.array([1.0, 1.0])),
                               [0.5, 0.5])


def test_weights_per_target_and_the_weighted_sum():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    y = np.stack([a[:, 0], b[:, 1]], axis=1)  # target 0 is member a's, target 1 member b's
    W = fit_weights({"a": a, "b": b}, y, "stacking")
    np.testing.assert_allclose(W, [[1.0, 0.0], [0.0, 1.0]], atol=1e-9)
    np.testing.assert_allclose(fit_weights({"a": a, "b": b}, y, "mean"), [[0.5, 0.5], [0.5, 0.5]])
    W = np.array([[0.25, 0.75], [1.0, 0.0]])
    out = combine({"a": a, "b": b}, W)
    np.testing.assert_allclose(out[:, 0], 0.25 * a[:, 0] + 0.75 * b[:, 0])
    np.testing.assert_allclose(out[:, 1], a[:, 1])
    # a member with weight 0 everywhere need not have predictions (it was not trained)
    np.testing.assert_allclose(combine({"a": a, "b": None}, np.array([[1.0, 0.0], [1.0, 0.0]])), a)
