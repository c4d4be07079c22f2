"""Shared fixtures of the molgdl test suite (the plugin fixtures ``molgdl_pm``, ``tiny_table`` and ``cli``
come from ``molgdl.testing.pytest_plugin``)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def run_cli(tmp_path, monkeypatch, capsys):
    """In-process CLI: ``code, out, err = run_cli("run", cfg_path, ...)``; stdout/stderr captured, never a
    traceback. Runs in ``tmp_path`` with the cache under it and plugin switches cleared."""
    from molgdl.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "1000")
    monkeypatch.setenv("MOLGDL_CACHE_DIR", str(tmp_path / "cache"))
    # --no-plugins writes MOLGDL_PLUGIN_AUTOLOAD into os.environ: setting the variables through monkeypatch
    # (to their neutral values) makes sure the original environment is restored after the test.
    monkeypatch.setenv("MOLGDL_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("MOLGDL_DISABLE_PLUGINS", "")

    def run(*args: Any) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err, out + err
        return code, out, err

    return run
