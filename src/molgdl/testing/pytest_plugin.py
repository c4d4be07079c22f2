"""pytest plugin shipped with molgdl (entry point ``pytest11``): fixtures for plugin authors.

``molgdl_pm``, ``tiny_table``, ``tiny_table_3d``, ``tiny_graphs``, ``cli``. The contract classes that use
them are in ``molgdl.testing.suites`` (``from molgdl.testing import ModelContract``).
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def molgdl_pm(monkeypatch):
    """A fresh plugin manager with entry-point autoload off (register your plugin module on it)."""
    from molgdl.plugins import create_plugin_manager

    monkeypatch.setenv("MOLGDL_PLUGIN_AUTOLOAD", "0")
    return create_plugin_manager(autoload=False)


@pytest.fixture
def tiny_table():
    """Twelve small molecules with one regression target."""
    from molgdl.testing.molecules import tiny_table as make

    return make()


@pytest.fixture
def tiny_table_3d():
    """Ten small molecules with SMILES, atomic numbers and 3D coordinates (Å, hydrogens included)."""
    from molgdl.testing.molecules import tiny_table_3d as make

    return make()


@pytest.fixture
def tiny_graphs():
    """The ``tiny_table_3d`` molecules as graphs (``TinyGraphFeaturizer``: x [N, 8], edge_attr [E, 4], pos)."""
    from molgdl.testing.molecules import tiny_graphs as make

    return make()


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run the molgdl CLI in-process: ``code, out, err = cli("components", "--json")``."""
    from molgdl.cli import main

    def run(*args: str):
        import contextlib
        import io

        out, err = io.StringIO(), io.StringIO()
        monkeypatch.setenv("COLUMNS", "200")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
        return code, out.getvalue(), err.getvalue()

    monkeypatch.chdir(tmp_path)
    if "MOLGDL_CACHE_DIR" not in os.environ:  # through monkeypatch: restored after the test, not leaked
        monkeypatch.setenv("MOLGDL_CACHE_DIR", str(tmp_path / "cache"))
    return run
