"""Learned features vs molecular descriptors: joint communities, uniform-block interconnection, CKA/CCA.

Pure computation on arrays (``compare_feature_sets``); ``report.write_report`` turns the result into files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .columns import clean_columns, standardize
from .communities import detect_communities
from .estimator import ub_estimate
from .inference import block_standard_errors, wald_interval
from .partition import canonical_labels
from .precision import block_partial_correlation, corrected_precision, plugin_precision
from .similarity import canonical_correlations, linear_cka
from .ub_matrix import UBMatrix

LEARNED, DESCRIPTOR = "learned", "descriptor"


@dataclass
class FeatureComparison:
    """Everything ``write_report`` needs.

    features: one row per kept feature (name, origin, community, block); blocks: one row per block (a joint
    community split by origin); parameters: block parameters with SEs and 95% Wald intervals;
    interconnection: learned blocks x descriptor blocks, mean correlation ``b_kl``; partial: the same for the
    block-level partial correlations (None when the precision could not be formed); top_descriptors: per learned
    block, the descriptors most correlated with the block's first principal component; correlation ``[p, p]``
    and ``order`` ``[p]`` for the heatmap (raw signs); ``features.sign``: the orientation used for the block model; summary: JSON-able numbers; notes: human-readable remarks.
    """

    features: pd.DataFrame
    blocks: pd.DataFrame
    parameters: pd.DataFrame
    interconnection: pd.DataFrame
    partial: pd.DataFrame | None
    top_descriptors: pd.DataFrame
    correlation: np.ndarray
    order: np.ndarray
    estimate: UBMatrix
    summary: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _json(x: float) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def _block_label(block: pd.Series) -> str:
    return f"{'L' if block.origin == LEARNED else 'D'}{block.community}"


def _precision(est: UBMatrix, dof: int, notes: list[str]) -> tuple[UBMatrix | None, str]:
    floor = 1e-8
    if np.any(est.a < floor):
        notes.append(f"{int(np.sum(est.a < floor))} block(s) with a_k < {floor:g} (near-duplicate features): "
                     f"a_k floored at {floor:g} for the precision")
        est = UBMatrix(np.maximum(est.a, floor), est.b, est.sizes)
    if np.linalg.eigvalsh(est.delta())[0] <= 1e-10 * np.abs(est.delta()).max():
        notes.append("the block-level covariance is singular (more blocks than samples?): no precision matrix")
        return None, "none"
    try:
        return corrected_precision(est, dof), "bias-corrected"
    except ValueError:
        notes.append(f"n - 1 = {dof} too small for the bias correction with K = {est.K}: plug-in precision")
        return plugin_precision(est), "plug-in"


def align_signs(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Signs ``[p]`` (+1/-1) that orient every feature along its community's first principal component.

    Communities are found on |r|, so a community may hold strongly anti-correlated features; the uniform-block
    model (one constant correlation per block) describes the oriented features ``z * signs``. Shapes: z ``[n, p]``.
    """
    signs = np.ones(z.shape[1])
    for k in np.unique(labels):
        cols = np.flatnonzero(labels == k)
        if cols.size > 1:
            loading = np.linalg.svd(z[:, cols] - z[:, cols].mean(0), full_matrices=False)[2][0]
            signs[cols] = np.where(loading < 0, -1.0, 1.0) * (np.sign(loading.sum()) or 1.0)
    return signs


def _top_descriptors(zl: np.ndarray, zd: np.ndarray, features: pd.DataFrame, blocks: pd.DataFrame,
                     top_k: int) -> pd.DataFrame:
    rows = []
    learned = features[features.origin == LEARNED]
    dnames = features[features.origin == DESCRIPTOR].name.tolist()
    for block in blocks[blocks.origin == LEARNED].itertuples():
        cols = learned.index[learned.block == block.block].to_numpy()
        u, s, vt = np.linalg.svd(zl[:, cols] - zl[:, cols].mean(0), full_matrices=False)
        score = u[:, 0] * s[0] * np.sign(vt[0].sum() or 1.0)
        if zd.shape[1] == 0 or score.std() == 0:
            continue
        r = (standardize(score[:, None]).T @ zd / (len(score) - 1)).ravel()
        for rank, j in enumerate(np.argsort(-np.abs(r), kind="stable")[:top_k], start=1):
            rows.append({"learned_block": block.label, "rank": rank, "descriptor": dnames[j], "r": float(r[j])})
    return pd.DataFrame(rows, columns=["learned_block", "rank", "descriptor", "r"])


