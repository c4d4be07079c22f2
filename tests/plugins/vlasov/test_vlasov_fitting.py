"""Rate fits of molgdl-vlasov recover the parameters of synthetic signals."""

from __future__ import annotations

import numpy as np
import pytest

from molgdl_vlasov.fitting import fit_damped_oscillation, fit_exponential, fit_peaks

T = np.arange(0, 30.0001, 0.1)


def test_damped_oscillation_recovers_rate_frequency_and_phase():
    y = 0.02 * np.exp(-0.1534 * T) * np.cos(1.4157 * T - 0.5)
    fit = fit_damped_oscillation(T, y, 2.0, 30.0)
    assert fit["rate"] == pytest.approx(-0.1534, abs=1e-6)
    assert fit["frequency"] == pytest.approx(1.4157, abs=1e-6)
    assert fit["phase"] == pytest.approx(-0.5, abs=1e-5) and fit["relative_residual"] < 1e-6


def test_peaks_and_exponential_fits():
    y = np.exp(0.08 * T) * np.abs(np.cos(1.2 * T))
    assert fit_peaks(T, y, 5.0, 30.0)["rate"] == pytest.approx(0.08, abs=2e-3)
    assert fit_exponential(T, 3e-6 * np.exp(0.2845 * T), 10.0, 30.0)["rate"] == pytest.approx(0.2845, abs=1e-9)
    with pytest.raises(ValueError, match="holds 1 peak"):
        fit_peaks(T, y, 5.0, 6.0)
