"""Fingerprint descriptor sets against RDKit's older, independent fingerprint functions and hand counts."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from pydantic import ValidationError
from rdkit import Chem, DataStructs, rdBase
from rdkit.Avalon import pyAvalonTools
from rdkit.Chem import AllChem, MACCSkeys
from rdkit.Chem import rdMolDescriptors as rd

from molgdl.data import MoleculeRecord
from molgdl_rdkit import hooks

SMILES = ["CC(=O)Oc1ccccc1C(=O)O", "CCO", "c1ccc2ccccc2c1", "C[N+](C)(C)C", "OC(=O)C[C@H](N)C(=O)O", "ClC(Cl)Cl",
          "CCCCCC"]
SPECS = {s.name: s for s in hooks.molgdl_descriptors()}


def fingerprint(name: str, **params):
    spec = SPECS[name]
    return spec.factory(spec.build_params(params))


def compute(name: str, smiles: str, **params) -> np.ndarray:
    return fingerprint(name, **params).compute(MoleculeRecord(id="m", smiles=smiles, row=1))


def bits(bv) -> np.ndarray:
    out = np.zeros(bv.GetNumBits())
    DataStructs.ConvertToNumpyArray(bv, out)
    return out


def counts(sparse, n: int) -> np.ndarray:
    out = np.zeros(n)
    for index, value in sparse.GetNonzeroElements().items():
        out[index] = value
    return out


# (name, params, reference computed with RDKit's pre-generator API or the module's own function)
REFERENCES = [
    ("ecfp", {"radius": 1}, lambda m: bits(AllChem.GetMorganFingerprintAsBitVect(m, 1, nBits=2048))),
    ("ecfp", {"radius": 3}, lambda m: bits(AllChem.GetMorganFingerprintAsBitVect(m, 3, nBits=2048))),
    ("ecfp", {"radius": 2, "counts": True}, lambda m: counts(AllChem.GetHashedMorganFingerprint(m, 2, nBits=2048), 2048)),
    ("fcfp", {"radius": 2}, lambda m: bits(AllChem.GetMorganFingerprintAsBitVect(m, 2, nBits=2048, useFeatures=True))),
    ("fcfp", {"radius": 3, "counts": True, "n_bits": 1024},
     lambda m: counts(AllChem.GetHashedMorganFingerprint(m, 3, nBits=1024, useFeatures=True), 1024)),
    ("atompair", {}, lambda m: bits(rd.GetHashedAtomPairFingerprintAsBitVect(m, nBits=2048))),
    ("atompair", {"counts": True}, lambda m: counts(rd.GetHashedAtomPairFingerprint(m, nBits=2048), 2048)),
    ("torsion", {}, lambda m: bits(rd.GetHashedTopologicalTorsionFingerprintAsBitVect(m, nBits=2048))),
    ("torsion", {"counts": True}, lambda m: counts(rd.GetHashedTopologicalTorsionFingerprint(m, nBits=2048), 2048)),
    ("rdkit_path", {}, lambda m: bits(Chem.RDKFingerprint(m, minPath=1, maxPath=7, fpSize=2048))),
    ("rdkit_path", {"max_path": 4, "n_bits": 512}, lambda m: bits(Chem.RDKFingerprint(m, maxPath=4, fpSize=512))),
    ("maccs", {}, lambda m: bits(MACCSkeys.GenMACCSKeys(m))),
    ("avalon", {}, lambda m: bits(pyAvalonTools.GetAvalonFP(m, nBits=1024))),
    ("avalon", {"counts": True, "n_bits": 512}, lambda m: counts(pyAvalonTools.GetAvalonCountFP(m, nBits=512), 512)),
]


@pytest.mark.parametrize("name,params,reference", REFERENCES, ids=[f"{n}-{p}" for n, p, _ in REFERENCES])
def test_fingerprints_equal_rdkits_independent_functions(name, params, reference):
    with rdBase.BlockLogs():  # the older functions log deprecation warnings
        for smiles in SMILES:
            got = compute(name, smiles, **params)
            expected = reference(Chem.MolFromSmiles(smiles))
            assert got.dtype == np.float64 and got.shape == expected.shape
            np.testing.assert_array_equal(got, expected, err_msg=f"{name} {params} of {smiles}")


def test_hand_counted_features():
    # ECFP counts of ethanol: 3 atoms at radius 0, 3 more environments at radius 1; at radius 2 every
    # environment covers bonds already covered, so RDKit drops it as redundant
    assert [compute("ecfp", "CCO", radius=r, counts=True).sum() for r in (0, 1, 2)] == [3, 6, 6]
    # atom pairs: every pair of heavy atoms once, n (n - 1) / 2
    assert compute("atompair", "CCO", counts=True).sum() == 3
    assert compute("atompair", "CCCCCC", counts=True).sum() == 15
    # topological torsions: linear 4-atom paths of a chain of n atoms, n - 3
    assert compute("torsion", "CCCC", counts=True).sum() == 1
    assert compute("torsion", "CCCCCC", counts=True).sum() == 3
    # MACCS of benzene: aromatic ring (162), 6-membered ring (163), ring (165); bit 0 is never set
    assert np.nonzero(compute("maccs", "c1ccccc1"))[0].tolist() == [162, 163, 165]
    # pharmacophoric (FCFP) and connectivity (ECFP) invariants hash phenol differently
    assert not np.array_equal(compute("ecfp", "Oc1ccccc1"), compute("fcfp", "Oc1ccccc1"))


def test_bits_are_counts_above_zero_for_morgan_and_paths():
    for name in ("ecfp", "fcfp", "rdkit_path"):
        for smiles in SMILES:
            c, b = compute(name, smiles, counts=True), compute(name, smiles)
            np.testing.assert_array_equal(c > 0, b > 0, err_msg=f"{name} {smiles}")
            assert (c >= 0).all() and np.array_equal(c, np.round(c))


def test_names_lengths_and_pickling():
    fp = fingerprint("ecfp", radius=3, n_bits=64, counts=True)
    assert fp.names[0] == "ecfp_count_r3_0" and len(fp.names) == 64
    assert len(fingerprint("maccs").names) == 167 and fingerprint("maccs").names[5] == "maccs_5"
    assert fingerprint("atompair", n_bits=128).names[-1] == "atompair_127"
    record = MoleculeRecord(id="m", smiles=SMILES[0], row=1)
    for name in hooks.FINGERPRINTS:
        fp = fingerprint(name)
        before = fp.compute(record)
        clone = pickle.loads(pickle.dumps(fp))
        assert clone._fn is None, "the RDKit generator must not travel to worker processes"
        np.testing.assert_array_equal(clone.compute(record), before)
        assert before.shape == (len(fp.names),)


def test_params_are_checked():
    with pytest.raises(ValidationError, match="max_distance"):
        SPECS["atompair"].build_params({"min_distance": 5, "max_distance": 2})
    with pytest.raises(ValidationError, match="max_path"):
        SPECS["rdkit_path"].build_params({"min_path": 6, "max_path": 3})
    with pytest.raises(ValidationError):
        SPECS["maccs"].build_params({"counts": True})
    with pytest.raises(ValidationError):
        SPECS["ecfp"].build_params({"radius": -1})


def test_existing_morgan_descriptor_is_unchanged_and_equals_ecfp():
    record = MoleculeRecord(id="m", smiles=SMILES[0], row=1)
    morgan = SPECS["morgan"].factory(SPECS["morgan"].build_params({"radius": 2, "n_bits": 2048}))
    assert morgan.names[0] == "morgan_r2_0"
    np.testing.assert_array_equal(morgan.compute(record), compute("ecfp", SMILES[0]))
