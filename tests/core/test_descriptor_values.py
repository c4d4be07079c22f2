"""Descriptor values made float32-safe and counted; empirical-CDF scaling against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.preprocessing import QuantileTransformer

from molgdl.data.descriptor_values import FLOAT32_LIMIT, describe_missing, sanitize
from molgdl.train.descriptor_scaling import cdf_transform, fit_quantiles


def test_sanitize_sets_unsafe_values_missing_and_counts_them():
    m = np.array([[1.0, 8.5e118, np.nan], [np.inf, -2.0, 3.0], [-1e39, 3.0e38, 4.0]])
    out, missing, too_large = sanitize(m)
    expected = np.array([[1.0, np.nan, np.nan], [np.nan, -2.0, 3.0], [np.nan, 3.0e38, 4.0]])
    np.testing.assert_array_equal(out, expected)
    assert missing.tolist() == [2, 1, 1] and too_large.tolist() == [1, 1, 0]
    assert np.isfinite(out[~np.isnan(out)].astype(np.float32)).all()
    assert m[0, 1] == 8.5e118  # the input is not modified
    assert FLOAT32_LIMIT == pytest.approx(3.4028235e38)


def test_sanitize_counts_over_the_given_rows_and_can_reuse_the_matrix():
    m = np.array([[1.0, 8.5e118, np.nan], [np.inf, -2.0, 3.0], [-1e39, 3.0e38, 4.0]])
    rows = np.array([True, False, True])
    out, missing, too_large = sanitize(m, rows=rows)
    ref_out, ref_missing, ref_too_large = sanitize(m[rows])  # the counts of the selected rows alone
    np.testing.assert_array_equal(out[rows], ref_out)
    assert missing.tolist() == ref_missing.tolist() == [1, 1, 1] and too_large.tolist() == ref_too_large.tolist()
    same, _, _ = sanitize(m, inplace=True)
    assert same is m and np.isnan(m[0, 1]) and m[1, 1] == -2.0


def test_describe_missing_names_the_worst_columns():
    names = ["rdkit2d:a", "rdkit2d:Ipc", "rdkit2d:c"]
    assert describe_missing(names, np.array([0, 0, 0]), np.array([0, 0, 0]), 5) is None
    line = describe_missing(names, np.array([1, 3, 0]), np.array([0, 2, 0]), 5)
    assert line.startswith("descriptors: 4 value(s) in 2 of 3 columns over 5 molecules")
    assert line.endswith("rdkit2d:Ipc (3, 2 beyond float32), rdkit2d:a (1)")
    many = describe_missing([f"d{i}" for i in range(12)], np.ones(12, dtype=int), np.zeros(12, dtype=int), 3, show=4)
    assert many.endswith("d3 (1) and 8 more column(s)")


def _with_ties_and_gaps(rng, n):
    x = np.column_stack([
        rng.normal(size=n),                          # continuous
        rng.poisson(0.7, size=n).astype(float),      # counts: many ties, the minimum repeated
        np.exp(rng.normal(scale=8, size=n)),         # heavy tail
        np.full(n, 2.5),                             # constant
    ])
    x[rng.random(x.shape) < 0.05] = np.nan
    return x


@pytest.mark.parametrize("n_train", [37, 400])
def test_cdf_transform_matches_sklearn_quantile_transformer(n_train):
    rng = np.random.default_rng(n_train)
    train, test = _with_ties_and_gaps(rng, n_train), _with_ties_and_gaps(rng, 300)
    test[:5] = [[-50.0, 99.0, 1e30, 2.5], [50.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 3.0],
                [np.nan] * 4, [np.inf, -np.inf, np.inf, np.nan]]
    k = min(n_train, 101)
    ref = QuantileTransformer(n_quantiles=k, subsample=None).fit(train)
    q = fit_quantiles(train, n_quantiles=k)
    np.testing.assert_allclose(q, ref.quantiles_, rtol=1e-12, atol=0)
    got = cdf_transform(torch.from_numpy(test), torch.from_numpy(q)).numpy()
    finite = np.isfinite(test)
    expected = ref.transform(np.where(finite, test, np.nan))
    np.testing.assert_allclose(got[finite], expected[finite], rtol=0, atol=1e-12)
    assert (got[~finite] == 0.5).all() and got.min() >= 0 and got.max() <= 1


def test_cdf_transform_in_float32_and_an_empty_column():
    train = np.column_stack([np.arange(10.0), np.full(10, np.nan)])
    q = fit_quantiles(train, n_quantiles=11)
    assert (q[:, 1] == 0).all() and q[:, 0] == pytest.approx(np.linspace(0, 9, 11))
    x = torch.tensor([[4.5, 1.0], [9.0, np.nan]], dtype=torch.float32)
    out = cdf_transform(x, torch.from_numpy(q).float())
    assert out.dtype == torch.float32
    assert out[0, 0].item() == pytest.approx(0.5) and out[1, 0].item() == 1.0 and out[1, 1].item() == 0.5
