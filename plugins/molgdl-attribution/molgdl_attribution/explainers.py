"""Attributions of the molecules of a featurized table by one trained replicate of a run.

``explain_graph`` runs integrated gradients or occlusion on a graph model (``molgdl.train.MolecularModel``):
the explained output is target ``t`` in target units (regression: the scaled output times the training std
plus the mean and any per-element shift, as ``molgdl predict`` writes it) or its logit (classification).
Molecule-level descriptors fed to the head (``descriptors:`` next to a graph model) are held at the molecule's
values: they get no attribution. Molecules with several graphs (conformers) get the mean over their graphs.

``explain_classical`` runs permutation Shapley values on a classical model (``molgdl.run.classical``) over the
imputed descriptor vector it sees, against a background of training molecules, and spreads them onto atoms
(``molgdl_attribution.spread``). The explained output is the prediction (regression) or the probability of
class 1 (classification).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from molgdl.errors import ConfigError


@dataclass
class MoleculeAttribution:
    """One molecule's attribution.

    position: index in the table; atoms: ``[N]`` scores in output units; prediction: explained output at the
    molecule; reference: at the baseline (integrated gradients: all-zero features; permutation_shap: mean over
    the background; occlusion: NaN); off_atoms: the part of ``prediction - reference`` not on the atoms
    (integrated gradients: quadrature gap; permutation_shap: absent bits + unmapped descriptor sets).
    z: atomic numbers ``[N]`` of the attributed atoms.
    """

    position: int
    atoms: np.ndarray
    z: np.ndarray
    prediction: float
    reference: float = float("nan")
    off_atoms: float = float("nan")
    details: dict[str, float] = field(default_factory=dict)


def graph_output(model: Any, task: str, target: int):
    """``fn(batch) -> Tensor[B]``: target ``target`` of ``model`` in target units (regression) or its
    logit."""
    n_targets = int(model.y_mean.numel())

    def fn(batch):
        out = model(batch)[:, :n_targets]  # uncertainty heads append variances after the T targets
        if task != "classification":
            out = model.unscale(out, batch)
        return out[:, target]

    return fn


def explain_graph(model: Any, task: str, target: int, graphs: Any, positions: Sequence[int], method: str,
                  params: Any) -> list[MoleculeAttribution]:
    """``integrated_gradients`` or ``occlusion`` for the molecules at ``positions`` of a ``GraphSet``."""
    from .graph import integrated_gradients, occlusion

    owner = np.asarray(graphs.graph_owner)
    wanted = {int(p) for p in positions}
    graph_ids = [g for g in range(len(owner)) if int(owner[g]) in wanted]
    data = [graphs.dataset[g] for g in graph_ids]
    fn = graph_output(model.eval(), task, target)
    if method == "integrated_gradients":
        results = integrated_gradients(fn, data, steps=params.steps, batch_size=params.batch_size)
    elif method == "occlusion":
        results = occlusion(fn, data, mode=params.occlusion, batch_size=params.batch_size)
    else:
        raise ConfigError(f"method {method!r} is not a graph-model method",
                          hint="use integrated_gradients or occlusion")
    per_mol: dict[int, list[int]] = {}
    for i, g in enumerate(graph_ids):
        per_mol.setdefault(int(owner[g]), []).append(i)
    out = []
    for pos in sorted(per_mol):
        items = [results[i] for i in per_mol[pos]]
        sizes = {len(r.atoms) for r in items}
        if len(sizes) > 1:  # conformers with different atoms: keep the first graph
            items = items[:1]
        out.append(MoleculeAttribution(
            position=pos,
            atoms=np.mean([r.atoms for r in items], axis=0),
            z=data[per_mol[pos][0]].z.numpy().astype(np.int64),
            prediction=float(np.mean([r.output for r in items])),
            reference=float(np.mean([r.reference for r in items])),
            off_atoms=float(np.mean([-r.gap for r in items])),
        ))
    return out


def classical_output(model: Any, target: int):
    """``predict([R, D]) -> [R]`` of a ``ClassicalModel`` on imputed descriptor rows."""
    est = model.estimators[target]
    if model.task == "classification":
        return lambda rows: est.predict_proba(rows)[:, 1]
    return lambda rows: np.asarray(est.predict(rows), dtype=np.float64).reshape(-1)


def explain_classical(model: Any, target: int, blocks: Sequence[Any], X: np.ndarray, records: Sequence[Any],
                      positions: Sequence[int], background: np.ndarray, params: Any,
                      require_atoms: bool = True) -> tuple[list[MoleculeAttribution], np.ndarray]:
    """Permutation Shapley values of the molecules at ``positions``; ``X``: raw descriptors ``[M, D]`` of the
    table, ``background``: raw descriptors ``[B, D]`` of training molecules. Returns the per-molecule results
    (atoms empty when no descriptor set maps to atoms) and the per-feature values ``[len(positions), D]``."""
    from .molecules import molecule_of
    from .permutation import permutation_shap
    from .spread import check_mapped, environments_of, spread_to_atoms

    if require_atoms:
        check_mapped(blocks)
    predict = classical_output(model, target)
    Xi = model.features(np.asarray(X, dtype=np.float64))
    Bi = model.features(np.asarray(background, dtype=np.float64))
    mapped = np.zeros(Xi.shape[1], dtype=bool)
    for b in blocks:
        if b.mapped:
            mapped[b.offset: b.offset + b.width] = True
    rng = np.random.default_rng(params.random_state)
    results, phis = [], []
    for pos in positions:
        phi, fx, fb = permutation_shap(predict, Xi[pos], Bi, params.permutations, rng)
        phis.append(phi)
        mol = molecule_of(records[pos])
        if mol is None or not mapped.any():
            z = np.array([a.GetAtomicNum() for a in mol.GetAtoms()] if mol is not None else [],
                         dtype=np.int64)
            details = {"absent": float("nan"), "unmapped": float(phi[~mapped].sum())}
            results.append(MoleculeAttribution(pos, np.full(len(z), np.nan), z, fx, fb, float(phi.sum()),
                                               details))
            continue
        z = np.array([a.GetAtomicNum() for a in mol.GetAtoms()], dtype=np.int64)
        atoms, absent, unmapped = spread_to_atoms(phi, environments_of(blocks, records[pos]), len(z), mapped)
        results.append(MoleculeAttribution(pos, atoms, z, fx, fb, absent + unmapped,
                                           {"absent": absent, "unmapped": unmapped}))
    return results, np.array(phis).reshape(len(positions), Xi.shape[1])
