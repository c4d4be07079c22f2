"""conformer3d: coordinates from ETKDGv3 + MMFF, seeded determinism, given geometry used unchanged,
graphs perceived from geometry, embedding failures reported."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from pydantic import ValidationError
from rdkit import Chem

from molgdl.data import MoleculeRecord
from molgdl.errors import FeaturizationError
from molgdl_rdkit.conformer3d import Conformer3DFeaturizer
from molgdl_rdkit.features import ATOM_DIM, ATOM_FEATURES, BOND_DIM, BOND_FEATURES
from molgdl_rdkit.graph2d import Graph2DFeaturizer
from molgdl_rdkit.params import Conformer3DParams

# ethanol, atoms C C O H H H H H H (an MMFF-optimised geometry, Å)
ETHANOL_Z = np.array([6, 6, 8, 1, 1, 1, 1, 1, 1])
ETHANOL_POS = np.array(
    [
        [-0.9289, -0.1188, 0.0132],
        [0.5205, 0.3194, -0.0436],
        [1.3495, -0.8271, 0.0646],
        [-1.5696, 0.7617, -0.0736],
        [-1.1664, -0.6605, 0.9324],
        [-1.1359, -0.7737, -0.8389],
        [0.7417, 0.9711, 0.8078],
        [0.7171, 0.8720, -0.9679],
        [1.1590, -1.3379, 0.8704],
    ]
)


def conf3d(**kw) -> Conformer3DFeaturizer:
    return Conformer3DFeaturizer(Conformer3DParams(**kw))


def record(smiles=None, **kw) -> MoleculeRecord:
    return MoleculeRecord(id="m", smiles=smiles, row=3, **kw)


def bond_lengths(data) -> np.ndarray:
    src, dst = data.edge_index[:, ::2]
    return (data.pos[src] - data.pos[dst]).norm(dim=1).numpy()


def test_ethane_geometry_after_mmff():
    (data,) = conf3d().featurize(record("CC"))
    assert data.pos.shape == (8, 3) and data.pos.dtype == torch.float32
    assert data.z.tolist() == [6, 6, 1, 1, 1, 1, 1, 1]
    assert data.x.shape == (8, ATOM_DIM) and data.edge_attr.shape == (14, BOND_DIM)
    cc = torch.linalg.norm(data.pos[0] - data.pos[1]).item()
    assert 1.45 <= cc <= 1.60
    ch = bond_lengths(data)[1:]
    assert ((ch > 1.05) & (ch < 1.15)).all()


def test_seeded_determinism_and_seed_dependence():
    a = conf3d(seed=7).featurize(record("CCCCCO"))[0].pos
    b = conf3d(seed=7).featurize(record("CCCCCO"))[0].pos
    c = conf3d(seed=8).featurize(record("CCCCCO"))[0].pos
    assert torch.equal(a, b)
    assert not torch.allclose(a, c, atol=1e-3)


def test_conformers_and_hydrogen_option():
    graphs = conf3d(n_conformers=3, seed=1).featurize(record("CCCCO"))
    assert len(graphs) == 3
    assert all(
        torch.equal(g.x, graphs[0].x) and torch.equal(g.edge_index, graphs[0].edge_index) for g in graphs
    )
    assert not torch.allclose(graphs[0].pos, graphs[1].pos, atol=1e-3)
    (heavy,) = conf3d(add_hs=False).featurize(record("CCO"))
    assert heavy.z.tolist() == [6, 6, 8] and heavy.pos.shape == (3, 3)
    # features of heavy atoms do not depend on whether hydrogens are nodes
    assert torch.equal(heavy.x, Graph2DFeaturizer().featurize(record("CCO"))[0].x)
    (with_h,) = conf3d().featurize(record("CCO"))
    assert torch.equal(with_h.x[:3], heavy.x)
    assert 1.35 < bond_lengths(heavy)[1] < 1.50  # C-O


def test_uff_fallback_without_mmff_parameters():
    (data,) = conf3d().featurize(record("CB(C)C"))  # boron: no MMFF94 parameters
    assert data.pos.shape[0] == data.num_nodes and torch.isfinite(data.pos).all()
    assert ((bond_lengths(data) > 0.9) & (bond_lengths(data) < 1.8)).all()


def test_given_coordinates_are_used_unchanged():
    (data,) = conf3d(seed=3).featurize(record("CCO", z=ETHANOL_Z, pos=ETHANOL_POS))
    assert np.array_equal(data.pos.numpy(), ETHANOL_POS.astype(np.float32))
    assert data.z.tolist() == ETHANOL_Z.tolist()
    (embedded,) = conf3d(seed=3).featurize(record("CCO"))
    assert torch.equal(embedded.x, data.x) and torch.equal(embedded.edge_attr, data.edge_attr)


def test_graph_from_geometry_in_any_atom_order():
    perm = np.array([2, 8, 0, 3, 1, 4, 5, 6, 7])  # O, its H, methyl C, an H, methylene C, H...
    z, pos = ETHANOL_Z[perm], ETHANOL_POS[perm]
    oxygen = ATOM_FEATURES.index("element=O")
    for smiles in ("CCO", None):  # SMILES matched onto the geometry; geometry alone
        (data,) = conf3d().featurize(record(smiles, z=z, pos=pos))
        assert data.z.tolist() == z.tolist() and np.array_equal(data.pos.numpy(), pos.astype(np.float32))
        assert data.edge_index.shape == (2, 16)  # 8 bonds
        bonded = {tuple(sorted(p)) for p in data.edge_index.t().tolist()}
        assert {(0, 1), (0, 4), (2, 4), (2, 3)} <= bonded  # O-H, O-C, C-C, C-H
        assert data.x[0, oxygen] == 1 and data.x[0, ATOM_FEATURES.index("num_hs=1")] == 1
        assert data.x[0, ATOM_FEATURES.index("degree=2")] == 1
        assert (
            data.x[2, ATOM_FEATURES.index("num_hs=3")] == 1
            and data.x[4, ATOM_FEATURES.index("num_hs=2")] == 1
        )


def test_smiles_matched_onto_shuffled_geometry_keeps_bond_orders():
    mol = Chem.AddHs(Chem.MolFromSmiles("Oc1ccccc1"))
    from rdkit.Chem import AllChem

    AllChem.EmbedMolecule(mol, randomSeed=0)
    z = np.array([a.GetAtomicNum() for a in mol.GetAtoms()])
    pos = mol.GetConformer().GetPositions()
    perm = np.random.default_rng(0).permutation(len(z))
    (ref,) = conf3d().featurize(record("Oc1ccccc1", z=z, pos=pos))
    (shuffled,) = conf3d().featurize(record("Oc1ccccc1", z=z[perm], pos=pos[perm]))
    assert torch.equal(shuffled.x, ref.x[perm])
    assert shuffled.edge_attr[:, BOND_FEATURES.index("bond_type=aromatic")].sum() == 12
    (geometry_only,) = conf3d().featurize(record(None, z=z[perm], pos=pos[perm]))
    assert geometry_only.num_edges == shuffled.num_edges  # same connectivity, bond orders unknown


def test_graph_from_molblock_geometry():
    mol = Chem.AddHs(Chem.MolFromSmiles("c1ccccc1O"))
    from rdkit.Chem import AllChem

    AllChem.EmbedMolecule(mol, randomSeed=0)
    z = np.array([a.GetAtomicNum() for a in mol.GetAtoms()])
    pos = mol.GetConformer().GetPositions()
    (data,) = conf3d().featurize(record("Oc1ccccc1", z=z, pos=pos, molblock=Chem.MolToMolBlock(mol)))
    assert np.array_equal(data.pos.numpy(), pos.astype(np.float32))
    assert data.x[:6, ATOM_FEATURES.index("aromatic")].tolist() == [1.0] * 6
    assert data.edge_attr[:, BOND_FEATURES.index("bond_type=aromatic")].sum() == 12


def test_reverse_edges_in_3d_graphs():
    (data,) = conf3d().featurize(record("CC(=O)Nc1ccccc1"))
    e = torch.arange(data.edge_index.shape[1])
    assert torch.equal(data.edge_index[:, e ^ 1], data.edge_index[[1, 0]][:, e])
    assert torch.equal(data.edge_attr[e ^ 1], data.edge_attr)


def test_embedding_failure_is_reported():
    with pytest.raises(FeaturizationError, match="conformer embedding failed") as info:
        conf3d(max_attempts=5).featurize(record("C1#CCCCC1"))  # cyclohexyne cannot be embedded
    assert "row 3" in str(info.value)


def test_a_molecule_over_the_time_limit_is_a_featurization_error_within_the_limit():
    import time

    t0 = time.monotonic()
    with pytest.raises(FeaturizationError) as info:  # a 302-atom alkane: ~4 s from random coordinates
        conf3d(time_limit_seconds=1).featurize(record("C" * 100))
    assert time.monotonic() - t0 < 10  # RDKit checks its timeout between steps: it may run over a little
    msg = str(info.value)
    assert msg.startswith("row 3 (id 'm'): conformer generation for 'CCCC")
    assert "(302 atoms with hydrogens) stopped after " in msg and " s in embedding (random initial coordinates): over time_limit_seconds=1" in msg
    assert "fix: raise featurizer.time_limit_seconds" in msg
    with pytest.raises(ValidationError):
        conf3d(time_limit_seconds=0)


def test_bad_inputs():
    with pytest.raises(FeaturizationError, match="shape"):
        conf3d().featurize(record("CCO", z=ETHANOL_Z, pos=ETHANOL_POS[:5]))
    with pytest.raises(FeaturizationError, match="could not be parsed"):
        conf3d().featurize(record("C1CC"))
    with pytest.raises(ValidationError):
        Conformer3DParams(n_conformers=0)
    with pytest.raises(ValidationError):
        Conformer3DParams(bogus=1)


def test_dims_and_pickle():
    featurizer = conf3d(seed=5, n_conformers=2)
    assert featurizer.dims.is_3d and (featurizer.dims.atom_dim, featurizer.dims.bond_dim) == (
        ATOM_DIM,
        BOND_DIM,
    )
    clone = pickle.loads(pickle.dumps(featurizer))
    a, b = featurizer.featurize(record("CCN")), clone.featurize(record("CCN"))
    assert len(a) == len(b) == 2 and all(torch.equal(p.pos, q.pos) for p, q in zip(a, b, strict=True))


def test_geometry_with_impossible_valence_still_featurizes():
    # a carbon with five hydrogens at bonding distance: the perceived graph fails sanitization
    directions = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1]], dtype=float)
    z = np.array([6, 1, 1, 1, 1, 1])
    pos = np.vstack([[0.0, 0.0, 0.0], 1.09 * directions])
    (data,) = conf3d().featurize(record(None, z=z, pos=pos))
    assert data.edge_index.shape == (2, 10)
    assert data.x[0, ATOM_FEATURES.index("degree=5+")] == 1
