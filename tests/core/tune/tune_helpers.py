"""Helpers of the ``molgdl tune`` tests: tiny configs on ESOL rows written to a CSV under ``tmp_path``.

Every study here is small (150 molecules, random forests of 5-40 trees or a D-MPNN of width 8-24 for 3 epochs)
and writes under ``tmp_path``; nothing reads ``../shared/`` or the network.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

ESOL_TARGET = "measured log solubility in mols per litre"


def flat(text: str) -> str:
    """Whitespace-normalised text (rich wraps long console lines)."""
    return " ".join(text.split())


def esol_rows(n: int = 150) -> pd.DataFrame:
    """The first ``n`` rows of the bundled ESOL file as ``smiles, y``."""
    from molgdl_datasets.bundled import data_path

    df = pd.read_csv(data_path("esol_delaney-processed.csv")).head(n)
    return pd.DataFrame({"smiles": df["smiles"].str.strip(), "y": df[ESOL_TARGET]})


def write_csv(path: Path, df: pd.DataFrame) -> Path:
    df.to_csv(path, index=False)
    return path


def rf_config(tmp_path: Path, csv: Path, name: str = "t", **tune: Any) -> dict[str, Any]:
    """Random forest on 256 Morgan bits; the search: n_estimators and min_samples_leaf, 3 trials, 3 inner folds."""
    cfg: dict[str, Any] = {
        "run": {"name": name, "output_dir": str(tmp_path / "runs"), "seeds": [0]},
        "data": {"source": {"name": "csv", "path": str(csv), "smiles_column": "smiles", "target_columns": ["y"],
                            "task": "regression"},
                 "cache_dir": str(tmp_path / "cache"), "num_workers": 1, "progress": False},
        "descriptors": [{"name": "morgan", "radius": 2, "n_bits": 256}],
        "split": {"name": "random", "sizes": [0.8, 0.1, 0.1]},
        "model": {"name": "random_forest", "n_estimators": 10, "n_jobs": 1},
        "tune": {"n_trials": 3, "inner_folds": 3, "seed": 0,
                 "space": {"model.n_estimators": {"int": [5, 40]}, "model.min_samples_leaf": {"int": [1, 6]}}},
    }
    cfg["tune"].update(tune)
    return cfg


def dmpnn_config(tmp_path: Path, csv: Path, name: str = "nn", **tune: Any) -> dict[str, Any]:
    """A tiny D-MPNN (3 epochs, CPU) whose learning rate and width are searched, pruning from the first epoch."""
    cfg = rf_config(tmp_path, csv, name)
    cfg.update({
        "descriptors": [],
        "model": {"name": "dmpnn", "hidden_dim": 16, "depth": 2},
        "head": {"hidden_dim": 16, "num_layers": 2},
        "trainer": {"max_epochs": 3, "batch_size": 16, "accelerator": "cpu", "devices": 1, "early_stopping": None,
                    "progress_bar": False},
    })
    cfg["tune"] = {"n_trials": 3, "inner_folds": 2, "seed": 0, "pruning": {"startup_trials": 1, "warmup_epochs": 0},
                   "space": {"optimizer.lr": {"float": [1.0e-6, 1.0e-1], "log": True},
                             "model.hidden_dim": {"int": [8, 24]}}}
    cfg["tune"].update(tune)
    return cfg


def write_config(path: Path, cfg: dict[str, Any]) -> Path:
    Path(path).write_text(yaml.safe_dump(copy.deepcopy(cfg), sort_keys=False))
    return Path(path)


def trials(run: Path) -> pd.DataFrame:
    return pd.read_csv(run / "tune" / "trials.csv")


def result(run: Path) -> dict[str, Any]:
    return json.loads((run / "tune" / "result.json").read_text())
