"""Few-shot heads over a fixed embedding (numpy): prototypical networks (Snell et al. 2017) and k-NN.

Shapes: Zs ``[k, d]`` support embeddings, ys ``[k]`` support labels, Zq ``[Q, d]`` query embeddings -> ``[Q]``.
"""

from __future__ import annotations

import numpy as np


def sq_distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances ``[len(A), len(B)]``."""
    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    return np.maximum(d, 0.0)


def softmax_neg(d: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of ``-d / temperature``."""
    logits = -d / temperature
    logits -= logits.max(1, keepdims=True)
    w = np.exp(logits)
    return w / w.sum(1, keepdims=True)


def default_temperature(Z: np.ndarray) -> float:
    """The median squared distance between distinct rows of ``Z`` (scale-free; 1 when all rows coincide)."""
    d = sq_distances(Z, Z)[np.triu_indices(len(Z), 1)]
    t = float(np.median(d)) if d.size else 1.0
    return t if t > 0 else 1.0


def prototypes(Zs: np.ndarray, ys: np.ndarray, n_prototypes: int) -> tuple[np.ndarray, np.ndarray]:
    """Regression prototypes: supports sorted by label and cut into ``n_prototypes`` groups of (nearly) equal
    size; each prototype is the mean embedding ``[P, d]`` and mean label ``[P]`` of its group."""
    order = np.argsort(ys, kind="stable")
    groups = [g for g in np.array_split(order, min(n_prototypes, len(ys))) if len(g)]
    return np.stack([Zs[g].mean(0) for g in groups]), np.array([ys[g].mean() for g in groups])


def protonet_regression(Zs: np.ndarray, ys: np.ndarray, Zq: np.ndarray, n_prototypes: int = 8,
                        temperature: float | None = None) -> np.ndarray:
    """sum_p softmax_p(-|z_q - c_p|^2 / T) * v_p over label-quantile prototypes (c_p, v_p); T defaults to the
    median squared distance between the prototypes."""
    P, v = prototypes(Zs, ys, n_prototypes)
    t = default_temperature(P) if temperature is None else temperature
    return softmax_neg(sq_distances(Zq, P), t) @ v


def protonet_classification(Zs: np.ndarray, ys: np.ndarray, Zq: np.ndarray,
                            temperature: float | None = None) -> np.ndarray:
    """P(class 1) ``[Q]`` from class-mean prototypes (labels 0/1): softmax over -|z_q - c_c|^2 / T."""
    classes = [0, 1]
    P = np.stack([Zs[ys == c].mean(0) if (ys == c).any() else np.full(Zs.shape[1], np.inf) for c in classes])
    if not np.isfinite(P).all():  # a support with one class only: that class for every query
        return np.full(len(Zq), float((ys == 1).any()))
    t = default_temperature(P) if temperature is None else temperature
    return softmax_neg(sq_distances(Zq, P), t)[:, 1]


def knn_regression(Zs: np.ndarray, ys: np.ndarray, Zq: np.ndarray, k: int = 5) -> np.ndarray:
    """Mean label of the k most cosine-similar supports, weighted by max(similarity, 0) + 1e-6."""
    def unit(Z):
        return Z / np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), 1e-12)

    sim = unit(Zq) @ unit(Zs).T
    k = min(k, len(ys))
    idx = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    w = np.maximum(np.take_along_axis(sim, idx, 1), 0.0) + 1e-6
    return (w * ys[idx]).sum(1) / w.sum(1)
