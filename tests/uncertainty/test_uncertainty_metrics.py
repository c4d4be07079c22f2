"""Uncertainty metrics against closed forms for Gaussian data with a known miscalibration."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from molgdl.uncertainty.metrics import LEVELS, ence, gaussian_nll, miscalibration_area, spearman


def _gauss(mu, sigma):
    return lambda c: (mu - stats.norm.ppf(0.5 + c / 2) * sigma, mu + stats.norm.ppf(0.5 + c / 2) * sigma)


def test_miscalibration_area_of_a_spread_too_small_by_k_matches_the_closed_form():
    rng = np.random.default_rng(0)
    n, k = 40000, 2.0
    mu, sigma = np.zeros(n), np.ones(n)
    y = k * rng.normal(size=n)
    # observed coverage of the nominal-p interval: 2 Phi(z_p / k) - 1
    expected = np.mean(np.abs(2 * stats.norm.cdf(stats.norm.ppf(0.5 + LEVELS / 2) / k) - 1 - LEVELS))
    assert miscalibration_area(y, _gauss(mu, sigma)) == pytest.approx(expected, abs=0.01)
    assert miscalibration_area(y, _gauss(mu, k * sigma)) < 0.01


def test_ence_and_nll_of_calibrated_and_miscalibrated_spreads():
    rng = np.random.default_rng(1)
    sigma = rng.uniform(0.5, 3.0, 50000)
    y = sigma * rng.normal(size=50000)
    mu = np.zeros_like(y)
    assert ence(y, mu, sigma) < 0.03
    assert ence(y, mu, 2 * sigma) == pytest.approx(0.5, abs=0.03)  # |2s - s| / 2s in every bin
    # E[NLL] = 0.5 log(2 pi) + E[log sigma] + 0.5 for a calibrated Gaussian
    assert gaussian_nll(y, mu, sigma) == pytest.approx(0.5 * np.log(2 * np.pi) + np.mean(np.log(sigma)) + 0.5,
                                                       abs=0.02)
    assert spearman(y, mu, sigma) > 0.2 and abs(spearman(y, mu, rng.permutation(sigma))) < 0.03


def test_ence_takes_the_limit_for_an_infinite_predicted_variance():
    """An evidential head can return an infinite variance for a molecule (chemprop's did on CHEMBL228_Ki): that
    bin's term |RMV - RMSE| / RMV tends to 1, and the other bins' terms are unchanged."""
    rng = np.random.default_rng(2)
    sigma = rng.uniform(0.5, 2.0, 100)
    y = sigma * rng.normal(size=100)
    mu = np.zeros(100)
    top = np.argsort(sigma)[-10:]  # the last of 10 equal-count bins
    rmv, rmse = np.sqrt(np.mean(sigma[top] ** 2)), np.sqrt(np.mean(y[top] ** 2))
    sigma_inf = sigma.copy()
    sigma_inf[np.argmax(sigma)] = np.inf  # still the largest: the bins do not change
    got = ence(y, mu, sigma_inf, bins=10)
    assert got == pytest.approx(ence(y, mu, sigma, bins=10) + (1.0 - abs(rmv - rmse) / rmv) / 10, abs=1e-12)
