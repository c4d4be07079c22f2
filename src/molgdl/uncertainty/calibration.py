"""Calibrators fitted on the validation split, stored as JSON-able state (no pickles) in the run folder.

Regression calibrators map a mean ``mu [N]``, a spread ``sigma [N]`` (target units) and a coverage ``c`` to an
interval ``[lower, upper]``; the calibrated uncertainty is that interval's half-width divided by ``z_{(1+c)/2}``
(the standard deviation of a Gaussian with the same central interval). Classification calibrators map
probabilities to probabilities.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy import stats

TINY = 1e-12


def gaussian_z(coverage: float) -> float:
    """Half-width of the central ``coverage`` interval of a standard normal."""
    return float(stats.norm.ppf(0.5 + coverage / 2.0))


class RegressionCalibrator:
    name: ClassVar[str] = "none"
    task: ClassVar[str] = "regression"

    def fit(self, mu: np.ndarray, sigma: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        return {}

    #: whether ``interval`` needs each ensemble member's mean (``members: [K, N]``) and ``fit_folds`` is used
    needs_members: ClassVar[bool] = False

    def interval(self, state: dict[str, Any], mu: np.ndarray, sigma: np.ndarray, coverage: float,
                 members: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        half = gaussian_z(coverage) * sigma
        return mu - half, mu + half

    def uncertainty(self, state: dict[str, Any], mu: np.ndarray, sigma: np.ndarray, coverage: float,
                    members: np.ndarray | None = None) -> np.ndarray:
        lower, upper = self.interval(state, mu, sigma, coverage, members)
        return (upper - lower) / (2.0 * gaussian_z(coverage))


class ZScaling(RegressionCalibrator):
    """Variance scaling (Levi et al. 2019): ``sigma' = s sigma`` with ``s^2 = mean(r^2 / sigma^2)`` on validation."""

    name = "zscaling"

    def fit(self, mu, sigma, y):
        r2 = (y - mu) ** 2 / np.maximum(sigma, TINY) ** 2
        return {"scale": float(np.sqrt(np.mean(r2)))}

    def interval(self, state, mu, sigma, coverage, members=None):
        return super().interval(state, mu, state["scale"] * sigma, coverage)


