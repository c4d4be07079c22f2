"""Community detection on a feature correlation matrix (the partition the uniform-block estimator needs).

The paper takes the partition as given; here two documented choices:

* ``hierarchical_communities``: complete-linkage (default; average linkage chains on descriptor sets with
  many weakly correlated features and peels off singletons) clustering on the distance ``1 - |r|``, the number of
  communities K chosen in ``[2, max_k]`` by the mean silhouette width (on the same distance), or by the
  largest eigengap of the normalised affinity ``D^-1/2 |R| D^-1/2``.
* ``louvain_communities``: Louvain modularity maximisation (networkx) on the graph with an edge of weight
  ``|r_ij|`` wherever ``|r_ij| >= threshold``; isolated features form singleton communities.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .partition import canonical_labels


def _check_corr(R: np.ndarray) -> np.ndarray:
    R = np.asarray(R, dtype=float)
    if R.ndim != 2 or R.shape[0] != R.shape[1]:
        raise ValueError(f"a correlation matrix must be square, got shape {list(R.shape)}")
    if not np.all(np.isfinite(R)):
        raise ValueError("the correlation matrix has non-finite entries (drop constant or NaN features first)")
    return R


def eigengap_k(R: np.ndarray, max_k: int) -> int:
    """K at the largest gap ``lambda_K - lambda_(K+1)`` of the eigenvalues (descending) of the normalised
    affinity ``D^-1/2 |R| D^-1/2``, for K in ``[2, max_k]``. Shapes: R ``[p, p]``."""
    W = np.abs(_check_corr(R))
    d = 1.0 / np.sqrt(W.sum(1))
    ev = np.sort(np.linalg.eigvalsh(d[:, None] * W * d[None, :]))[::-1]
    max_k = min(max_k, W.shape[0] - 1)
    if max_k < 2:
        return 1
    gaps = ev[1:max_k] - ev[2 : max_k + 1]  # gap after the 2nd, ..., max_k-th eigenvalue
    return int(np.argmax(gaps)) + 2


def hierarchical_communities(R: np.ndarray, *, max_k: int = 12,
                             criterion: Literal["silhouette", "eigengap"] = "silhouette",
                             n_communities: int | None = None,
                             linkage_method: Literal["complete", "average", "weighted"] = "complete") -> np.ndarray:
    """Agglomerative clustering (``linkage_method``) of the features on ``1 - |r|``.

    Shapes: R ``[p, p]`` correlation -> labels int64 ``[p]`` (canonical: numbered by first feature).
    n_communities: fixed K (skips the criterion).
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    from sklearn.metrics import silhouette_score

    R = _check_corr(R)
    p = R.shape[0]
    if p < 3:
        return np.arange(p, dtype=np.int64)
    D = np.clip(1.0 - np.abs(R), 0.0, None)
    D = (D + D.T) / 2
    np.fill_diagonal(D, 0.0)
    tree = linkage(squareform(D, checks=False), method=linkage_method)

    def cut(k: int) -> np.ndarray:
        return canonical_labels(fcluster(tree, t=k, criterion="maxclust"))

    if n_communities is not None:
        return cut(n_communities)
    max_k = min(max_k, p - 1)
    if criterion == "eigengap":
        return cut(eigengap_k(R, max_k))
    if criterion != "silhouette":
        raise ValueError(f"criterion must be 'silhouette' or 'eigengap', got {criterion!r}")
    best, best_score = cut(2), -np.inf
    for k in range(2, max_k + 1):
        labels = cut(k)
        n_found = labels.max() + 1
        if n_found < 2 or n_found > p - 1:
            continue
        score = silhouette_score(D, labels, metric="precomputed")
        if score > best_score + 1e-12:
            best, best_score = labels, score
    return best


def louvain_communities(R: np.ndarray, *, threshold: float = 0.3, resolution: float = 1.0,
                        seed: int = 0) -> np.ndarray:
    """Louvain communities of the graph with edges ``|r_ij| >= threshold`` (weight ``|r_ij|``).

    Shapes: R ``[p, p]`` -> labels int64 ``[p]`` (canonical). Deterministic for a given ``seed``.
    """
    import networkx as nx

    W = np.abs(_check_corr(R))
    p = W.shape[0]
    g = nx.Graph()
    g.add_nodes_from(range(p))
    i, j = np.nonzero(np.triu(W >= threshold, k=1))
    g.add_weighted_edges_from(zip(i.tolist(), j.tolist(), W[i, j].tolist()))
    labels = np.empty(p, dtype=np.int64)
    for k, members in enumerate(nx.community.louvain_communities(g, weight="weight", resolution=resolution,
                                                                  seed=seed)):
        labels[sorted(members)] = k
    return canonical_labels(labels)


def detect_communities(R: np.ndarray, method: Literal["hierarchical", "louvain"] = "hierarchical",
                       **kwargs) -> np.ndarray:
    """Dispatch to ``hierarchical_communities`` or ``louvain_communities``. Shapes: ``[p, p]`` -> ``[p]``."""
    if method == "hierarchical":
        return hierarchical_communities(R, **kwargs)
    if method == "louvain":
        return louvain_communities(R, **kwargs)
    raise ValueError(f"method must be 'hierarchical' or 'louvain', got {method!r}")
