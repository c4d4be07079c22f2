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


@pytest.fixture
def assert_same_batch():
    """``assert_same_batch(fast, slow)``: two ``torch_geometric`` batches have the same attributes (NaN equal to
    NaN), the same graph boundaries and node offsets per key, and separate back into the same graphs."""
    import torch

    def check(fast, slow) -> None:
        assert type(fast).__name__ == type(slow).__name__
        assert sorted(fast.keys()) == sorted(slow.keys())
        for key in slow.keys():
            a, b = fast[key], slow[key]
            assert a.dtype == b.dtype and a.shape == b.shape, key
            assert torch.equal(torch.nan_to_num(a, 7.0), torch.nan_to_num(b, 7.0)), key
        assert fast.num_graphs == slow.num_graphs
        for key in slow.keys():
            if key not in ("batch", "ptr"):
                assert torch.equal(fast._slice_dict[key], slow._slice_dict[key]), key
                assert torch.equal(fast._inc_dict[key], slow._inc_dict[key]), key
        for a, b in zip(fast.to_data_list(), slow.to_data_list()):  # the batch separates back into the same graphs
            for key in b.keys():
                assert torch.equal(torch.nan_to_num(a[key], 7.0), torch.nan_to_num(b[key], 7.0)), key

    return check
