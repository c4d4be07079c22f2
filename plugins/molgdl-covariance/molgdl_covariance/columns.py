"""Column cleaning before a correlation analysis: drop non-finite and constant features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CleanColumns:
    """values ``[n, d_kept]``, names ``[d_kept]``; the names dropped for non-finite values or zero variance."""

    values: np.ndarray
    names: list[str]
    dropped_nonfinite: list[str]
    dropped_constant: list[str]


def clean_columns(values: np.ndarray, names: list[str], *, rel_tol: float = 1e-12) -> CleanColumns:
    """Drop columns with any NaN/inf value, then columns whose standard deviation is at most
    ``rel_tol * (1 + |mean|)`` (constant up to rounding). Shapes: values ``[n, d]``, names ``[d]``."""
    values = np.asarray(values, dtype=float)
    finite = np.all(np.isfinite(values), axis=0)
    with np.errstate(invalid="ignore"):
        std = np.where(finite, np.nanstd(np.where(np.isfinite(values), values, np.nan), axis=0), 0.0)
        mean = np.where(finite, np.nanmean(np.where(np.isfinite(values), values, np.nan), axis=0), 0.0)
    varying = finite & (std > rel_tol * (1.0 + np.abs(mean)))
    return CleanColumns(
        values=values[:, varying],
        names=[n for n, keep in zip(names, varying) if keep],
        dropped_nonfinite=[n for n, ok in zip(names, finite) if not ok],
        dropped_constant=[n for n, ok, keep in zip(names, finite, varying) if ok and not keep],
    )


def standardize(values: np.ndarray) -> np.ndarray:
    """Centre and scale every column to unit sample variance (divisor n - 1). Shapes: ``[n, d]`` -> ``[n, d]``."""
    values = np.asarray(values, dtype=float)
    return (values - values.mean(0)) / values.std(0, ddof=1)
