"""rdkit2d and morgan descriptors against RDKit called directly."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from pydantic import ValidationError
from rdkit import Chem
from rdkit.Chem import Descriptors, rdFingerprintGenerator

from molgdl.data import MoleculeRecord
from molgdl.errors import FeaturizationError
from molgdl_rdkit.descriptors import MorganFingerprint, RDKit2DDescriptors
from molgdl_rdkit.params import MorganParams

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
SMILES = [ASPIRIN, "CCO", "c1ccc2ccccc2c1", "C[N+](C)(C)C", "OC(=O)C[C@H](N)C(=O)O", "ClC(Cl)Cl"]


def rec(smiles: str) -> MoleculeRecord:
    return MoleculeRecord(id="d", smiles=smiles, row=2)


def test_rdkit2d_full_set_and_values():
    desc = RDKit2DDescriptors()
    assert desc.raw_names == [name for name, _ in Descriptors._descList]
    assert desc.names == [("Ipc_log1p" if name == "Ipc" else name) for name in desc.raw_names]
    assert len(desc.names) == len(Descriptors._descList) > 200
    values = desc.compute(rec(ASPIRIN))
    assert values.shape == (len(desc.names),) and values.dtype == np.float64
    mol = Chem.MolFromSmiles(ASPIRIN)
    assert values[desc.names.index("MolWt")] == pytest.approx(Descriptors.MolWt(mol), rel=1e-12)
    assert values[desc.names.index("MolWt")] == pytest.approx(180.159, abs=1e-3)
    assert values[desc.names.index("NumHDonors")] == 1 and values[desc.names.index("RingCount")] == 1
    for name, function in Descriptors._descList[::17]:  # a spread of descriptors, called directly
        expected = function(mol)
        got = values[desc.raw_names.index(name)]
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12) or (
            np.isnan(got) and not np.isfinite(expected)
        )


def test_rdkit2d_non_finite_and_failing_descriptors_give_nan():
    desc = RDKit2DDescriptors()
    desc._callables()
    desc._functions[0] = lambda mol: float("inf")
    desc._functions[1] = lambda mol: 1 / 0
    values = desc.compute(rec("CCO"))
    assert np.isnan(values[0]) and np.isnan(values[1]) and np.isfinite(values[2:]).sum() > 150


def test_rdkit2d_pickles_without_callables():
    desc = RDKit2DDescriptors()
    desc.compute(rec("CCO"))
    clone = pickle.loads(pickle.dumps(desc))
    assert clone._functions is None
    assert np.array_equal(clone.compute(rec(ASPIRIN)), desc.compute(rec(ASPIRIN)), equal_nan=True)


@pytest.mark.parametrize("counts", [False, True])
@pytest.mark.parametrize(("radius", "n_bits"), [(2, 2048), (3, 1024), (1, 64)])
def test_morgan_equals_rdkit_generator(radius, n_bits, counts):
    fp = MorganFingerprint(MorganParams(radius=radius, n_bits=n_bits, counts=counts))
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    assert len(fp.names) == n_bits
    for smiles in SMILES:
        mol = Chem.MolFromSmiles(smiles)
        if counts:
            expected = generator.GetCountFingerprintAsNumPy(mol)
        else:
            expected = np.zeros(n_bits)
            expected[list(generator.GetFingerprint(mol).GetOnBits())] = 1
        got = fp.compute(rec(smiles))
        assert got.dtype == np.float64 and got.shape == (n_bits,)
        assert np.array_equal(got, expected)


def test_morgan_defaults_pickle_and_errors():
    fp = MorganFingerprint(MorganParams())
    assert (fp.radius, fp.n_bits, fp.counts) == (2, 2048, False)
    clone = pickle.loads(pickle.dumps(fp))
    assert np.array_equal(clone.compute(rec(ASPIRIN)), fp.compute(rec(ASPIRIN)))
    assert fp.compute(rec(ASPIRIN)).sum() > 10
    with pytest.raises(FeaturizationError, match="could not be parsed"):
        fp.compute(rec("C1CC"))
    with pytest.raises(FeaturizationError):
        RDKit2DDescriptors().compute(rec("not a smiles"))
    with pytest.raises(ValidationError):
        MorganParams(n_bits=0)
    with pytest.raises(ValidationError):
        MorganParams(nbits=1024)


# a 27-residue peptide of CHEMBL204_Ki (MoleculeACE) whose Ipc is 4.5e58, far beyond float32's 3.4e38
PEPTIDE = ("CC[C@H](C)[C@H](NC(=O)[C@H](CCC(=O)O)NC(=O)[C@H](CCC(=O)O)NC(=O)[C@H](Cc1ccccc1)NC(=O)[C@H](CC(=O)O)"
           "NC(=O)CNC(=O)[C@H](CC(=O)O)NC(=O)[C@H](CC(N)=O)NC(=O)[C@H](Cc1c[nH]cn1)NC(=O)[C@H](CO)NC(=O)[C@H]"
           "(CCC(N)=O)NC(=O)CCC(=O)[C@H](CCCN=C(N)N)NC(=O)[C@@H]1CCCN1C(=O)[C@H](Cc1ccccc1)NC(C)=O)C(=O)N1CCC"
           "[C@H]1C(=O)N[C@@H](CCC(=O)O)C(=O)N[C@@H](CCC(=O)O)C(=O)N[C@@H](Cc1ccc(O)cc1)C(=O)N[C@@H](CC(C)C)"
           "C(=O)N[C@@H](CCC(N)=O)C(=O)O")


@pytest.mark.parametrize("smiles", [PEPTIDE, ASPIRIN, "C"])
def test_rdkit2d_ipc_is_reported_as_log1p(smiles):
    desc = RDKit2DDescriptors()
    values = desc.compute(rec(smiles))
    raw = Descriptors.Ipc(Chem.MolFromSmiles(smiles))
    got = values[desc.names.index("Ipc_log1p")]
    assert got == pytest.approx(np.log1p(raw), rel=1e-12)
    assert np.isfinite(values.astype(np.float32)[desc.names.index("Ipc_log1p")])
    if smiles == PEPTIDE:
        assert raw > np.finfo(np.float32).max and 134 < got < 136  # log(4.5e58) = 135.05


def test_rdkit2d_cache_version_changed_with_the_ipc_transform():
    assert RDKit2DDescriptors.version != "0"  # raw-Ipc matrices cached by earlier versions are not reused
    restored = pickle.loads(pickle.dumps(RDKit2DDescriptors()))
    assert restored.compute(rec(PEPTIDE)) == pytest.approx(RDKit2DDescriptors().compute(rec(PEPTIDE)), nan_ok=True)
