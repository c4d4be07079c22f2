"""Registration of molgdl-datasets: entry point, spec types, params defaults, light imports."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from molgdl.data import MoleculeTable
from molgdl.specs import DatasetSpec, Params

NAMES = {"csv", "dataframe", "sdf", "xyz", "qm9", "esol", "freesolv", "lipo", "bbbp", "rmd17_ethanol", "3bpa", "moleculeace"}


def _specs():
    from molgdl_datasets import hooks

    return {s.name: s for s in hooks.molgdl_datasets()}


def test_entry_point_is_registered():
    eps = {e.name: e.value for e in entry_points(group="molgdl")}
    assert eps.get("datasets") == "molgdl_datasets.hooks"


def test_specs_are_typed_and_documented():
    specs = _specs()
    assert set(specs) == NAMES
    for spec in specs.values():
        assert isinstance(spec, DatasetSpec) and spec.kind == "dataset" and spec.summary
        assert issubclass(spec.params, Params)
        for name, field in spec.params.model_fields.items():
            assert field.description, f"{spec.name}.{name} has no description"
        spec.params.model_json_schema()  # listable by `molgdl components`


@pytest.mark.parametrize("name", sorted(NAMES - {"csv", "dataframe", "sdf", "xyz", "moleculeace"}))  # moleculeace needs `set`
def test_bundled_specs_build_with_default_params(name):
    spec = _specs()[name]
    params = spec.build_params({"limit": 5})
    table = spec.factory(params)
    assert isinstance(table, MoleculeTable) and len(table) == 5
    assert table.units and table.task in {"regression", "classification"}


def test_registry_lookup():
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry
    from molgdl_datasets import hooks

    pm = create_plugin_manager(autoload=False, extra_plugins=[hooks])
    registry = Registry(pm)
    assert NAMES <= set(registry.names("dataset"))
    assert registry.get("dataset", "esol").name == "esol"


def test_registering_imports_no_heavy_modules():
    code = (
        "import sys; from molgdl_datasets import hooks; specs = hooks.molgdl_datasets(); "
        "print(','.join(m for m in ('pandas', 'rdkit', 'torch', 'torch_geometric') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
