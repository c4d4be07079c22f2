"""Fixtures of the streaming predict tests: tiny trained runs (helpers in screen_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from molgdl.cli import main


def _train(tmp: Path, name: str, **sections) -> Path:
    cfg = {"run": {"name": name, "output_dir": str(tmp / "runs"), "seeds": [0, 1]},
           "data": {"source": {"name": "esol", "limit": 150}, "cache_dir": str(tmp / "cache"), "progress": False,
                    "num_workers": 1}, **sections}
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert main(["run", str(path)]) == 0
    return tmp / "runs" / name


@pytest.fixture(scope="session")
def forest_run(tmp_path_factory) -> Path:
    """A two-seed random forest on ECFP counts: fast to apply, exact to compare."""
    return _train(tmp_path_factory.mktemp("forest"), "forest",
                  descriptors=[{"name": "ecfp", "radius": 2, "n_bits": 256, "counts": True}],
                  model={"name": "random_forest", "n_estimators": 20, "n_jobs": 1})


@pytest.fixture(scope="session")
def dmpnn_run(tmp_path_factory) -> Path:
    """A two-seed D-MPNN with a mean-variance head (``_unc``, ``_lower``, ``_upper`` columns)."""
    return _train(tmp_path_factory.mktemp("dmpnn"), "dmpnn",
                  model={"name": "dmpnn", "hidden_dim": 16, "depth": 2}, head={"hidden_dim": 16},
                  trainer={"max_epochs": 1, "batch_size": 32, "progress_bar": False, "accelerator": "cpu"},
                  uncertainty={"estimator": {"name": "mve"}, "calibrator": {"name": "zscaling"}, "coverage": 0.9})


@pytest.fixture(scope="session")
def ensemble_run(tmp_path_factory) -> Path:
    """An ensemble of a ridge regression and a 3-NN on ECFP counts (weights by stacking out-of-fold)."""
    return _train(tmp_path_factory.mktemp("ensemble"), "ensemble",
                  descriptors=[{"name": "ecfp", "radius": 2, "n_bits": 256, "counts": True}],
                  model={"name": "linear"},
                  ensemble={"inner_folds": 3, "members": {"ridge": {}, "knn": {"model": {"name": "knn"}}}})
