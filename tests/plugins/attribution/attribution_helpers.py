"""Shared by the attribution tests: train a config with ``molgdl run`` under its own feature cache."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml


def run_yaml(root: Path, cfg: dict) -> Path:
    """Write ``cfg`` to ``root/<run.name>.yaml``, run it with ``MOLGDL_CACHE_DIR=root/cache``; the run folder."""
    from molgdl.cli import main

    name = cfg["run"]["name"]
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOLGDL_CACHE_DIR", str(root / "cache"))
        assert main(["run", str(path)]) == 0
    return Path(cfg["run"]["output_dir"]) / name
