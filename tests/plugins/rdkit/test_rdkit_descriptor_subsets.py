"""``rdkit2d`` with ``names`` and ``rdkit2d_fast``: the same values as the full set's columns, only the named
descriptors computed, and clear messages for names that do not exist."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from molgdl.data import MoleculeRecord
from molgdl.errors import ConfigError
from molgdl_rdkit.descriptors import FAST_EXCLUDED, RDKit2DDescriptors, RDKit2DFastDescriptors, fast_names
from molgdl_rdkit.params import RDKit2DParams

SMILES = ["CC(=O)Nc1ccc(O)cc1", "c1ccc2ccccc2c1", "OCC(O)CO", "CCN(CC)C(=O)c1cccnc1", "Clc1ccc(Cl)cc1"]


def _records():
    return [MoleculeRecord(id=str(i), smiles=s, row=i + 2) for i, s in enumerate(SMILES)]


def test_named_subset_equals_the_full_set_columns_in_the_given_order():
    full = RDKit2DDescriptors(RDKit2DParams())
    names = ["TPSA", "Ipc", "MolWt", "fr_benzene"]
    sub = RDKit2DDescriptors(RDKit2DParams(names=names))
    assert sub.names == ["TPSA", "Ipc_log1p", "MolWt", "fr_benzene"]  # Ipc is reported as log1p(Ipc)
    assert len(sub._callables()) == len(names)  # only these are computed
    cols = [full.names.index(n) for n in sub.names]
    for rec in _records():
        assert np.array_equal(sub.compute(rec), full.compute(rec)[cols])
    assert RDKit2DDescriptors(RDKit2DParams(names=["Ipc_log1p"])).names == ["Ipc_log1p"]


def test_default_params_keep_every_descriptor():
    from rdkit.Chem import Descriptors

    assert RDKit2DDescriptors(RDKit2DParams()).raw_names == [n for n, _ in Descriptors._descList]


def test_fast_set_is_the_full_set_without_the_excluded_descriptors():
    from rdkit.Chem import Descriptors

    full = RDKit2DDescriptors(RDKit2DParams())
    fast = RDKit2DFastDescriptors(None)
    all_names = [n for n, _ in Descriptors._descList]
    assert set(FAST_EXCLUDED) <= set(all_names)  # every excluded name exists in this RDKit
    assert fast.raw_names == [n for n in all_names if n not in FAST_EXCLUDED] == fast_names()
    assert 0 < len(fast.names) < len(full.names)
    cols = [full.names.index(n) for n in fast.names]
    for rec in _records():
        assert np.array_equal(fast.compute(rec), full.compute(rec)[cols], equal_nan=True)


def test_unknown_name_says_which_and_suggests():
    with pytest.raises(ConfigError, match="no descriptor named 'TPSa'") as info:
        RDKit2DDescriptors(RDKit2DParams(names=["MolWt", "TPSa"]))
    assert "'TPSA'" in info.value.hint


@pytest.mark.parametrize("names, message", [([], "empty list"), (["TPSA", "MolWt", "TPSA"], "more than once")])
def test_empty_or_repeated_names_are_refused(names, message):
    with pytest.raises(ValidationError, match=message):
        RDKit2DParams(names=names)


def test_both_sets_are_registered_and_build_from_a_config(molgdl_pm):
    import molgdl_rdkit.hooks as hooks
    from molgdl.registry import Registry

    molgdl_pm.register(hooks, name="rdkit")
    registry = Registry(molgdl_pm)
    assert {"rdkit2d", "rdkit2d_fast"} <= set(registry.names("descriptor"))
    specs = {name: registry.get("descriptor", name) for name in ("rdkit2d", "rdkit2d_fast")}
    built = specs["rdkit2d"].factory(specs["rdkit2d"].params(names=["MolLogP"]))
    assert built.names == ["MolLogP"]
    assert specs["rdkit2d_fast"].factory(specs["rdkit2d_fast"].params()).names == RDKit2DFastDescriptors(None).names


def test_rdkit2d_without_names_keeps_its_cache_key_and_recorded_config():
    from molgdl.data.cache import cache_key
    from molgdl.specs import NoParams

    assert RDKit2DParams().model_dump(mode="json") == NoParams().model_dump(mode="json") == {}
    before = cache_key("t", "rdkit2d", NoParams().model_dump(mode="json"), "2", "molgdl-rdkit")
    assert cache_key("t", "rdkit2d", RDKit2DParams().model_dump(mode="json"), "2", "molgdl-rdkit") == before
    assert RDKit2DParams(names=["TPSA"]).model_dump(mode="json") == {"names": ["TPSA"]}
