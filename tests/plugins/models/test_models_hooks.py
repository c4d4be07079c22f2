"""Registration: specs, params models, light imports, picklable factories."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pluggy
import pytest
from pydantic import ValidationError

from molgdl import hookspecs
from molgdl.specs import FeatureDims, ModelSpec, Params, ReadoutSpec


def plugin_manager():
    from molgdl_models import hooks

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(hooks, name="models")
    pm.check_pending()
    return pm


def test_entry_point_is_installed():
    from importlib.metadata import entry_points

    eps = {ep.name: ep.value for ep in entry_points(group="molgdl")}
    assert eps.get("models") == "molgdl_models.hooks"


def test_registered_names_and_kinds():
    pm = plugin_manager()
    models = [s for specs in pm.hook.molgdl_models() for s in specs]
    readouts = [s for specs in pm.hook.molgdl_readouts() for s in specs]
    assert {s.name: s.family for s in models} == {
        "dmpnn": "encoder", "gine": "encoder", "schnet": "encoder", "random_forest": "classical",
        "svm": "classical", "knn": "classical", "linear": "classical", "lightgbm": "classical",
        "gp": "classical"}
    assert [s.name for s in readouts] == ["sum", "mean", "max", "atomwise", "attention", "set2set"]
    assert all(isinstance(s, ModelSpec) for s in models)
    assert all(isinstance(s, ReadoutSpec) for s in readouts)
    assert {s.name: s.symmetry for s in models}["schnet"] == frozenset({"E3", "permutation"})


def test_params_models_have_defaults_descriptions_and_forbid_extras():
    pm = plugin_manager()
    specs = [s for specs in pm.hook.molgdl_models() + pm.hook.molgdl_readouts() for s in specs]
    for spec in specs:
        assert issubclass(spec.params, Params)
        spec.build_params()  # every field has a default
        for name, field in spec.params.model_fields.items():
            assert field.description, f"{spec.name}.{name} has no description"
        if spec.params.model_fields:
            with pytest.raises(ValidationError):
                spec.build_params({"no_such_key": 1})


def test_hooks_import_no_torch():
    code = (
        "import sys, molgdl\n"
        "before = {m for m in ('torch', 'torch_geometric', 'sklearn') if m in sys.modules}\n"
        "import molgdl_models.hooks as h; h.molgdl_models(); h.molgdl_readouts()\n"
        "after = {m for m in ('torch', 'torch_geometric', 'sklearn') if m in sys.modules}\n"
        "print(sorted(after - before))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_factories_build_and_pickle():
    pm = plugin_manager()
    dims = FeatureDims(atom_dim=5, bond_dim=3, is_3d=True)
    for spec in (s for specs in pm.hook.molgdl_models() for s in specs):
        pickle.loads(pickle.dumps(spec.factory))
        if spec.family == "encoder":
            model = spec.factory(spec.build_params(), dims)
            assert isinstance(model.out_dim, int) and model.out_dim > 0
            pickle.loads(pickle.dumps(model))
    for spec in (s for specs in pm.hook.molgdl_readouts() for s in specs):
        pickle.loads(pickle.dumps(spec.factory))
        readout = spec.factory(spec.build_params(), 12)
        assert readout.out_dim == (24 if spec.name == "set2set" else 12)
