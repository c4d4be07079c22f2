"""The fewshot task end to end on a bundled MoleculeACE set with a tiny pretrained encoder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import molgdl
import molgdl_datasets
from molgdl.errors import ConfigError

SLICE = Path(__file__).parents[2] / "pretrain" / "data" / "moses_train_240.csv"
SET = Path(molgdl_datasets.__file__).parent / "data" / "moleculeace_CHEMBL2047_EC50.csv"


@pytest.fixture(scope="module")
def tiny_pretrained(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fs")
    return molgdl.run({"task": "pretrain", "run": {"name": "pre", "output_dir": str(out)},
                       "data": {"path": str(SLICE), "val_molecules": 20, "max_molecules": 32},
                       "model": {"name": "dmpnn", "hidden_dim": 8, "depth": 2}, "head": {"hidden_dim": 8},
                       "trainer": {"batch_size": 16}}).path


def test_every_arm_on_every_episode(tiny_pretrained, tmp_path):
    run = molgdl.run({"task": "fewshot", "run": {"name": "fs", "output_dir": str(tmp_path)},
                      "pretrained": str(tiny_pretrained), "data": {"path": str(SET)}, "sizes": [16, 24],
                      "draws": 2, "finetune": {"epochs": 2, "head_hidden": 8}, "rf": {"name": "random_forest",
                                                                                    "n_estimators": 10}})
    records = [json.loads(line) for line in (run.path / "episodes.jsonl").read_text().splitlines()]
    assert sorted((r["size"], r["draw"]) for r in records) == [(16, 0), (16, 1), (24, 0), (24, 1)]
    for r in records:
        assert set(r["rmse"]) == {"protonet", "knn", "finetune", "scratch", "svm", "rf"}
        assert all(np.isfinite(v) and v > 0 for v in r["rmse"].values())
    summary = json.loads((run.path / "summary.json").read_text())
    mean16 = np.mean([r["rmse"]["svm"] for r in records if r["size"] == 16])
    assert summary["test"]["rmse"]["svm_k16"] == pytest.approx(mean16)


def test_missing_pretrained_run_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        molgdl.run({"task": "fewshot", "run": {"name": "fs", "output_dir": str(tmp_path)},
                    "pretrained": str(tmp_path / "none"), "data": {"path": str(SET)}})
