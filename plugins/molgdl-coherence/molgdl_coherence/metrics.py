r"""Coherence of per-example gradients (Chatterjee & Zielinski, arXiv:2203.10036, and arXiv:2008.01217).

For ``m`` per-example gradients :math:`g_i`:

.. math::
    m\alpha_m = \frac{\|\sum_i g_i\|^2}{\sum_i \|g_i\|^2} \in [0, m] \qquad
    \hat\alpha = \frac{\|\sum_i g_i\|^2 - \sum_i \|g_i\|^2}{(m - 1) \sum_i \|g_i\|^2}

m-coherence :math:`m\alpha_m` is ``m`` for identical gradients, 1 for pairwise orthogonal ones, 0 when they
cancel; read it as the number of sample examples (itself included) that a small step along one example's
gradient helps. :math:`\hat\alpha` estimates the population coherence :math:`\alpha = \|E g\|^2 / E\|g\|^2`
from the off-diagonal pairs only (0 for orthogonal gradients, can be slightly negative).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def coherence_from_sums(sum_sq_of_sum: float, sum_of_sq: float, m: int) -> dict[str, float]:
    """m-coherence, alpha_m and the unbiased estimate from ``|sum g|^2``, ``sum |g|^2`` and ``m``.

    NaN where undefined (all gradients zero, or m < 2 for the unbiased estimate)."""
    if sum_of_sq <= 0 or m < 1:
        return {"m_coherence": math.nan, "alpha": math.nan, "alpha_unbiased": math.nan}
    mc = sum_sq_of_sum / sum_of_sq
    unbiased = (sum_sq_of_sum - sum_of_sq) / ((m - 1) * sum_of_sq) if m > 1 else math.nan
    return {"m_coherence": mc, "alpha": mc / m, "alpha_unbiased": unbiased}


def coherence(g: Tensor) -> dict[str, float]:
    """Coherence of per-example gradients ``g``: ``[m, d]`` (or ``[m, *shape]``)."""
    g = g.reshape(g.shape[0], -1).double()
    return coherence_from_sums(float(g.sum(0).pow(2).sum()), float(g.pow(2).sum()), g.shape[0])


class CoherenceAccumulator:
    """Accumulates ``sum_i g_i`` and ``sum_i |g_i|^2`` per parameter over chunks of examples (O(d) memory),
    then reports coherence for named groups of parameters (float64 sums)."""

    def __init__(self) -> None:
        self.sum_g: dict[str, Tensor] = {}
        self.sq: dict[str, float] = {}
        self.m = 0

    def add(self, sum_g: dict[str, Tensor], sq: dict[str, Tensor], count: int) -> None:
        """``sum_g[name]``: sum of the chunk's gradients; ``sq[name]``: ``[count]`` squared norms."""
        for n, v in sum_g.items():
            v = v.detach().double()
            self.sum_g[n] = self.sum_g[n] + v if n in self.sum_g else v.clone()
            self.sq[n] = self.sq.get(n, 0.0) + float(sq[n].double().sum())
        self.m += count

    def result(self, groups: dict[str, list[str]]) -> dict[str, dict[str, float]]:
        """``{group: {m_coherence, alpha, alpha_unbiased, grad_sq_mean}}``."""
        out = {}
        for gname, names in groups.items():
            ss = sum(float(self.sum_g[n].pow(2).sum()) for n in names if n in self.sum_g)
            sq = sum(self.sq.get(n, 0.0) for n in names)
            out[gname] = {**coherence_from_sums(ss, sq, self.m), "grad_sq_mean": sq / max(self.m, 1)}
        return out
