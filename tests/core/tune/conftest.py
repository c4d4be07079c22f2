"""Fixtures of the ``molgdl tune`` tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def esol_csv(tmp_path):
    from tune_helpers import esol_rows, write_csv

    return write_csv(tmp_path / "esol150.csv", esol_rows(150))
