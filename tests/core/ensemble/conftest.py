"""Fixtures of the ensemble tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def esol_csv(tmp_path):
    from ensemble_helpers import esol_rows, write_csv

    return write_csv(tmp_path / "esol150.csv", esol_rows(150))
