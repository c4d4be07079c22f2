r"""Permutation Shapley values of a model on a feature vector (descriptors, fingerprints), plain numpy.

For a molecule :math:`x` and a background vector :math:`b`, the interventional Shapley value of feature
:math:`j` is the mean over feature orders :math:`\pi` of the change in :math:`f` when :math:`j` is switched
from :math:`b_j` to :math:`x_j` after the features before it in :math:`\pi` (Štrumbelj & Kononenko 2014; the
"permutation" explainer of the shap package). Features with :math:`x_j = b_j` contribute nothing and are left
out of the orders, so a sparse fingerprint needs only ``|{j: x_j != b_j}| + 1`` evaluations per order. Each
order is paired with its reverse (antithetic sampling). Averaged over background vectors :math:`b_1..b_B`:

.. math::
    \phi_j = \frac{1}{B} \sum_b \frac{1}{P} \sum_\pi [f(x_{S_\pi(j) \cup j}, b) - f(x_{S_\pi(j)}, b)],
    \qquad \sum_j \phi_j = f(x) - \frac{1}{B}\sum_b f(b) \text{ exactly (efficiency)}.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def _path_rows(x: np.ndarray, b: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``[k+1, D]``: row ``i`` is ``b`` with the first ``i`` features of ``order`` taken from ``x``."""
    k = len(order)
    rows = np.repeat(b[None, :], k + 1, axis=0)
    take = np.tri(k + 1, k, -1, dtype=bool)  # row i: columns 0..i-1
    rows[:, order] = np.where(take, x[order][None, :], b[order][None, :])
    return rows


def permutation_shap(predict: Callable[[np.ndarray], np.ndarray], x: np.ndarray, background: np.ndarray,
                     permutations: int = 10, rng: np.random.Generator | None = None,
                     max_rows: int = 4096) -> tuple[np.ndarray, float, float]:
    """Shapley values of ``predict`` at ``x`` against ``background``.

    ``predict``: ``[R, D] -> [R]``; ``permutations``: orders per background vector (rounded up to an even
    number: each order and its reverse). Returns ``(phi [D], f(x), mean f(background))``.

    Shapes:
        - **x:** :math:`(D)`; **background:** :math:`(B, D)`; **phi:** :math:`(D)`
    """
    rng = np.random.default_rng(0) if rng is None else rng
    x = np.asarray(x, dtype=np.float64)
    background = np.atleast_2d(np.asarray(background, dtype=np.float64))
    pairs = max(1, (permutations + 1) // 2)
    phi = np.zeros_like(x)
    paths: list[tuple[np.ndarray, np.ndarray]] = []  # (order, rows)
    n_paths = 0
    fx = float(predict(x[None, :])[0])
    fb = predict(background).astype(np.float64)
    pending_rows = 0

    def flush() -> None:
        nonlocal paths, pending_rows
        if not paths:
            return
        values = predict(np.concatenate([rows for _, rows in paths]))
        start = 0
        for order, rows in paths:
            v = values[start: start + len(rows)]
            phi[order] += np.diff(v)
            start += len(rows)
        paths, pending_rows = [], 0

    for b in background:
        diff = np.flatnonzero(x != b)
        if len(diff) == 0:
            n_paths += 2 * pairs
            continue
        for _ in range(pairs):
            order = rng.permutation(diff)
            for o in (order, order[::-1]):
                rows = _path_rows(x, b, o)
                paths.append((o, rows))
                pending_rows += len(rows)
                n_paths += 1
                if pending_rows >= max_rows:
                    flush()
    flush()
    phi /= max(n_paths, 1)
    return phi, fx, float(fb.mean())
