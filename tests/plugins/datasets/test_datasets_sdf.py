"""SDF reader of molgdl-datasets: a round trip through an SDF written with RDKit in the test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from molgdl.errors import DataError
from molgdl_datasets.factories import sdf_dataset
from molgdl_datasets.params import SdfParams

Chem = pytest.importorskip("rdkit.Chem")
AllChem = pytest.importorskip("rdkit.Chem.AllChem")

# a pentavalent carbon: a syntactically valid block that fails RDKit sanitization
BAD_BLOCK = """bad
     RDKit          3D

  6  5  0  0  0  0  0  0  0  0999 V2000
    0.0000    0.0000    0.0000 C   0  0
    1.3000    0.0000    0.0000 F   0  0
   -1.3000    0.0000    0.0000 F   0  0
    0.0000    1.3000    0.0000 F   0  0
    0.0000   -1.3000    0.0000 F   0  0
    0.0000    0.0000    1.3000 F   0  0
  1  2  1  0
  1  3  1  0
  1  4  1  0
  1  5  1  0
  1  6  1  0
M  END
> <y>
3.0

$$$$
"""


def _embedded(smiles: str, name: str, **props: str):
    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    assert AllChem.EmbedMolecule(mol, randomSeed=7) == 0
    mol.SetProp("_Name", name)
    for k, v in props.items():
        mol.SetProp(k, v)
    return mol


@pytest.fixture
def sdf_file(tmp_path):
    mols = [
        _embedded("CCO", "ethanol", y="1.25", y2="7"),
        _embedded("CN", "methylamine", y="-0.5"),  # y2 missing -> NaN
        _embedded("CC(=O)O", "acetic acid", y="abc", y2="1"),  # non-numeric -> invalid row
    ]
    path = tmp_path / "mols.sdf"
    writer = Chem.SDWriter(str(path))
    for m in mols:
        writer.write(m)
    writer.close()
    with open(path, "a") as fh:
        fh.write(BAD_BLOCK)
    return path, mols


def test_sdf_round_trip(sdf_file):
    path, mols = sdf_file
    table = sdf_dataset(SdfParams(path=str(path), target_columns=["y", "y2"], units={"y": "eV"}))
    assert table.n_read == 4 and len(table) == 2
    assert [r.id for r in table.records] == ["ethanol", "methylamine"]
    assert [r.row for r in table.records] == [1, 2]
    assert table.smiles == [Chem.CanonSmiles("CCO"), Chem.CanonSmiles("CN")]
    np.testing.assert_allclose(table.targets[:, 0], [1.25, -0.5])
    assert table.targets[0, 1] == 7.0 and math.isnan(table.targets[1, 1])
    assert table.units == {"y": "eV"} and table.task == "regression"
    for rec, mol in zip(table.records, mols):
        # hydrogens kept: z and pos cover every atom of the written molecule, in file order
        assert rec.z.dtype == np.int64
        np.testing.assert_array_equal(rec.z, [a.GetAtomicNum() for a in mol.GetAtoms()])
        assert rec.pos.shape == (mol.GetNumAtoms(), 3)
        # the SDF stores 4 decimals
        np.testing.assert_allclose(rec.pos, mol.GetConformer().GetPositions(), atol=1e-4)
        # molblock parses back to the same molecule
        back = Chem.MolFromMolBlock(rec.molblock, removeHs=False)
        assert back.GetNumAtoms() == mol.GetNumAtoms()
        assert Chem.MolToSmiles(Chem.RemoveHs(back)) == rec.smiles
    # C-O bond length of the embedded ethanol is a physical one (Å)
    eth = table.records[0]
    d_co = np.linalg.norm(eth.pos[1] - eth.pos[2])
    assert 1.3 < d_co < 1.55
    reasons = {i.row: i for i in table.invalid}
    assert set(reasons) == {3, 4}
    assert reasons[3].id == "acetic acid" and "'abc'" in reasons[3].reason and "'y'" in reasons[3].reason
    assert "sanitization" in reasons[4].reason.lower() and "valence" in reasons[4].reason.lower()


def test_sdf_2d_record_has_no_pos(tmp_path):
    mol = Chem.MolFromSmiles("CCN")
    AllChem.Compute2DCoords(mol)
    mol.SetProp("y", "2")
    path = tmp_path / "flat.sdf"
    with Chem.SDWriter(str(path)) as w:
        w.write(mol)
    table = sdf_dataset(SdfParams(path=str(path), target_columns=["y"]))
    assert table.records[0].pos is None and list(table.records[0].z) == [6, 6, 7]
    assert table.records[0].id == "row1"


def test_sdf_unknown_property_lists_properties(sdf_file):
    path, _ = sdf_file
    with pytest.raises(DataError) as err:
        sdf_dataset(SdfParams(path=str(path), target_columns=["Y"]))
    msg = str(err.value)
    assert "'Y'" in msg and "did you mean 'y'?" in msg and "['y', 'y2']" in msg


def test_sdf_classification_must_be_binary(sdf_file):
    path, _ = sdf_file
    with pytest.raises(DataError, match="0 or 1"):
        sdf_dataset(SdfParams(path=str(path), target_columns=["y"], task="classification"))


def test_sdf_missing_file(tmp_path):
    with pytest.raises(DataError) as err:
        sdf_dataset(SdfParams(path=str(tmp_path / "none.sdf"), target_columns=["y"]))
    assert str(tmp_path / "none.sdf") in str(err.value)
