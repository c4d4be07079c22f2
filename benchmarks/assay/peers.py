"""The direct peers of the assay benchmark, built with scikit-learn and LightGBM as MoleculeACE built them
(van Tilborg et al., JCIM 2022), not through molgdl: SVR with a Tanimoto kernel, random forest, LightGBM and
k-NN with Tanimoto distance, all on ECFP4 bits (``fingerprints.py``).

Every peer gets the same search budget: a grid of 4 settings scored by 5-fold cross-validated RMSE on the
training split only (folds shuffled with seed 0), the best setting refitted on the whole training split.
The grids follow MoleculeACE's default search spaces (``MoleculeACE/Data/configures/default/*.yml``), cut to
4 settings each. The search runs once per set; the stochastic peers (RF, LightGBM) are then refitted with
seeds 0-4. SVR and k-NN are deterministic (one run each).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from fingerprints import tanimoto

CV_FOLDS, CV_SEED = 5, 0


@dataclass(frozen=True)
class Peer:
    """One direct peer: ``make(params, seed)`` builds an unfitted estimator; ``kernel`` says what it is fed
    (``"features"``: bits ``[M, 2048]``; ``"similarity"``: Tanimoto kernel ``[M, N_train]``; ``"distance"``:
    1 - Tanimoto)."""

    name: str
    label: str
    grid: list[dict[str, Any]]
    make: Callable[[dict[str, Any], int], Any]
    kernel: str
    deterministic: bool
    notes: str = ""
    fixed: dict[str, Any] = field(default_factory=dict)


def _svr(params: dict, seed: int):
    from sklearn.svm import SVR

    return SVR(kernel="precomputed", epsilon=0.1, **params)


def _rf(params: dict, seed: int):
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(n_estimators=250, n_jobs=1, random_state=seed, **params)


def _lgbm(params: dict, seed: int):
    from lightgbm import LGBMRegressor

    return LGBMRegressor(learning_rate=0.05, subsample=0.8, subsample_freq=1, colsample_bytree=0.5,
                         min_child_samples=5, n_jobs=1, random_state=seed, verbose=-1, **params)


def _knn(params: dict, seed: int):
    from sklearn.neighbors import KNeighborsRegressor

    return KNeighborsRegressor(metric="precomputed", weights="distance", **params)


PEERS: dict[str, Peer] = {p.name: p for p in (
    Peer("svr_tanimoto", "SVR, Tanimoto kernel", [{"C": c} for c in (1.0, 10.0, 100.0, 1000.0)], _svr,
         "similarity", True, fixed={"epsilon": 0.1, "kernel": "precomputed Tanimoto"}),
    Peer("rf", "random forest", [{"max_features": m} for m in (32, 64, 128, 256)], _rf, "features", False,
         fixed={"n_estimators": 250}),
    Peer("lightgbm", "LightGBM",
         [{"n_estimators": n, "num_leaves": nl} for n in (200, 400) for nl in (15, 63)], _lgbm, "features",
         False, fixed={"learning_rate": 0.05, "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.5,
                       "min_child_samples": 5}),
    Peer("knn_tanimoto", "k-NN, Tanimoto distance", [{"n_neighbors": k} for k in (3, 5, 11, 21)], _knn,
         "distance", True, fixed={"weights": "distance", "metric": "precomputed 1 - Tanimoto"}),
)}


def inputs(peer: Peer, X_train: np.ndarray, X_other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What the peer is fed: rows of the training set ``[N, *]`` and of ``X_other`` ``[M, *]``."""
    if peer.kernel == "features":
        return X_train.astype(np.float32), X_other.astype(np.float32)
    K_train, K_other = tanimoto(X_train, X_train), tanimoto(X_other, X_train)
    if peer.kernel == "distance":
        return 1.0 - K_train, 1.0 - K_other
    return K_train, K_other


def search(peer: Peer, Z_train: np.ndarray, y_train: np.ndarray, grid: list[dict] | None = None,
           folds: int = CV_FOLDS) -> tuple[dict, list[float]]:
    """5-fold CV RMSE of each grid setting on the training rows only (precomputed kernels are sliced to the
    fold's rows by scikit-learn); returns the best setting and the CV RMSE of every setting, in grid order."""
    from sklearn.model_selection import KFold, cross_val_score

    grid = peer.grid if grid is None else grid
    cv = KFold(folds, shuffle=True, random_state=CV_SEED)
    scores = [-float(np.mean(cross_val_score(peer.make(p, CV_SEED), Z_train, y_train, cv=cv,
                                             scoring="neg_root_mean_squared_error"))) for p in grid]
    return grid[int(np.argmin(scores))], scores
