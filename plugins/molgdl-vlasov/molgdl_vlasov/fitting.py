"""Rates of the first Fourier mode of the electric field: Landau damping (rate and frequency) and
exponential growth (two-stream instability)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import curve_fit


def _window(t: np.ndarray, y: np.ndarray, t_min: float, t_max: float) -> tuple[np.ndarray, np.ndarray]:
    keep = (t >= t_min - 1e-12) & (t <= t_max + 1e-12)
    if keep.sum() < 8:
        raise ValueError(f"the fit window [{t_min}, {t_max}] holds {int(keep.sum())} logged times; "
                         "it needs 8")
    return t[keep], y[keep]


def fit_damped_oscillation(t: np.ndarray, amplitude: np.ndarray, t_min: float, t_max: float) -> dict:
    """Least-squares fit of ``a exp(gamma t) cos(omega t + phi)`` to the signed mode amplitude (standing
    wave of a cos(kx) perturbation). Returns ``rate`` (gamma), ``frequency`` (omega > 0), ``amplitude``,
    ``phase`` and the relative residual. The start values come from the peaks of |amplitude|."""
    tw, yw = _window(np.asarray(t, float), np.asarray(amplitude, float), t_min, t_max)
    peaks = [i for i in range(1, len(yw) - 1) if abs(yw[i]) >= abs(yw[i - 1]) and abs(yw[i]) > abs(yw[i + 1])]
    omega0, gamma0 = 1.0, 0.0
    if len(peaks) >= 3:
        omega0 = np.pi / np.mean(np.diff(tw[peaks]))
        gamma0 = np.polyfit(tw[peaks], np.log(np.abs(yw[peaks]) + 1e-300), 1)[0]
    a0 = float(np.max(np.abs(yw))) * np.exp(-gamma0 * tw[0])

    def model(tt, a, g, om, ph):
        return a * np.exp(g * tt) * np.cos(om * tt + ph)

    best = None
    for ph0 in np.linspace(-np.pi, np.pi, 8, endpoint=False):  # the phase start value matters
        try:
            p, _ = curve_fit(model, tw, yw, p0=[a0, gamma0, omega0, ph0], maxfev=20000)
        except RuntimeError:
            continue
        res = float(np.linalg.norm(model(tw, *p) - yw) / np.linalg.norm(yw))
        if best is None or res < best[1]:
            best = (p, res)
    if best is None:
        raise ValueError(f"the damped-oscillation fit did not converge on [{t_min}, {t_max}]")
    (a, g, om, ph), res = best
    if om < 0:
        om, ph = -om, -ph
    if a < 0:
        a, ph = -a, ph + np.pi
    return {"rate": float(g), "frequency": float(om), "amplitude": float(a),
            "phase": float(np.angle(np.exp(1j * ph))), "relative_residual": res,
            "t_min": t_min, "t_max": t_max}


def fit_exponential(t: np.ndarray, magnitude: np.ndarray, t_min: float, t_max: float) -> dict:
    """Least-squares line through ``log |E_1|`` on the window: ``rate`` and the relative residual."""
    tw, yw = _window(np.asarray(t, float), np.abs(np.asarray(magnitude, float)), t_min, t_max)
    slope, icpt = np.polyfit(tw, np.log(yw + 1e-300), 1)
    res = float(np.linalg.norm(np.exp(icpt + slope * tw) - yw) / np.linalg.norm(yw))
    return {"rate": float(slope), "amplitude": float(np.exp(icpt)), "relative_residual": res,
            "t_min": t_min, "t_max": t_max}


def fit_peaks(t: np.ndarray, magnitude: np.ndarray, t_min: float, t_max: float) -> dict:
    """Least-squares line through ``log |E_1|`` at its local maxima in the window (the usual way to read the
    damping and regrowth of nonlinear Landau damping off an oscillating mode): ``rate`` and the peak count."""
    tw, yw = _window(np.asarray(t, float), np.abs(np.asarray(magnitude, float)), t_min, t_max)
    peaks = [i for i in range(1, len(yw) - 1) if yw[i] >= yw[i - 1] and yw[i] > yw[i + 1]]
    if len(peaks) < 2:
        raise ValueError(f"the window [{t_min}, {t_max}] holds {len(peaks)} peak(s) of |E_1|; it needs 2")
    slope, icpt = np.polyfit(tw[peaks], np.log(yw[peaks]), 1)
    return {"rate": float(slope), "amplitude": float(np.exp(icpt)), "peaks": len(peaks), "t_min": t_min,
            "t_max": t_max}
