"""Helpers of the ensemble tests: tiny ensemble configs on the first 150 ESOL rows written under ``tmp_path``.

Members are classical models on 256-bit ECFP4 counts (seconds each) and, where a neural member is needed, a
D-MPNN of width 16 for 2 epochs; nothing reads ``../shared/`` or the network.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

ESOL_TARGET = "measured log solubility in mols per litre"


def esol_rows(n: int = 150) -> pd.DataFrame:
    from molgdl_datasets.bundled import data_path

    df = pd.read_csv(data_path("esol_delaney-processed.csv")).head(n)
    return pd.DataFrame({"smiles": df["smiles"].str.strip(), "y": df[ESOL_TARGET]})


def write_csv(path: Path, df: pd.DataFrame) -> Path:
    df.to_csv(path, index=False)
    return path


GNN_MEMBER = {
    "featurizer": {"name": "graph2d"},
    "model": {"name": "dmpnn", "hidden_dim": 16, "depth": 2},
    "head": {"hidden_dim": 16, "num_layers": 2},
    "trainer": {"max_epochs": 2, "batch_size": 16, "accelerator": "cpu", "devices": 1, "early_stopping": None,
                "progress_bar": False},
}


def ensemble_config(tmp_path: Path, csv: Path, name: str = "ens", members: dict[str, Any] | None = None,
                    **ensemble: Any) -> dict[str, Any]:
    """An SVM on ECFP4 counts at the top level; members: that SVM, a 3-NN and a ridge (3 inner folds)."""
    if members is None:
        members = {"svm": {}, "knn": {"model": {"name": "knn"}}, "ridge": {"model": {"name": "linear"}}}
    cfg: dict[str, Any] = {
        "run": {"name": name, "output_dir": str(tmp_path / "runs"), "seeds": [0]},
        "data": {"source": {"name": "csv", "path": str(csv), "smiles_column": "smiles",
                            "target_columns": ["y"], "task": "regression"},
                 "cache_dir": str(tmp_path / "cache"), "num_workers": 1, "progress": False},
        "descriptors": [{"name": "ecfp", "radius": 2, "n_bits": 256, "counts": True}],
        "split": {"name": "random", "sizes": [0.8, 0.1, 0.1]},
        "model": {"name": "svm", "kernel": "minmax", "C": 5.0},
        "ensemble": {"inner_folds": 3, "members": members, **ensemble},
    }
    return cfg


def write_config(path: Path, cfg: dict[str, Any]) -> Path:
    Path(path).write_text(yaml.safe_dump(copy.deepcopy(cfg), sort_keys=False))
    return Path(path)


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())
