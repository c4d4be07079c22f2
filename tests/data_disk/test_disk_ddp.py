"""Two-process CPU DDP trains from the disk store as from memory: the same predictions for the same seed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml


def _run(tmp_path: Path, storage: str) -> pd.DataFrame:
    cfg = {
        "run": {"name": storage, "output_dir": str(tmp_path / "runs"), "seeds": [0]},
        "data": {"source": {"name": "esol", "limit": 160}, "cache_dir": str(tmp_path / "cache"), "progress": False,
                 "storage": storage},
        "featurizer": {"name": "graph2d"},
        "descriptors": [{"name": "rdkit2d", "names": ["MolWt", "TPSA"]}],
        "model": {"name": "dmpnn", "hidden_dim": 32, "depth": 2},
        "head": {"hidden_dim": 32},
        "trainer": {"max_epochs": 2, "batch_size": 16, "progress_bar": False, "accelerator": "cpu",
                    "early_stopping": None, "strategy": "ddp", "devices": 2},
    }
    path = tmp_path / f"{storage}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-m", "molgdl.cli", "run", str(path)], capture_output=True, text=True,
                         env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return pd.read_csv(tmp_path / "runs" / storage / "seed_0" / "predictions.csv")


@pytest.mark.slow
def test_ddp_on_disk_storage_predicts_as_ddp_in_memory(tmp_path):
    memory, disk = _run(tmp_path, "memory"), _run(tmp_path, "disk")
    column = [c for c in memory.columns if c.endswith("_pred")][0]
    assert np.isfinite(memory[column]).all() and memory[column].std() > 0
    np.testing.assert_allclose(disk[column].to_numpy(), memory[column].to_numpy(), rtol=0, atol=1e-6)
    assert "on disk" in (tmp_path / "runs" / "disk" / "run.log").read_text()
