"""The uniform-block matrix ``A o I(p) + B o J(p)`` (block Hadamard form; Yang, Chen & Chen, arXiv:2302.01861).

Within community k: ``a_k I + b_kk J`` (variance ``a_k + b_kk``, covariance ``b_kk``); between communities
k != l: the constant ``b_kl``. ``A = diag(a)`` is ``[K]``, ``B`` is symmetric ``[K, K]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class UBMatrix:
    """Parameters of a uniform-block matrix.

    a: ``[K]`` diagonal-only part; b: ``[K, K]`` symmetric block constants; sizes: ``[K]`` community sizes p_k.
    """

    a: np.ndarray
    b: np.ndarray
    sizes: np.ndarray

    @property
    def K(self) -> int:
        return int(self.a.size)

    def dense(self, labels: np.ndarray | None = None) -> np.ndarray:
        """The ``[p, p]`` matrix; features ordered by ``labels`` ``[p]`` (default: contiguous blocks)."""
        if labels is None:
            labels = np.repeat(np.arange(self.K), self.sizes)
        return np.diag(self.a[labels]) + self.b[np.ix_(labels, labels)]

    def delta(self) -> np.ndarray:
        """``A + P^1/2 B P^1/2`` ``[K, K]``: its eigenvalues, with each ``a_k`` (multiplicity ``p_k - 1``),
        are the eigenvalues of the dense matrix."""
        r = np.sqrt(self.sizes.astype(float))
        return np.diag(self.a) + r[:, None] * self.b * r[None, :]

    def eigenvalues(self) -> np.ndarray:
        """All p eigenvalues, ascending, without forming the dense matrix. Shapes: -> ``[p]``."""
        reps = np.repeat(self.a, np.maximum(self.sizes - 1, 0))
        return np.sort(np.concatenate([reps, np.linalg.eigvalsh(self.delta())]))

    def is_positive_definite(self) -> bool:
        return bool(np.all(self.a > 0) and np.linalg.eigvalsh(self.delta())[0] > 0)


def ub_frobenius(x: UBMatrix, y: UBMatrix) -> float:
    """Frobenius norm ``||X - Y||_F`` of two uniform-block matrices on the same partition, in O(K^2)."""
    da, db, p = x.a - y.a, x.b - y.b, x.sizes.astype(float)
    diag = np.diag(db)
    within = p * (da + diag) ** 2 + p * (p - 1) * diag**2
    off = np.outer(p, p) * db**2
    np.fill_diagonal(off, 0.0)
    return float(np.sqrt(within.sum() + off.sum()))
