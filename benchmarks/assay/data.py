"""The ten MoleculeACE sets bundled with molgdl (``molgdl_datasets/data/moleculeace_<set>.csv``): SMILES,
target ``y`` = -log10(Ki or EC50 / nM), the ``cliff_mol`` flag and the benchmark's own train/test
``split``."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SETS = ["CHEMBL1862_Ki", "CHEMBL2047_EC50", "CHEMBL204_Ki", "CHEMBL214_Ki", "CHEMBL218_EC50", "CHEMBL228_Ki",
        "CHEMBL236_Ki", "CHEMBL262_Ki", "CHEMBL287_Ki", "CHEMBL4203_Ki"]


def csv_path(name: str) -> Path:
    import molgdl_datasets

    return Path(molgdl_datasets.__file__).parent / "data" / f"moleculeace_{name}.csv"


@dataclass(frozen=True)
class AssaySet:
    """Rows of one set: ``smiles`` [M], ``y`` [M] (-log10 nM), ``cliff`` [M] 0/1, ``split`` [M] 'train' or
    'test'."""

    name: str
    path: Path
    smiles: list[str]
    y: np.ndarray
    cliff: np.ndarray
    split: np.ndarray

    @property
    def train(self) -> np.ndarray:
        return np.flatnonzero(self.split == "train")

    @property
    def test(self) -> np.ndarray:
        return np.flatnonzero(self.split == "test")


def load(name: str) -> AssaySet:
    if name not in SETS:
        raise SystemExit(f"unknown set {name!r}; choose from {SETS}")
    path = csv_path(name)
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return AssaySet(name, path, [r["smiles"] for r in rows], np.array([float(r["y"]) for r in rows]),
                    np.array([int(r["cliff_mol"]) for r in rows]), np.array([r["split"] for r in rows]))


def by_size(names: list[str]) -> list[str]:
    """Sets ordered by row count, smallest first (the cheap ones finish first)."""
    return sorted(names, key=lambda n: sum(1 for _ in open(csv_path(n))))


def rmse(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(pred, float)) ** 2)))


def scores(s: AssaySet, pred_test: np.ndarray) -> dict:
    """Test RMSE and cliff RMSE (RMSE over the test molecules with ``cliff_mol == 1``): MoleculeACE's
    metrics, in -log10 nM."""
    test = s.test
    cliff = s.cliff[test] == 1
    return {"test_rmse": rmse(s.y[test], pred_test), "cliff_rmse": rmse(s.y[test][cliff], pred_test[cliff]),
            "n_train": int(len(s.train)), "n_test": int(len(test)), "n_test_cliff": int(cliff.sum())}
