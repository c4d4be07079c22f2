"""docs/datasets.md: every dataset component is documented, and every config block in it is valid."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from molgdl.plugins import create_plugin_manager
from molgdl.registry import Registry

DOC = Path(__file__).resolve().parents[3] / "docs" / "datasets.md"


def _registry() -> Registry:
    from molgdl_datasets import hooks

    return Registry(create_plugin_manager(autoload=False, extra_plugins=[hooks]))


def _blocks() -> list[dict]:
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)]


def test_every_dataset_and_param_is_documented():
    text = DOC.read_text()
    registry = _registry()
    for name in registry.names("dataset"):
        assert f"`{name}`" in text, name
        for param in registry.get("dataset", name).params.model_fields:
            assert f"`{param}`" in text, (name, param)
    for source in ("bundled", "npz", "qm9pack", "pyg"):
        assert f"### `source: {source}`" in text


@pytest.mark.parametrize("block", _blocks(), ids=lambda b: b["data"]["source"]["name"])
def test_config_blocks_build_params(block):
    """Only the params are validated (no file is read)."""
    ref = dict(block["data"]["source"])
    spec = _registry().get("dataset", ref.pop("name"))
    spec.build_params(ref)
