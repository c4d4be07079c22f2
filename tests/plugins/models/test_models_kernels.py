"""Tanimoto and MinMax kernels: hand-computed values, a brute-force double loop, RDKit, and their properties."""

from __future__ import annotations

import numpy as np
import pytest

from molgdl.errors import DataError
from molgdl_models.kernels import ROW_BLOCK, check_kernel_input, minmax_kernel, tanimoto_kernel

from kernel_brute import brute_minmax, brute_tanimoto


def test_hand_computed_values():
    a = np.array([[1, 1, 0, 1, 0]], float)  # bits {0, 1, 3}
    b = np.array([[1, 0, 1, 1, 1]], float)  # bits {0, 2, 3, 4}: 2 shared, 5 in the union
    assert tanimoto_kernel(a, b)[0, 0] == pytest.approx(2 / 5)
    assert minmax_kernel(a, b)[0, 0] == pytest.approx(2 / 5)
    c = np.array([[2, 0, 3]], float)
    d = np.array([[1, 4, 3]], float)  # min: 1+0+3 = 4, max: 2+4+3 = 9
    assert minmax_kernel(c, d)[0, 0] == pytest.approx(4 / 9)
    # continuous Tanimoto: x.y = 11, |x|^2 = 13, |y|^2 = 26 -> 11 / 28
    assert tanimoto_kernel(c, d)[0, 0] == pytest.approx(11 / 28)


def test_against_brute_force_and_rdkit():
    from rdkit import DataStructs

    rng = np.random.default_rng(0)
    X = (rng.random((7, 40)) < 0.3).astype(float)
    Y = (rng.random((5, 40)) < 0.3).astype(float)
    Y[0] = 0.0  # an all-zero row
    C = rng.poisson(1.0, (6, 40)).astype(float)
    D = rng.poisson(1.0, (4, 40)).astype(float)
    R = rng.standard_normal((4, 9))
    np.testing.assert_allclose(tanimoto_kernel(X, Y), [[brute_tanimoto(x, y) for y in Y] for x in X], rtol=1e-12)
    np.testing.assert_allclose(minmax_kernel(X, Y), [[brute_minmax(x, y) for y in Y] for x in X], rtol=1e-12)
    np.testing.assert_allclose(minmax_kernel(C, D), [[brute_minmax(x, y) for y in D] for x in C], rtol=1e-12)
    np.testing.assert_allclose(tanimoto_kernel(R, R[::-1]), [[brute_tanimoto(x, y) for y in R[::-1]] for x in R],
                               rtol=1e-12)

    def bitvect(row):
        bv = DataStructs.ExplicitBitVect(len(row))
        bv.SetBitsFromList([int(i) for i in np.nonzero(row)[0]])
        return bv

    rdkit = [[DataStructs.TanimotoSimilarity(bitvect(x), bitvect(y)) for y in Y[1:]] for x in X]
    np.testing.assert_allclose(tanimoto_kernel(X, Y[1:]), rdkit, rtol=1e-12)


def test_minmax_equals_tanimoto_on_bits_and_edge_cases():
    rng = np.random.default_rng(1)
    X = (rng.random((20, 64)) < 0.2).astype(float)
    np.testing.assert_allclose(minmax_kernel(X, X), tanimoto_kernel(X, X), rtol=1e-12)
    zero = np.zeros((1, 64))
    assert minmax_kernel(zero, zero)[0, 0] == 1.0 and tanimoto_kernel(zero, zero)[0, 0] == 1.0
    assert minmax_kernel(zero, X[:1])[0, 0] == 0.0
    assert minmax_kernel(X[:0], X).shape == (0, 20) and tanimoto_kernel(X, X[:0]).shape == (20, 0)


def test_gram_matrices_are_symmetric_psd_with_unit_diagonal():
    rng = np.random.default_rng(2)
    C = rng.poisson(0.7, (60, 30)).astype(float)
    R = rng.standard_normal((60, 8))
    for K in (minmax_kernel(C, C), tanimoto_kernel(C, C), tanimoto_kernel(R, R)):
        np.testing.assert_allclose(K, K.T, atol=1e-12)
        np.testing.assert_allclose(np.diag(K), 1.0)
        assert np.linalg.eigvalsh(K).min() > -1e-9
    assert tanimoto_kernel(R, R).min() >= -1 / 3 - 1e-12


def test_minmax_in_row_blocks_matches_one_block():
    rng = np.random.default_rng(3)
    X = rng.poisson(1.0, (ROW_BLOCK + 7, 12)).astype(float)
    Y = rng.poisson(1.0, (9, 12)).astype(float)
    whole = np.array([[brute_minmax(x, y) for y in Y] for x in X[-10:]])
    np.testing.assert_allclose(minmax_kernel(X, Y)[-10:], whole, rtol=1e-12)


def test_input_checks():
    with pytest.raises(DataError, match=r"non-negative.*column\(s\) \[1\]"):
        check_kernel_input(np.array([[0.0, -1.0], [1.0, 2.0]]), "minmax", "svm")
    check_kernel_input(np.array([[0.0, -1.0]]), "tanimoto", "svm")  # any real values
    with pytest.raises(DataError, match="NaN"):
        check_kernel_input(np.array([[np.nan, 1.0]]), "tanimoto", "svm")
