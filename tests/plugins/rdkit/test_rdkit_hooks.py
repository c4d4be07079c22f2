"""Registration: spec kinds and names, lazy heavy imports, entry point, factories."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

from molgdl.specs import DescriptorSpec, FeaturizerSpec, SplitterSpec
from molgdl_rdkit import hooks


def test_specs():
    featurizers = {s.name: s for s in hooks.molgdl_featurizers()}
    descriptors = {s.name: s for s in hooks.molgdl_descriptors()}
    splitters = {s.name: s for s in hooks.molgdl_splitters()}
    assert set(featurizers) == {"graph2d", "conformer3d"} and {"rdkit2d", "morgan", *hooks.FINGERPRINTS} <= set(descriptors)
    assert set(splitters) == {"scaffold"}
    assert all(isinstance(s, FeaturizerSpec) for s in featurizers.values())
    assert all(isinstance(s, DescriptorSpec) for s in descriptors.values())
    assert isinstance(splitters["scaffold"], SplitterSpec)
    for spec in [*featurizers.values(), *descriptors.values(), *splitters.values()]:
        assert spec.summary and spec.build_params({}) is not None


def test_factories_build_working_components():
    from molgdl.data import MoleculeRecord

    record = MoleculeRecord(id="a", smiles="CCO", row=1)
    for spec in hooks.molgdl_featurizers():
        component = spec.factory(spec.build_params({}))
        (data,) = component.featurize(record)
        assert data.x.shape[1] == component.dims.atom_dim and isinstance(component.version, str)
    morgan = next(s for s in hooks.molgdl_descriptors() if s.name == "morgan")
    fp = morgan.factory(morgan.build_params({"radius": 1, "n_bits": 128, "counts": True}))
    assert fp.compute(record).shape == (128,)


def test_hooks_import_is_light():
    code = (
        "import sys, molgdl_rdkit.hooks; "
        "heavy = [m for m in ('rdkit', 'torch', 'torch_geometric') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_entry_point():
    (ep,) = [e for e in entry_points(group="molgdl") if e.name == "rdkit"]
    assert ep.value == "molgdl_rdkit.hooks" and ep.load() is hooks
