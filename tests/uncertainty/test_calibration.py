"""Calibrators on synthetic data with known answers: conformal coverage within binomial error, z-scaling recovers a
known scale, isotonic recalibration is monotone and fixes a wrong spread, Platt recovers a known logit scale."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from molgdl.uncertainty.calibration import (ConformalCalibrator, CVPlusCalibrator, IsotonicProbabilityCalibrator,
                                            IsotonicRegressionCalibrator, NoCalibration, PlattCalibrator, ZScaling,
                                            gaussian_z)


def _data(rng, n, true_scale=1.0):
    """Heteroscedastic data: predicted sigma, and y ~ N(mu, (true_scale sigma)^2)."""
    mu = rng.normal(size=n)
    sigma = rng.uniform(0.2, 2.0, n)
    return mu, sigma, mu + true_scale * sigma * rng.normal(size=n)


@pytest.mark.parametrize("coverage", [0.8, 0.9])
def test_split_conformal_covers_at_the_nominal_rate_within_binomial_error(coverage):
    rng = np.random.default_rng(0)
    cal = ConformalCalibrator()
    hits, n_test, reps = 0, 200, 100
    for _ in range(reps):  # exchangeable calibration and test draws, heavy-tailed errors
        mu, sigma, _ = _data(rng, 300)
        y = mu + sigma * rng.standard_t(3, 300)
        state = cal.fit(mu[:100], sigma[:100], y[:100])
        lo, hi = cal.interval(state, mu[100:], sigma[100:], coverage)
        hits += int(np.sum((y[100:] >= lo) & (y[100:] <= hi)))
    observed = hits / (n_test * reps)
    upper = coverage + 1 / 101  # split conformal: coverage in [c, c + 1/(n+1)] in expectation (Lei et al. 2018)
    # binomial error of the pooled rate, inflated for the shared calibration set of each repetition
    se = np.sqrt(coverage * (1 - coverage) / reps / 100 + coverage * (1 - coverage) / (n_test * reps))
    assert coverage - 4 * se <= observed <= upper + 4 * se


def test_conformal_quantile_is_the_ceil_n_plus_one_order_statistic():
    state = ConformalCalibrator().fit(np.zeros(9), np.ones(9), np.arange(1.0, 10.0))
    assert ConformalCalibrator.quantile(state, 0.5) == 5.0  # ceil(10 * 0.5) = 5th smallest
    assert ConformalCalibrator.quantile(state, 0.95) == float("inf")  # ceil(9.5) = 10 > 9 scores


def test_zscaling_recovers_a_known_scale():
    rng = np.random.default_rng(1)
    mu, sigma, y = _data(rng, 20000, true_scale=3.0)
    s = ZScaling().fit(mu, sigma, y)["scale"]
    # s^2 = mean(z^2) with z ~ N(0, 9): standard error of s about 3 * sqrt(2 / n) / 2
    assert s == pytest.approx(3.0, abs=4 * 3.0 * np.sqrt(2 / 20000) / 2)
    lo, hi = ZScaling().interval({"scale": s}, mu, sigma, 0.9)
    assert hi - lo == pytest.approx(2 * gaussian_z(0.9) * s * sigma)


def test_isotonic_map_is_monotone_and_corrects_a_too_narrow_spread():
    rng = np.random.default_rng(2)
    mu, sigma, y = _data(rng, 4000, true_scale=2.0)
    cal = IsotonicRegressionCalibrator()
    state = cal.fit(mu[:2000], sigma[:2000], y[:2000])
    assert np.all(np.diff(state["y"]) >= 0) and np.all(np.diff(state["x"]) >= 0)
    levels = np.linspace(0.05, 0.95, 19)
    widths = [np.mean(np.subtract(*cal.interval(state, mu, sigma, c)[::-1])) for c in levels]
    assert np.all(np.diff(widths) > 0)  # a wider nominal coverage never gives a narrower interval
    lo, hi = cal.interval(state, mu[2000:], sigma[2000:], 0.9)
    raw = np.mean(np.abs(y[2000:] - mu[2000:]) <= gaussian_z(0.9) * sigma[2000:])
    got = np.mean((y[2000:] >= lo) & (y[2000:] <= hi))
    assert raw == pytest.approx(2 * stats.norm.cdf(gaussian_z(0.9) / 2) - 1, abs=0.03)  # the miscalibrated spread
    assert got == pytest.approx(0.9, abs=0.025)


def test_platt_recovers_a_known_logit_scale_and_isotonic_probabilities_are_monotone():
    rng = np.random.default_rng(3)
    logit = rng.normal(0, 2, 20000)
    y = (rng.uniform(size=20000) < 1 / (1 + np.exp(-0.5 * logit + 0.3))).astype(float)
    p = 1 / (1 + np.exp(-logit))  # overconfident: the true logit is 0.5 * logit - 0.3
    state = PlattCalibrator().fit(p, y)
    assert state["coef"] == pytest.approx(0.5, abs=0.05) and state["intercept"] == pytest.approx(-0.3, abs=0.06)
    iso = IsotonicProbabilityCalibrator()
    st = iso.fit(p, y)
    grid = np.linspace(0, 1, 101)
    assert np.all(np.diff(iso.apply(st, grid)) >= 0)


def test_cv_plus_covers_at_the_nominal_rate_on_exchangeable_data():
    """Members = the true function plus a fold-specific offset (what a model trained without that fold learns);
    CV+ guarantees 1 - 2 alpha and covers about 1 - alpha in practice (Barber et al. 2021)."""
    rng = np.random.default_rng(4)
    cal, k, hits, total = CVPlusCalibrator(), 5, 0, 0
    for _ in range(40):
        x = rng.uniform(-2, 2, 300)
        y = np.sin(x) + 0.3 * rng.standard_t(4, 300)
        offsets = rng.normal(0, 0.1, k)
        members = np.sin(x)[None, :] + offsets[:, None]  # [K, N]
        fold_of = np.arange(200) % k
        state = cal.fit_folds(members[:, :200], fold_of, y[:200])
        lo, hi = cal.interval(state, members[:, 200:].mean(0), None, 0.9, members[:, 200:])
        hits += int(np.sum((y[200:] >= lo) & (y[200:] <= hi)))
        total += 100
    assert 0.9 - 4 * np.sqrt(0.09 / total) - 0.02 <= hits / total <= 0.9 + 4 * np.sqrt(0.09 / total) + 0.02


def test_no_calibration_is_the_identity_for_both_tasks():
    cal = NoCalibration()
    p = np.array([0.1, 0.7])
    assert np.array_equal(cal.apply(cal.fit(p, np.array([0, 1])), p), p)
    lo, hi = cal.interval(cal.fit(p, p, p), np.zeros(2), np.ones(2), 0.9)
    assert np.allclose(hi, gaussian_z(0.9)) and np.allclose(lo, -gaussian_z(0.9))


def test_isotonic_recovers_coverage_even_when_the_spread_is_a_hundred_times_too_small():
    rng = np.random.default_rng(5)
    mu, sigma, y = _data(rng, 4000, true_scale=100.0)
    cal = IsotonicRegressionCalibrator()
    state = cal.fit(mu[:2000], sigma[:2000], y[:2000])
    lo, hi = cal.interval(state, mu[2000:], sigma[2000:], 0.9)
    assert np.mean((y[2000:] >= lo) & (y[2000:] <= hi)) == pytest.approx(0.9, abs=0.025)
