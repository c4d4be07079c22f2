"""m-coherence and the unbiased estimate against hand-computed cases (methods.md section 4, tests 1)."""

from __future__ import annotations

import math

import pytest
import torch

from molgdl_coherence.metrics import CoherenceAccumulator, coherence


def test_identical_gradients_give_m():
    g = torch.randn(7).repeat(5, 1)
    r = coherence(g)
    assert r["m_coherence"] == pytest.approx(5.0, rel=1e-12)
    assert r["alpha"] == pytest.approx(1.0, rel=1e-12)
    assert r["alpha_unbiased"] == pytest.approx(1.0, rel=1e-12)


def test_orthonormal_gradients_give_one():
    q, _ = torch.linalg.qr(torch.randn(10, 10, dtype=torch.float64))
    r = coherence(q[:6])  # six orthonormal rows
    assert r["m_coherence"] == pytest.approx(1.0, abs=1e-12)
    assert r["alpha_unbiased"] == pytest.approx(0.0, abs=1e-12)


def test_opposite_gradients_give_zero():
    g = torch.randn(4)
    r = coherence(torch.stack([g, -g]))
    assert r["m_coherence"] == pytest.approx(0.0, abs=1e-12)
    assert r["alpha_unbiased"] == pytest.approx(-1.0, abs=1e-12)  # the off-diagonal pair is anti-aligned


def test_hand_computed_case():
    # g1 = (1, 0), g2 = (1, 1): |sum|^2 = 4 + 1 = 5, sum |g|^2 = 1 + 2 = 3
    r = coherence(torch.tensor([[1.0, 0.0], [1.0, 1.0]]))
    assert r["m_coherence"] == pytest.approx(5 / 3)
    assert r["alpha_unbiased"] == pytest.approx((5 - 3) / (1 * 3))


def test_all_zero_gradients_are_nan():
    assert math.isnan(coherence(torch.zeros(3, 2))["m_coherence"])


def test_accumulator_over_chunks_and_groups_equals_direct():
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(9, 3, generator=gen, dtype=torch.float64) + 1
    b = torch.randn(9, 2, 2, generator=gen, dtype=torch.float64)
    acc = CoherenceAccumulator()
    for s in (slice(0, 4), slice(4, 9)):
        acc.add({"a": a[s].sum(0), "b": b[s].sum(0)},
                {"a": a[s].pow(2).sum(1), "b": b[s].reshape(-1, 4).pow(2).sum(1)}, a[s].shape[0])
    res = acc.result({"all": ["a", "b"], "a": ["a"]})
    both = torch.cat([a, b.reshape(9, 4)], 1)
    assert res["all"]["m_coherence"] == pytest.approx(coherence(both)["m_coherence"], rel=1e-10)
    assert res["a"]["m_coherence"] == pytest.approx(coherence(a)["m_coherence"], rel=1e-10)
    assert res["all"]["grad_sq_mean"] == pytest.approx(float(both.double().pow(2).sum()) / 9, rel=1e-10)
