"""Verdicts of the benchmark reports, computed from raw per-seed (or per-repeat) values.

A verdict ("A lower than B") is stated only with at least ``MIN_N`` paired values per arm and a paired test at
``ALPHA``; otherwise the report prints the numbers and ``no verdict (n < 5)``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

MIN_N, ALPHA = 5, 0.05


def mean_std(values) -> str:
    """``mean ± sample std`` (std 0 for one value), 3 decimals."""
    v = np.asarray(values, dtype=float)
    return f"{v.mean():.3f} ± {v.std(ddof=1) if len(v) > 1 else 0.0:.3f}"


def fmt_p(p: float) -> str:
    return f"{p:.2g}" if p >= 1e-300 else "< 1e-300"


def paired(a, b, lower: str = "lower", higher: str = "higher") -> str:
    """Paired t test of ``a`` against ``b`` (same seeds, same order): ``mean diff (p = ..): a <lower|higher>`` or
    ``no difference at 5 %``; ``no verdict (n < 5)`` with fewer pairs."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) != len(b):
        raise ValueError(f"paired values need equal lengths, got {len(a)} and {len(b)}")
    d = a - b
    if len(d) < MIN_N:
        return f"mean difference {d.mean():+.4g}, no verdict (n = {len(d)} < {MIN_N})"
    p = float(stats.ttest_rel(a, b).pvalue) if np.any(d != d[0]) else (0.0 if d[0] != 0 else 1.0)
    if p >= ALPHA:
        return f"mean difference {d.mean():+.4g} (paired t test p = {fmt_p(p)}, n = {len(d)}): no difference at 5 %"
    return f"mean difference {d.mean():+.4g} (paired t test p = {fmt_p(p)}, n = {len(d)}): {lower if d.mean() < 0 else higher}"


def below_threshold(values, threshold: float) -> str:
    """One-sided t tests of ``mean(values)`` against ``threshold``: ``below``/``above``/``not distinguishable``;
    ``no verdict (n < 5)`` with fewer values."""
    v = np.asarray(values, dtype=float)
    if len(v) < MIN_N:
        return f"no verdict (n = {len(v)} < {MIN_N})"
    if np.all(v == v[0]):
        return "below" if v[0] < threshold else "above" if v[0] > threshold else "not distinguishable"
    p_below = float(stats.ttest_1samp(v, threshold, alternative="less").pvalue)
    p_above = float(stats.ttest_1samp(v, threshold, alternative="greater").pvalue)
    if p_below < ALPHA:
        return f"below (one-sided t test p = {fmt_p(p_below)}, n = {len(v)})"
    if p_above < ALPHA:
        return f"above (one-sided t test p = {fmt_p(p_above)}, n = {len(v)})"
    return f"not distinguishable (n = {len(v)})"


def mcnemar(a, b) -> tuple[int, int, float]:
    """Exact McNemar test of two paired 0/1 sequences: (a-only successes, b-only successes, two-sided p)."""
    a, b = np.asarray(a, dtype=int), np.asarray(b, dtype=int)
    only_a, only_b = int(((a == 1) & (b == 0)).sum()), int(((a == 0) & (b == 1)).sum())
    n = only_a + only_b
    p = 1.0 if n == 0 else float(stats.binomtest(only_a, n, 0.5).pvalue)
    return only_a, only_b, p