class IsotonicRegressionCalibrator(RegressionCalibrator):
    """Recalibration of the predictive CDF (Kuleshov et al. 2018): an isotonic map from the Gaussian CDF level
    ``p = Phi((y - mu) / (s sigma))`` to the observed frequency of levels ``<= p`` on the validation split. The
    spread is z-scaled first (``s``, as :class:`ZScaling`): a spread far too small would otherwise put every level
    at 0 or 1, where no map of levels can widen the intervals enough."""

    name = "isotonic"

    def fit(self, mu, sigma, y):
        from sklearn.isotonic import IsotonicRegression

        scale = ZScaling().fit(mu, sigma, y)["scale"]
        p = np.sort(stats.norm.cdf((y - mu) / np.maximum(scale * sigma, TINY)))
        observed = np.arange(1, len(p) + 1) / len(p)
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
        iso.fit(np.concatenate([[0.0], p, [1.0]]), np.concatenate([[0.0], observed, [1.0]]))
        return {"scale": scale, "x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()}

    @staticmethod
    def level(state: dict[str, Any], target: float) -> float:
        """The raw CDF level whose calibrated frequency is ``target`` (inverse of the isotonic map)."""
        x, y = np.asarray(state["x"]), np.asarray(state["y"])
        y = y + np.arange(len(y)) * 1e-12  # strictly increasing for the inverse on flat steps
        return float(np.clip(np.interp(target, y, x), 1e-9, 1 - 1e-9))

    def interval(self, state, mu, sigma, coverage, members=None):
        lo = stats.norm.ppf(self.level(state, 0.5 - coverage / 2.0))
        hi = stats.norm.ppf(self.level(state, 0.5 + coverage / 2.0))
        scaled = state.get("scale", 1.0) * sigma
        return mu + lo * scaled, mu + hi * scaled


class ConformalCalibrator(RegressionCalibrator):
    """Split conformal prediction with normalised scores ``|y - mu| / sigma`` (Lei et al. 2018; Papadopoulos
    2008): interval ``mu +/- q sigma``, ``q`` the ``ceil((n + 1) c)``-th smallest validation score."""

    name = "conformal"

    def fit(self, mu, sigma, y):
        return {"scores": np.sort(np.abs(y - mu) / np.maximum(sigma, TINY)).tolist()}

    @staticmethod
    def quantile(state: dict[str, Any], coverage: float) -> float:
        scores = state["scores"]
        k = int(np.ceil((len(scores) + 1) * coverage))
        return float("inf") if k > len(scores) else float(scores[k - 1])

    def interval(self, state, mu, sigma, coverage, members=None):
        half = self.quantile(state, coverage) * np.maximum(sigma, TINY)
        return mu - half, mu + half


class CVPlusCalibrator(RegressionCalibrator):
    """CV+ intervals (Barber et al. 2021) from an ensemble trained on K folds of the training split
    (``ensemble: {cv_folds: true}``): residuals ``R_i = |y_i - mu_{-k(i)}(x_i)|`` of each training molecule under
    the member that left its fold out; the interval at ``x`` runs from the ``floor(alpha (n + 1))``-th smallest
    ``mu_{-k(i)}(x) - R_i`` to the ``ceil((1 - alpha)(n + 1))``-th smallest ``mu_{-k(i)}(x) + R_i``."""

    name = "cv_plus"
    needs_members = True

    def fit_folds(self, member_means: np.ndarray, fold_of: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        """``member_means: [K, n]`` every member's mean of the n training molecules, ``fold_of: [n]`` the member
        that left each one out, ``y: [n]``."""
        residual = np.abs(y - member_means[fold_of, np.arange(len(y))])
        return {"member": fold_of.astype(int).tolist(), "residual": residual.tolist()}

    def interval(self, state, mu, sigma, coverage, members=None):
        if members is None:
            raise ValueError("cv_plus needs each member's predictions")
        k, r = np.asarray(state["member"]), np.asarray(state["residual"])
        n, alpha = len(r), 1.0 - coverage
        low_rank, high_rank = int(np.floor(alpha * (n + 1))), int(np.ceil((1 - alpha) * (n + 1)))
        centres = members[k]  # [n, N]: the prediction at x of the member that left molecule i out
        lower = np.full(members.shape[1], -np.inf)
        upper = np.full(members.shape[1], np.inf)
        if low_rank >= 1:
            lower = np.partition(centres - r[:, None], low_rank - 1, axis=0)[low_rank - 1]
        if high_rank <= n:
            upper = np.partition(centres + r[:, None], high_rank - 1, axis=0)[high_rank - 1]
        return lower, upper


class ProbabilityCalibrator:
    name: ClassVar[str] = "none"
    task: ClassVar[str] = "classification"
    needs_members: ClassVar[bool] = False

    def fit(self, p: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        return {}

    def apply(self, state: dict[str, Any], p: np.ndarray) -> np.ndarray:
        return p


class PlattCalibrator(ProbabilityCalibrator):
    """Platt scaling: a logistic regression on the logit of the predicted probability (Platt 1999)."""

    name = "platt"

    def fit(self, p, y):
        from sklearn.linear_model import LogisticRegression

        if len(np.unique(y)) < 2:
            return {"coef": 1.0, "intercept": 0.0}
        lr = LogisticRegression(C=1e6).fit(_logit(p)[:, None], y.astype(int))
        return {"coef": float(lr.coef_[0, 0]), "intercept": float(lr.intercept_[0])}

    def apply(self, state, p):
        return 1.0 / (1.0 + np.exp(-(state["coef"] * _logit(p) + state["intercept"])))


class IsotonicProbabilityCalibrator(ProbabilityCalibrator):
    """Isotonic regression of the label on the predicted probability (Zadrozny & Elkan 2002)."""

    name = "isotonic_probability"

    def fit(self, p, y):
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
        return {"x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()}

    def apply(self, state, p):
        return np.interp(p, state["x"], state["y"])


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


class NoCalibration(RegressionCalibrator):
    """The estimator's own spread (regression: Gaussian intervals ``mu +/- z sigma``) or probabilities."""

    name = "none"
    task = "any"

    def fit(self, *arrays: np.ndarray) -> dict[str, Any]:  # (mu, sigma, y) for regression, (p, y) for classification
        return {}

    def apply(self, state: dict[str, Any], p: np.ndarray) -> np.ndarray:
        return p
