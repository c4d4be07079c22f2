"""Predict every molecule with a trained model, average over conformers, compute metrics per split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from molgdl.data.batches import ordered_batches
from molgdl.data.table import CLIFF_COLUMN, MoleculeTable
from molgdl.errors import TrainingError


@torch.no_grad()
def predict_graphs(model: torch.nn.Module, dataset, batch_size: int, task: str, device: str = "cpu") -> np.ndarray:
    """Per-graph predictions in target units (regression) or probabilities (classification): ``[G, T]`` (the
    first ``T`` outputs of a model with an uncertainty head)."""
    model = model.to(device).eval()
    outs = []
    for batch in ordered_batches(dataset, batch_size):
        batch = batch.to(device)
        out = model(batch)
        if hasattr(model, "y_mean"):
            out = out[:, :model.y_mean.numel()]
        out = torch.sigmoid(out) if task == "classification" else model.unscale(out, batch)
        outs.append(out.float().cpu())
    return torch.cat(outs).numpy() if outs else np.zeros((0, 0))


@torch.no_grad()
def embed_graphs(model: torch.nn.Module, dataset, batch_size: int, device: str = "cpu") -> np.ndarray:
    """Per-graph learned representation after the readout: ``[G, readout.out_dim]``."""
    model = model.to(device).eval()
    outs = [model.embed(b.to(device)).float().cpu() for b in ordered_batches(dataset, batch_size)]
    return torch.cat(outs).numpy()


def average_by_owner(per_graph: np.ndarray, owner: np.ndarray, n_molecules: int) -> np.ndarray:
    """Mean over each molecule's graphs (conformers); molecules without a graph get NaN. ``[M, T]``."""
    out = np.full((n_molecules, per_graph.shape[1]), np.nan)
    sums = np.zeros_like(out)
    counts = np.zeros(n_molecules)
    np.add.at(sums, owner, per_graph)
    np.add.at(counts, owner, 1)
    have = counts > 0
    out[have] = sums[have] / counts[have, None]
    return out


def check_predictions(table: MoleculeTable, pred: np.ndarray, owner: np.ndarray, label: str) -> None:
    """Every featurized molecule must have finite predictions ``[M, T]``: NaN would be dropped from the metrics
    and leave a "completed" run with empty or NaN metrics."""
    have = np.zeros(len(table), dtype=bool)
    have[np.unique(owner)] = True
    bad = np.flatnonzero(have & ~np.isfinite(pred).all(axis=1))
    if len(bad):
        first = table.records[bad[0]]
        raise TrainingError(
            f"{label}: the trained model predicts NaN or inf for {len(bad)} of {int(have.sum())} molecules "
            f"(first: data row {first.row}, {first.smiles!r}); no metrics were computed",
            hint="check the targets for extreme values, lower optimizer.lr or set trainer.gradient_clip_val "
                 "(the training loss per epoch is in logs/metrics.csv)")


def split_labels(n: int, split: dict[str, np.ndarray]) -> np.ndarray:
    labels = np.array(["none"] * n, dtype=object)
    for name, idx in split.items():
        labels[idx] = name
    return labels


def evaluate_predictions(table: MoleculeTable, pred: np.ndarray, split: dict[str, np.ndarray]) -> dict[str, Any]:
    """Metrics for each split present: ``{split: {target|overall: {metric: value}}}``.

    A regression table with a cliff flag (``table.columns[CLIFF_COLUMN]``) also gets ``cliff_rmse``.
    """
    from molgdl.run.metrics import cliff_rmse, compute_metrics  # scikit-learn: not imported by `molgdl predict`

    out = {}
    cliff = table.columns.get(CLIFF_COLUMN) if table.task == "regression" else None
    for name, idx in split.items():
        idx = idx[~np.isnan(pred[idx]).all(axis=1)] if len(idx) else idx
        if len(idx):
            out[name] = compute_metrics(table.targets[idx], pred[idx], table.task, table.target_names)
            _note_undefined(out[name], name, len(idx), table.task)
            if cliff is not None:
                for key, value in cliff_rmse(table.targets[idx], pred[idx], cliff[idx], table.target_names).items():
                    out[name][key]["cliff_rmse"] = value
    return out


def _note_undefined(metrics: dict[str, dict[str, float]], split: str, n: int, task: str) -> None:
    """Say why a metric is NaN (it is written as null): R² of one molecule, an AUC of a split with one class."""
    import logging

    undefined = [f"{m} of {t!r}" for t, values in metrics.items() if t != "overall"
                 for m, v in values.items() if not np.isfinite(v)]
    if undefined:
        why = "the split holds one class only" if task == "classification" else f"the split has {n} molecule(s)"
        logging.getLogger("molgdl").warning("%s metric(s) %s undefined (%s): written as null", split,
                                            ", ".join(undefined), why)


def write_predictions(path: Path, table: MoleculeTable, pred: np.ndarray, labels: np.ndarray,
                      extra: dict[str, np.ndarray] | None = None) -> None:
    """predictions.csv; ``extra``: more per-molecule columns (``<target>_unc``, ``_lower``, ``_upper``)."""
    cols: dict[str, Any] = {
        "row": [r.row for r in table.records],
        "id": [r.id for r in table.records],
        "smiles": [r.smiles for r in table.records],
        "split": labels,
    }
    for t, name in enumerate(table.target_names):
        cols[name] = table.targets[:, t]
        cols[f"{name}_pred"] = pred[:, t]
    cols.update(extra or {})
    for name, values in table.columns.items():  # metadata (cliff flag, ...); the split label is written above
        cols.setdefault(name, values)
    pd.DataFrame(cols).to_csv(path, index=False)


def force_metrics(model: torch.nn.Module, dataset, owner: np.ndarray, split: dict[str, np.ndarray],
                  batch_size: int = 128) -> tuple[dict[str, dict[str, float]], dict[str, np.ndarray]]:
    """Force MAE / RMSE over all atoms and components of each split (target units per Å, e.g. eV/Å):
    ``{split: {"mae", "rmse"}}``, and the test split's predicted and reference forces ``[N_atoms, 3]``."""
    from molgdl.train.forces import force_errors

    pred, ref, atom_graph = force_errors(model, dataset, batch_size)
    atom_mol = torch.as_tensor(owner)[atom_graph].numpy()
    out, arrays = {}, {}
    for name, idx in split.items():
        sel = np.isin(atom_mol, idx)
        if not sel.any():
            continue
        err = (pred[sel] - ref[sel]).numpy()
        out[name] = {"mae": float(np.abs(err).mean()), "rmse": float(np.sqrt((err ** 2).mean()))}
        if name == "test":
            arrays = {"pred": pred[sel].numpy(), "ref": ref[sel].numpy(), "molecule": atom_mol[sel]}
    return out, arrays
