"""Paths of the MOSES slices shipped in ``molgdl_generate/data`` (provenance and license: data/LICENSES.md)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

BUNDLED = {"moses_train_2000": "moses_train_2000.csv", "moses_test_500": "moses_test_500.csv"}


def bundled_path(name: str) -> Path:
    """The file of a bundled slice, e.g. ``bundled_path("moses_train_2000")``."""
    return Path(str(resources.files("molgdl_generate") / "data" / BUNDLED[name]))


def resolve_data(path: str | Path) -> Path:
    """A bundled slice's name (``moses_train_2000``, ``moses_test_500``) or a file path."""
    return bundled_path(str(path)) if str(path) in BUNDLED else Path(path)
