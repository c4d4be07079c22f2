"""A tiny trained run shared by the API tests and the doctests (``trained`` in the API docstrings)."""

from __future__ import annotations

from pathlib import Path

import pytest

#: The config of ``molgdl.api.run``'s docstring example: D-MPNN (hidden 16) on 40 ESOL molecules, 2 epochs.
TINY = {"data": {"source": {"name": "esol", "limit": 40}, "progress": False},
        "model": {"name": "dmpnn", "hidden_dim": 16, "depth": 2},
        "trainer": {"max_epochs": 2, "batch_size": 16, "progress_bar": False, "accelerator": "cpu"}}


@pytest.fixture
def tiny_config() -> dict:
    """A copy of ``TINY``."""
    import copy

    return copy.deepcopy(TINY)


@pytest.fixture(scope="session")
def api_workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("api")


@pytest.fixture(scope="session")
def trained(api_workdir):
    """A finished run (``molgdl.api.Run``) of ``TINY`` in its own folder."""
    import molgdl

    return molgdl.run(TINY, run={"name": "trained", "output_dir": str(api_workdir / "runs")},
                      data={"cache_dir": str(api_workdir / "cache")})