def compare_feature_sets(learned: np.ndarray, descriptors: np.ndarray, learned_names: list[str] | None = None,
                         descriptor_names: list[str] | None = None, *, method: str = "hierarchical",
                         criterion: str = "silhouette", linkage: str = "complete", max_communities: int = 12, louvain_threshold: float = 0.3,
                         louvain_resolution: float = 1.0, top_k: int = 5, cca_components: int = 10,
                         seed: int = 0) -> FeatureComparison:
    """Compare two feature sets measured on the same n molecules.

    Shapes: learned ``[n, d1]``, descriptors ``[n, d2]``. Rows with a non-finite learned feature are dropped;
    then non-finite and constant columns. Features are standardised, communities are detected on the joint
    correlation matrix ``[p, p]`` (p = kept d1 + d2), each community is split by origin into a learned block and
    a descriptor block, every feature is oriented along its community's first principal component
    (``align_signs``), and the uniform-block model is fitted on that partition.
    """
    learned, descriptors = np.asarray(learned, float), np.asarray(descriptors, float)
    if learned.shape[0] != descriptors.shape[0]:
        raise ValueError(f"learned {learned.shape} and descriptors {descriptors.shape} differ in rows")
    learned_names = learned_names or [f"h{i}" for i in range(learned.shape[1])]
    descriptor_names = descriptor_names or [f"d{i}" for i in range(descriptors.shape[1])]
    notes: list[str] = []
    rows = np.all(np.isfinite(learned), axis=1)
    if not rows.all():
        notes.append(f"{int((~rows).sum())} molecule(s) without a finite embedding dropped")
    lc = clean_columns(learned[rows], learned_names)
    dc = clean_columns(descriptors[rows], descriptor_names)
    n = int(rows.sum())
    if n < 4 or not lc.names or not dc.names:
        raise ValueError(f"nothing to compare: {n} molecules, {len(lc.names)} varying learned features, "
                         f"{len(dc.names)} varying descriptors")
    zl, zd = standardize(lc.values), standardize(dc.values)
    z = np.concatenate([zl, zd], axis=1)
    R = np.clip(z.T @ z / (n - 1), -1.0, 1.0)
    if method == "louvain":
        joint = detect_communities(R, "louvain", threshold=louvain_threshold, resolution=louvain_resolution, seed=seed)
    else:
        joint = detect_communities(R, "hierarchical", max_k=max_communities, criterion=criterion,
                                   linkage_method=linkage)
    signs = align_signs(z, joint)
    origin = np.array([LEARNED] * zl.shape[1] + [DESCRIPTOR] * zd.shape[1])
    block = canonical_labels([f"{c}/{o}" for c, o in zip(joint, origin)])
    features = pd.DataFrame({"name": lc.names + dc.names, "origin": origin, "community": joint, "block": block,
                             "sign": signs.astype(int)})
    blocks = (features.groupby("block").agg(community=("community", "first"), origin=("origin", "first"),
                                            size=("name", "size"), members=("name", lambda s: "; ".join(s)))
              .reset_index())
    blocks["label"] = [_block_label(b) for b in blocks.itertuples()]  # unique: one block per (community, origin)

    dof = n - 1
    est = ub_estimate(z * signs, block)  # on the sign-aligned features (a flip is a reparametrisation)
    se = block_standard_errors(est, dof)
    params_rows = []
    for k in range(est.K):
        for l in range(k, est.K):
            for kind, value, err in ([("a", est.a[k], se.a[k])] if k == l else []) + [("b", est.b[k, l], se.b[k, l])]:
                lo, hi = wald_interval(np.array(value), np.array(err))
                params_rows.append({"parameter": kind, "block_k": blocks.label[k], "block_l": blocks.label[l],
                                    "estimate": value, "se": err, "ci95_low": float(lo), "ci95_high": float(hi)})
    parameters = pd.DataFrame(params_rows)

    by_comm = blocks.sort_values("community", kind="stable")
    lb, db = by_comm.index[by_comm.origin == LEARNED], by_comm.index[by_comm.origin == DESCRIPTOR]
    inter = pd.DataFrame(est.b[np.ix_(lb, db)], index=blocks.label[lb], columns=blocks.label[db])
    omega, kind = _precision(est, dof, notes)
    partial = None
    if omega is not None:
        rho = block_partial_correlation(omega)
        partial = pd.DataFrame(rho, index=blocks.label, columns=blocks.label)

    max_r = max(1, min(cca_components, (n - 1) // 4))
    cca = canonical_correlations(zl, zd, max_r)
    top = _top_descriptors(zl, zd, features, blocks, top_k)
    order = np.lexsort((np.arange(len(block)), origin != LEARNED, joint))
    mixed = int(sum(set(g) == {LEARNED, DESCRIPTOR} for _, g in features.groupby("community").origin))
    strongest = None
    if inter.size:
        i, j = np.unravel_index(np.argmax(np.abs(inter.to_numpy())), inter.shape)
        strongest = {"learned_block": inter.index[i], "descriptor_block": inter.columns[j],
                     "mean_r": _json(inter.iat[i, j])}
    summary = {
        "n_molecules": n,
        "n_learned": len(lc.names), "n_descriptors": len(dc.names),
        "dropped_learned_constant": len(lc.dropped_constant),
        "dropped_descriptors_constant": len(dc.dropped_constant),
        "dropped_descriptors_nonfinite": len(dc.dropped_nonfinite),
        "community_method": method if method == "louvain" else f"hierarchical ({linkage} linkage, {criterion})",
        "n_communities": int(joint.max() + 1), "n_mixed_communities": mixed, "n_blocks": int(est.K),
        "linear_cka": _json(linear_cka(zl, zd)),
        "cca_components": int(cca.size), "cca": [_json(c) for c in cca[:3]],
        "mean_abs_cross_block_r": _json(np.abs(inter.to_numpy()).mean()) if inter.size else None,
        "strongest_link": strongest, "precision": kind,
    }
    return FeatureComparison(features, blocks, parameters, inter, partial, top, R, order, est, summary, notes)
