"""Out-of-fold predictions of one member: inner k-fold cross-validation on the outer training molecules only.

The member's featurized data is first cut down to the outer training molecules
(``molgdl.tune.folds.restrict``: the validation and test molecules are not in the arrays a fold trains or
predicts on), then split into the
seeded inner folds of ``molgdl.tune.folds.inner_folds`` (the same folds ``molgdl tune`` scores on). Fold ``k``
holds out part ``k`` (its ``test``) and predicts it with a model trained on the other parts; a neural member
early-stops on a share of those other parts (``val``, the outer split's validation share), never on the
molecules it predicts, and a classical member trains on ``train`` only, as in a run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from molgdl.run.data_stage import PreparedData
from molgdl.run.resolve import Resolved

OOF_FILE = "oof_predictions.csv"


def is_classical(res: Resolved) -> bool:
    return getattr(res.spec("model", "model"), "family", "encoder") == "classical"


Folds = list[dict[str, np.ndarray]]


def make_folds(n: int, k: int, seed: int, outer_split: dict[str, np.ndarray]) -> Folds:
    """``[{train, val, test}]`` positions in the outer training set (``molgdl tune``'s inner folds)."""
    from molgdl.tune.folds import inner_folds, outer_val_fraction

    return inner_folds(n, k, seed, outer_val_fraction(outer_split))


def out_of_fold(res: Resolved, data: PreparedData, folds: Folds, seed: int, work_dir: Path) -> np.ndarray:
    """Predictions ``[N, T]`` of ``data``'s molecules (the outer training set), each from the fold model that
    did not train on it. ``work_dir`` holds a neural member's per-fold logs (checkpoints are deleted)."""
    from molgdl.run.train_stage import train_classical, train_neural

    n, n_targets = data.table.targets.shape
    pred = np.full((n, n_targets), np.nan)
    classical = is_classical(res)
    for k, split in enumerate(folds):
        if classical:
            fold_pred = train_classical(res, data, split, seed).pred
        else:
            fold_dir = Path(work_dir) / f"fold_{k}"
            fold_dir.mkdir(parents=True, exist_ok=True)
            try:
                fold_pred = train_neural(res, data, split, seed, fold_dir, resume=False).pred
            finally:
                shutil.rmtree(fold_dir / "checkpoints", ignore_errors=True)
                (fold_dir / "model.pt").unlink(missing_ok=True)
        pred[split["test"]] = fold_pred[split["test"]]
    return pred


def _fold_of(n: int, folds: Folds) -> np.ndarray:
    fold = np.full(n, -1)
    for k, split in enumerate(folds):
        fold[split["test"]] = k
    return fold


def write_oof(path: Path, data: PreparedData, folds: Folds, pred: np.ndarray) -> None:
    """``row, id, smiles, fold, <target>, <target>_pred`` for every outer training molecule (written last, so
    its presence means the member's inner CV of this replicate finished)."""
    table = data.table
    fold = _fold_of(len(table), folds)
    cols = {"row": [r.row for r in table.records], "id": [r.id for r in table.records],
            "smiles": [r.smiles for r in table.records], "fold": fold}
    for t, name in enumerate(table.target_names):
        cols[name] = table.targets[:, t]
        cols[f"{name}_pred"] = pred[:, t]
    tmp = path.with_name(path.name + ".tmp")
    pd.DataFrame(cols).to_csv(tmp, index=False)
    tmp.replace(path)


def read_oof(path: Path, data: PreparedData, folds: Folds) -> np.ndarray | None:
    """The predictions of a finished inner CV, or None when the file is missing or was made for other
    molecules or other folds."""
    if not path.exists():
        return None
    df = pd.read_csv(path)
    table = data.table
    fold = _fold_of(len(table), folds)
    if len(df) != len(table) or df["row"].tolist() != [r.row for r in table.records] \
            or df["fold"].tolist() != fold.tolist():
        return None
    return df[[f"{name}_pred" for name in table.target_names]].to_numpy(dtype=np.float64)
