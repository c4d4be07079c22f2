"""Horizon-1 soft policy and the top-k / top-p / typical / plausibility action sets against hand computations."""

from __future__ import annotations

import math

import pytest
import torch

from molgdl_generate.decoding.policy import DecoderPolicy
from molgdl_generate.decoding.supports import (plausibility_support, top_k_support, top_p_support,
                                               typical_support)

PROBS = torch.tensor([[0.05, 0.5, 0.1, 0.2, 0.15]])  # sorted: 1 (.5), 3 (.2), 4 (.15), 2 (.1), 0 (.05)


def kept(mask):
    return sorted(torch.nonzero(mask[0]).flatten().tolist())


@pytest.mark.parametrize("tau", [0.3, 1.0, 2.5])
def test_horizon1_soft_policy_is_softmax_of_logits_over_tau(tau):
    logits = torch.randn(3, 7, generator=torch.Generator().manual_seed(0)) * 3 + 1.0
    logp = torch.log_softmax(logits, -1)
    got = DecoderPolicy(tau=tau).log_policy(logp).exp()
    assert torch.allclose(got, torch.softmax(logits / tau, -1), atol=1e-6)


def test_top_k_by_hand():
    logp = PROBS.log()
    assert kept(top_k_support(logp, 1)) == [1]
    assert kept(top_k_support(logp, 3)) == [1, 3, 4]
    assert kept(top_k_support(logp, 10)) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("p, expected", [(0.5, [1]), (0.6, [1, 3]), (0.7, [1, 3]), (0.71, [1, 3, 4]),
                                         (0.9, [1, 2, 3, 4]), (1.0, [0, 1, 2, 3, 4]), (0.01, [1])])
def test_top_p_by_hand(p, expected):
    # the smallest most-probable set with mass >= p: .5 | .7 | .85 | .95 | 1.0
    assert kept(top_p_support(PROBS.log(), p)) == expected


def test_typical_by_hand():
    p = PROBS[0]
    entropy = float(-(p * p.log()).sum())
    shift = {i: abs(-math.log(float(p[i])) - entropy) for i in range(5)}
    order = sorted(shift, key=shift.get)
    for mass in (0.1, 0.3, 0.5, 0.8, 0.9, 0.99):  # away from the cumulative masses .2 .35 .85 .95
        expected, total = [], 0.0
        for i in order:  # add tokens by typicality until the mass is reached
            expected.append(i)
            total += float(p[i])
            if total >= mass:
                break
        assert kept(typical_support(PROBS.log(), mass)) == sorted(expected), mass


def test_plausibility_head_by_hand():
    assert kept(plausibility_support(PROBS.log(), 0.35)) == [1, 3]  # p >= 0.175
    assert kept(plausibility_support(PROBS.log(), 0.0)) == [0, 1, 2, 3, 4]


def test_support_restricts_the_soft_policy_and_renormalises():
    from functools import partial

    logp = PROBS.log()
    pi = DecoderPolicy(tau=1.0, support=partial(top_k_support, k=2)).log_policy(logp).exp()[0]
    assert torch.allclose(pi, torch.tensor([0.0, 0.5 / 0.7, 0.0, 0.2 / 0.7, 0.0]), atol=1e-6)
