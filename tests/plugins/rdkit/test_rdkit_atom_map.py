"""``atom_environments`` of the fingerprint sets (``molgdl_rdkit.atom_map``): which atoms set each column,
checked against the fingerprints' own values, RDKit's legacy Morgan ``bitInfo`` and topological distances."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from rdkit import Chem

from molgdl.data import MoleculeRecord
from molgdl_rdkit import hooks

SMILES = ["CC(=O)Oc1ccccc1C(=O)O", "CCCCCO", "c1ccc2ccccc2c1", "OC(=O)C[C@H](N)C(=O)O",
          "CN1CCN(CC1)c1ccc(NC(=O)c2ccccc2)cc1", "[Na+].CC(=O)[O-]"]
SPECS = {s.name: s for s in hooks.molgdl_descriptors()}
MAPPED = ["ecfp", "fcfp", "morgan", "atompair", "torsion", "rdkit_path"]


def build(name: str, **params):
    spec = SPECS[name]
    return pickle.loads(pickle.dumps(spec.factory(spec.build_params(params))))  # as worker processes get it


def record(smiles: str) -> MoleculeRecord:
    return MoleculeRecord(id="m", smiles=smiles, row=1)


@pytest.mark.parametrize("name", MAPPED)
@pytest.mark.parametrize("counts", [False, True])
def test_columns_are_the_fingerprint_and_occurrences_its_counts(name, counts):
    """Exactly the non-zero columns have atoms; with counts, one atom tuple per counted occurrence."""
    fp = build(name, counts=counts)
    for smiles in SMILES:
        mol = Chem.MolFromSmiles(smiles)
        values = fp.compute(record(smiles))
        env = fp.atom_environments(record(smiles))
        assert set(env) == set(np.flatnonzero(values).tolist()), (name, smiles)
        for col, occ in env.items():
            assert occ and all(0 <= a < mol.GetNumAtoms() for o in occ for a in o)
            if counts:
                assert len(occ) == values[col], (name, smiles, col)


def test_morgan_environments_match_legacy_bit_info_and_distances():
    """Centres from RDKit's legacy ``GetMorganFingerprintAsBitVect(bitInfo=...)``; the atoms of an occurrence
    are those within ``radius`` bonds of its centre (topological distance matrix)."""
    from rdkit.Chem import AllChem

    fp = build("ecfp", radius=2, counts=False)
    for smiles in SMILES:
        mol = Chem.MolFromSmiles(smiles)
        dist = Chem.GetDistanceMatrix(mol)
        info: dict = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            AllChem.GetMorganFingerprintAsBitVect(mol, 2, nBits=2048, bitInfo=info)
        env = fp.atom_environments(record(smiles))
        assert set(env) == set(info)
        for bit, hits in info.items():
            expected = sorted(tuple(sorted(np.flatnonzero(dist[c] <= r).tolist())) for c, r in hits)
            assert sorted(tuple(sorted(o)) for o in env[bit]) == expected, (smiles, bit)
            assert sorted(o[0] for o in env[bit]) == sorted(c for c, _ in hits)  # the centre comes first


def test_pairs_torsions_and_paths_are_connected_atoms():
    mol_smiles = SMILES[4]
    mol = Chem.MolFromSmiles(mol_smiles)
    dist = Chem.GetDistanceMatrix(mol)
    for occ in build("atompair").atom_environments(record(mol_smiles)).values():
        assert all(len(o) == 2 and dist[o[0], o[1]] >= 1 for o in occ)
    for occ in build("torsion").atom_environments(record(mol_smiles)).values():
        for o in occ:  # a path of 4 atoms, each bonded to the next
            assert len(o) == 4 and all(mol.GetBondBetweenAtoms(o[i], o[i + 1]) for i in range(3))
    for occ in build("rdkit_path", max_path=3).atom_environments(record(mol_smiles)).values():
        for o in occ:  # the atoms of a path of 1-3 bonds: connected, at most 4 atoms
            sub = dist[np.ix_(o, o)]
            assert 2 <= len(o) <= 4 and sub.max() <= 3


@pytest.mark.parametrize("name", ["maccs", "avalon", "rdkit2d"])
def test_sets_without_atom_mapping_do_not_claim_one(name):
    assert not hasattr(build(name), "atom_environments")
