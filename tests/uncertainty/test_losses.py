"""The uncertainty heads' losses against hand computation and an independent density (scipy's Student t)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from molgdl.uncertainty.losses import (evidential_loss, gaussian_nll, head_loss, head_moments, nig_parameters)


def test_gaussian_nll_matches_hand_computation():
    mu, log_var, y = torch.tensor([1.0, -2.0]), torch.tensor([0.0, math.log(4.0)]), torch.tensor([3.0, -1.0])
    # 0.5 * (log var + (y - mu)^2 / var): (0 + 4) / 2 and (log 4 + 1/4) / 2
    expected = torch.tensor([2.0, 0.5 * (math.log(4.0) + 0.25)])
    assert torch.allclose(gaussian_nll(mu, log_var, y), expected)


def test_gaussian_nll_is_the_normal_density_up_to_its_constant():
    rng = np.random.default_rng(0)
    mu, sigma, y = rng.normal(size=50), rng.uniform(0.1, 3, 50), rng.normal(size=50)
    got = gaussian_nll(torch.tensor(mu), torch.tensor(np.log(sigma ** 2)), torch.tensor(y)).numpy()
    assert got == pytest.approx(-stats.norm.logpdf(y, mu, sigma) - 0.5 * math.log(2 * math.pi))


def test_evidential_nll_is_the_student_t_marginal_plus_the_regulariser():
    rng = np.random.default_rng(1)
    gamma, y = rng.normal(size=40), rng.normal(size=40)
    nu, alpha, beta = rng.uniform(0.1, 5, 40), rng.uniform(1.1, 6, 40), rng.uniform(0.1, 3, 40)
    lam = 0.3
    t = [torch.tensor(a) for a in (gamma, nu, alpha, beta)]
    got = evidential_loss(*t, torch.tensor(y), lam).numpy()
    # NIG marginal: Student t with 2 alpha degrees of freedom, location gamma, scale^2 = beta (1 + nu) / (nu alpha)
    nll = -stats.t.logpdf(y, df=2 * alpha, loc=gamma, scale=np.sqrt(beta * (1 + nu) / (nu * alpha)))
    assert got == pytest.approx(nll + lam * np.abs(y - gamma) * (2 * nu + alpha), rel=1e-6)


def test_evidential_hand_value_at_one_point():
    # gamma=0, nu=1, alpha=2, beta=1, y=1, lambda=0.5; 2 beta (1 + nu) = 4
    got = evidential_loss(*(torch.tensor([v], dtype=torch.float64) for v in (0.0, 1.0, 2.0, 1.0)),
                          torch.tensor([1.0], dtype=torch.float64), 0.5).item()
    nll = 0.5 * math.log(math.pi) - 2 * math.log(4) + 2.5 * math.log(1 + 4) + math.lgamma(2) - math.lgamma(2.5)
    assert got == pytest.approx(nll + 0.5 * 1.0 * (2 + 2))


def test_head_loss_masks_missing_targets_and_moments_follow_the_layout():
    out = torch.tensor([[0.5, 2.0, 0.1, -1.0]])  # mve, two targets: mu = [0.5, 2], log var = [0.1, -1]
    y = torch.tensor([[1.0, float("nan")]])
    per, mask = head_loss("mve", out, y)
    assert mask.tolist() == [[True, False]] and per[0, 1] == 0
    assert per[0, 0].item() == pytest.approx(0.5 * (0.1 + 0.25 * math.exp(-0.1)))
    mu, var = head_moments("mve", out, 2)
    assert mu.tolist() == [[0.5, 2.0]] and var[0].tolist() == pytest.approx([math.exp(0.1), math.exp(-1.0)])
    ev = torch.tensor([[0.3, 0.0, 0.0, 0.0]])
    g, nu, alpha, beta = nig_parameters(ev, 1)
    _, var = head_moments("evidential", ev, 1)
    assert var.item() == pytest.approx((beta / (alpha - 1) * (1 + 1 / nu)).item())
    assert alpha.item() == pytest.approx(1 + math.log(2)) and g.item() == pytest.approx(0.3)
