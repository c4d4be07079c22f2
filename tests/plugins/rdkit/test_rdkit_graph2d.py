"""graph2d: hand-computed golden values, the reverse-edge layout, an independent per-atom RDKit reference
implementation, and node/edge counts against PyG's ``from_smiles``."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from rdkit import Chem

from molgdl.data import MoleculeRecord
from molgdl.errors import FeaturizationError
from molgdl.specs import FeatureDims
from molgdl_rdkit.features import (
    ATOM_DIM,
    ATOM_FEATURES,
    BOND_DIM,
    BOND_FEATURES,
    mol_to_arrays,
    smiles_hints,
)
from molgdl_rdkit.graph2d import Graph2DFeaturizer

# 100 ESOL molecules (every 11th row of delaney-processed.csv), whitespace stripped
ESOL_100 = [
    "OCC3OC(OCC2OC(OC(C#N)c1ccccc1)C(O)C(O)C2O)C(O)C(O)C3O",
    "Clc1ccc2ccccc2c1",
    "CCOP(=S)(OCC)SCSCC",
    "ClC(=C)Cl",
    "CC(C)OC=O",
    "Cc1ccccc1O",
    "CCNc1nc(Cl)nc(n1)N(CC)CC",
    "Clc1cccc(c1)c2cc(Cl)ccc2Cl",
    "CC(C)C1CCC(C)CC1=O",
    "CC(C)c1ccccc1",
    "Oc1c(I)cc(C#N)cc1I",
    "CC(C)C(C)C(C)C",
    "CCSCc1ccccc1OC(=O)NC",
    "Nc1cccc2ccccc12",
    "C=CC=C",
    "CC(C)=CCC/C(C)=C\\CO",
    "CC1=CC(=O)CC(C)(C)C1",
    "Clc1cc(Cl)c(Cl)c(Cl)c1",
    "Cc1ccccc1Cl",
    "CCCCl",
    "c1cc2cccc3c4cccc5cccc(c(c1)c23)c54",
    "O=C1NC(=O)NC(=O)C1(C)CC=C",
    "ClC(Cl)(Cl)C#N",
    "CCOC(=O)N",
    "CN(C)C(=O)Nc1ccc(Cl)cc1",
    "Ic1cccc2ccccc12",
    "C(Cc1ccccc1)c2ccccc2",
    "Clc1cc(c(Cl)c(Cl)c1Cl)c2cc(Cl)c(Cl)c(Cl)c2Cl",
    "O=N(=O)c1cc(Cl)c(Cl)cc1",
    "Clc1cc(Cl)c(cc1Cl)c2cccc(Cl)c2Cl",
    "CC(C)OP(=S)(OC(C)C)SCCNS(=O)(=O)c1ccccc1",
    "OCC1OC(O)C(O)C(O)C1O",
    "ClC(Br)Br",
    "C1CCC=CC1",
    "COc1ccccc1OCC(O)COC(N)=O",
    "Cc1ccc(N)cc1",
    "Oc1c(Br)cc(C#N)cc1Br",
    "CN(C)C(=O)Nc1ccc(C)c(Cl)c1",
    "CCCCC1C(=O)N(N(C1=O)c2ccccc2)c3ccccc3",
    "ClC1(C(=O)C2(Cl)C3(Cl)C14Cl)C5(Cl)C2(Cl)C3(Cl)C(Cl)(Cl)C45Cl",
    "Nc1ccc(cc1)N(=O)=O",
    "CC(=O)OC3CCC4C2CCC1=CC(=O)CCC1(C)C2CCC34C",
    "Fc1cccc(F)c1",
    "COP(=S)(OC)Oc1ccc(cc1Cl)N(=O)=O",
    "BrC(Br)Br",
    "Nc1cc(nc(N)n1=O)N2CCCCC2",
    "CCC#C",
    "CCOC(=O)NCCOc2ccc(Oc1ccccc1)cc2",
    "CC(=C)C(=C)C",
    "CCNc1nc(NC(C)C)nc(SC)n1",
    "CCC(C)CCO",
    "CC(=O)CC(c1ccccc1)c3c(O)c2ccccc2oc3=O",
    "Nc1ccccc1Cl",
    "CC(=O)CC(c1ccc(Cl)cc1)c2c(O)c3ccccc3oc2=O",
    "C1CCCC1",
    "CC(=O)N",
    "Cc1ccc2cc(C)ccc2c1",
    "O=C3CN=C(c1ccccc1)c2cc(ccc2N3)N(=O)=O",
    "CCBr",
    "O=C1NC(=O)NC(=O)C1(C(C)C)CC=C",
    "Clc2ccc1oc(=O)[nH]c1c2",
    "CCC#N",
    "Cc1c2ccccc2cc3ccccc13",
    "COc1ccccc1",
    "Nc1ccc(Cl)cc1",
    "CCOC(=O)c1ccc(O)cc1",
    "COC(=O)c1ccccc1",
    "CCOc1ccccc1",
    "CCOP(=S)(OCC)Oc1ccc(cc1)S(C)=O",
    "CCCCSP(=O)(SCCCC)SCCCC",
    "CCC=O",
    "CCC(CC)C=O",
    "OC1C=CC2C1C3(Cl)C(=C(Cl)C2(Cl)C3(Cl)Cl)Cl",
    "CCCOC(=O)c1ccc(N)cc1",
    "CCOC(=O)c1ccccc1",
    "O=C1NC(=O)NC(=O)C1(CC)C(C)C",
    "Clc1ccc(I)cc1",
    "c1(O)cc(O)ccc1CCCCCC",
    "CCN2c1nc(C)cc(C(F)(F)F)c1NC(=O)c3cccnc23",
    "COP(=O)(OC)OC(Br)C(Cl)(Cl)Br",
    "CCC(C)(C)C",
    "C(c1ccccc1)c2ccccc2",
    "COC(C)(C)CCCC(C)CC=CC(C)=CC(=O)OC(C)C",
    "CC(=O)Nc1ccc(cc1)N(=O)=O",
    "CCCCCCCCCCCCO",
    "c2ccc1NCCc1c2",
    "Cc1cccc(C)c1NC(=O)c2cc(c(Cl)cc2O)S(N)(=O)=O",
    "CC(O)c1ccccc1",
    "CCCCCCCCOC(=O)c1ccccc1C(=O)OCCCCCCCC",
    "CCCCCCCCC(=O)OC",
    "CCCCNC(=O)n1c(NC(=O)OC)nc2ccccc12",
    "CN(C)c1ccccc1",
    "BrCCBr",
    "CC(C)c1ccc(C)cc1",
    "C2c1ccccc1N(CCF)C(=O)c3ccccc23",
    "CNC(=O)Oc1cc(C)cc(C)c1",
    "CC(C)N(C(C)C)C(=O)SCC(=CCl)Cl",
    "CC4CC3C2CCC1=CC(=O)C=CC1(C)C2(F)C(O)CC3(C)C4(O)C(=O)COC(C)=O",
    "Oc1c(Cl)c(Cl)cc(Cl)c1Cl",
    "CC(=O)Nc1cc(NS(=O)(=O)C(F)(F)F)c(C)cc1C",
]
# charges, stereo, isotopes, hydrogen atoms, dative bonds, metals, salts, fused/bridged/spiro/large rings
SPECIAL = [
    "C[N+](C)(C)C",
    "C[C@H](N)O",
    "C[C@@H](N)O",
    "F/C=C/F",
    "F/C=C\\F",
    "[13CH4]",
    "[2H]C([2H])([2H])[2H]",
    "[H]C([H])([H])O",
    "[NH3]->[Cu+2]",
    "[Na+].[Cl-]",
    "[O-][N+](=O)c1ccccc1",
    "C1CC2CCC1C2",
    "C12C3C4C1C5C2C3C45",
    "C1CCC2(C1)CCCC2",
    "C1CCCCCCCCCCC1",
    "C1CC2CC1CC2",
    "c1ccc2c(c1)[nH]c1ccccc12",
    "[O-]S(=O)(=O)[O-].[Mg+2]",
    "C#C[Si](C)(C)C",
    "B(O)(O)c1ccccc1",
    "[Se]=C=[Se]",
    "[K]",
    "O",
    "[H][H]",
    "C[S+](C)C",
    "[CH2-]C",
    "N[C@@H](C)C(=O)O",
    "C1=CC=CC=C1",
    "C=C1CC1",
    "C12CC1C2",
    "C[Mg]Br",
    "N[Pt](N)(Cl)Cl",
    "[Cu]Cl",
    "CN(C)C.[Fe+3]",
    "O=[N+]([O-])c1ccccc1",
    "C[N](=O)=O",
    "OCl(=O)(=O)=O",
]


def col(name: str) -> int:
    return ATOM_FEATURES.index(name)


def bcol(name: str) -> int:
    return BOND_FEATURES.index(name)


def featurize(smiles: str):
    (data,) = Graph2DFeaturizer().featurize(MoleculeRecord(id="t", smiles=smiles, row=1))
    return data


# ---------------------------------------------------------------- independent reference implementation
_ELEMENTS = {
    1: "H",
    5: "B",
    6: "C",
    7: "N",
    8: "O",
    9: "F",
    14: "Si",
    15: "P",
    16: "S",
    17: "Cl",
    35: "Br",
    53: "I",
}
_HYB = {
    Chem.HybridizationType.S: "S",
    Chem.HybridizationType.SP: "SP",
    Chem.HybridizationType.SP2: "SP2",
    Chem.HybridizationType.SP3: "SP3",
    Chem.HybridizationType.SP3D: "SP3D",
    Chem.HybridizationType.SP3D2: "SP3D2",
}
_CHI = {
    Chem.ChiralType.CHI_UNSPECIFIED: "unspecified",
    Chem.ChiralType.CHI_TETRAHEDRAL_CW: "CW",
    Chem.ChiralType.CHI_TETRAHEDRAL_CCW: "CCW",
}
_BT = {
    Chem.BondType.SINGLE: "single",
    Chem.BondType.DOUBLE: "double",
    Chem.BondType.TRIPLE: "triple",
    Chem.BondType.AROMATIC: "aromatic",
}
_ST = {
    Chem.BondStereo.STEREONONE: "none",
    Chem.BondStereo.STEREOANY: "any",
    Chem.BondStereo.STEREOZ: "Z",
    Chem.BondStereo.STEREOE: "E",
    Chem.BondStereo.STEREOCIS: "cis",
    Chem.BondStereo.STEREOTRANS: "trans",
}


_CHARGE = {-2: "-2", -1: "-1", 0: "0", 1: "+1", 2: "+2"}


def reference_atom(atom: Chem.Atom) -> tuple[set[str], float]:
    """Feature names that must be 1, and the mass value, from the per-atom RDKit API."""
    hs = atom.GetTotalNumHs(includeNeighbors=True)
    on = {
        f"element={_ELEMENTS.get(atom.GetAtomicNum(), 'other')}",
        f"degree={min(atom.GetTotalDegree(), 5) if atom.GetTotalDegree() < 5 else '5+'}",
        f"formal_charge={_CHARGE.get(atom.GetFormalCharge(), 'other')}",
        f"hybridization={_HYB.get(atom.GetHybridization(), 'other')}",
        f"num_hs={hs if hs < 4 else '4+'}",
        f"chirality={_CHI.get(atom.GetChiralTag(), 'other')}",
    }
    if atom.GetIsAromatic():
        on.add("aromatic")
    if atom.IsInRing():
        on.add("in_ring")
    on |= {f"ring_size={k}" for k in range(3, 9) if atom.IsInRingSize(k)}
    return on, atom.GetMass() / 100


def reference_bond(bond: Chem.Bond) -> set[str]:
    on = {f"bond_type={_BT.get(bond.GetBondType(), 'other')}", f"stereo={_ST.get(bond.GetStereo(), 'other')}"}
    if bond.GetIsConjugated():
        on.add("conjugated")
    if bond.IsInRing():
        on.add("in_ring")
    return on


@pytest.mark.parametrize("smiles", ESOL_100 + SPECIAL)
def test_matches_per_atom_reference(smiles):
    mol = Chem.MolFromSmiles(smiles)  # the standard parse, not the featurizer's fast path
    data = featurize(smiles)
    assert data.x.shape == (mol.GetNumAtoms(), ATOM_DIM)
    for i, atom in enumerate(mol.GetAtoms()):
        on, mass = reference_atom(atom)
        got = {ATOM_FEATURES[j] for j in torch.nonzero(data.x[i, :-1]).ravel().tolist()}
        assert got == on, (smiles, i)
        assert data.x[i, col("mass=/100")].item() == pytest.approx(mass, rel=1e-6)
    assert data.z.tolist() == [a.GetAtomicNum() for a in mol.GetAtoms()]
    bonds = {}
    for bond in mol.GetBonds():
        bonds[(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx())] = reference_bond(bond)
        bonds[(bond.GetEndAtomIdx(), bond.GetBeginAtomIdx())] = reference_bond(bond)
    assert data.edge_index.shape == (2, 2 * mol.GetNumBonds())
    got_edges = {}
    for e, (s, t) in enumerate(data.edge_index.t().tolist()):
        got_edges[(s, t)] = {BOND_FEATURES[j] for j in torch.nonzero(data.edge_attr[e]).ravel().tolist()}
    assert got_edges == bonds


@pytest.mark.parametrize("smiles", ESOL_100 + SPECIAL)
def test_fast_paths_equal_full_path(smiles):
    """The SMILES hints (skipped RDKit calls, plain parse) change nothing."""
    fast = featurize(smiles)
    full = mol_to_arrays(Chem.MolFromSmiles(smiles))  # every hint on: all RDKit calls made
    for got, want in zip((fast.x, fast.edge_index, fast.edge_attr, fast.z), full, strict=True):
        assert np.array_equal(got.numpy(), want)


# ---------------------------------------------------------------- hand-computed golden values
def test_ethanol_golden():
    data = featurize("CCO")
    assert data.x.shape == (3, ATOM_DIM) and ATOM_DIM == 50 and BOND_DIM == 14
    assert data.edge_index.tolist() == [[0, 1, 1, 2], [1, 0, 2, 1]]  # 2 bonds -> 4 directed edges
    x = data.x
    # carbon one-hot is slot 2 of the element block (H, B, C, ...), oxygen slot 4
    assert col("element=C") == 2 and col("element=O") == 4
    assert x[0, 2] == 1 and x[1, 2] == 1 and x[2, 4] == 1
    assert x[:, :13].sum(1).tolist() == [1, 1, 1]
    # CH3: degree 4, 3 H; CH2: degree 4, 2 H; OH: degree 2, 1 H; all sp3, neutral, no ring, not aromatic
    assert [x[i, col(f"degree={d}")].item() for i, d in enumerate((4, 4, 2))] == [1, 1, 1]
    assert [x[i, col(f"num_hs={h}")].item() for i, h in enumerate((3, 2, 1))] == [1, 1, 1]
    assert x[:, col("hybridization=SP3")].tolist() == [1, 1, 1]
    assert x[:, col("formal_charge=0")].tolist() == [1, 1, 1]
    assert x[:, col("aromatic")].sum() == 0 and x[:, col("in_ring")].sum() == 0
    assert x[:, col("mass=/100")].tolist() == pytest.approx([0.12011, 0.12011, 0.15999], abs=1e-4)
    # each atom: element, degree, charge, hybridization, H count, chirality + mass = 7 non-zeros
    assert (x != 0).sum(1).tolist() == [7, 7, 7]
    single = torch.zeros(BOND_DIM)
    single[bcol("bond_type=single")] = 1
    single[bcol("stereo=none")] = 1
    assert torch.equal(data.edge_attr, single.repeat(4, 1))
    assert data.z.tolist() == [6, 6, 8]


def test_benzene_aromatic_ring():
    data = featurize("c1ccccc1")
    assert data.num_nodes == 6 and data.edge_index.shape == (2, 12)
    for name in ("aromatic", "in_ring", "ring_size=6", "hybridization=SP2", "num_hs=1", "degree=3"):
        assert data.x[:, col(name)].tolist() == [1.0] * 6, name
    for name in ("bond_type=aromatic", "conjugated", "in_ring"):
        assert data.edge_attr[:, bcol(name)].tolist() == [1.0] * 12, name
    assert featurize("C1=CC=CC=C1").x.equal(data.x)  # Kekulé input is aromatised


def test_charged_nitrogen():
    data = featurize("C[N+](C)(C)C")
    n = data.x[1]
    assert n[col("element=N")] == 1 and n[col("formal_charge=+1")] == 1
    assert n[col("degree=4")] == 1 and n[col("num_hs=0")] == 1 and n[col("hybridization=SP3")] == 1
    assert data.x[:, col("formal_charge=0")].tolist() == [1, 0, 1, 1, 1]
    assert featurize("[O-]C").x[0, col("formal_charge=-1")] == 1
    assert featurize("[C-4]").x[0, col("formal_charge=other")] == 1


def test_chirality_tags():
    ccw, cw, flat = featurize("C[C@H](N)O"), featurize("C[C@@H](N)O"), featurize("CC(N)O")
    assert ccw.x[1, col("chirality=CCW")] == 1 and cw.x[1, col("chirality=CW")] == 1
    assert flat.x[:, col("chirality=unspecified")].tolist() == [1, 1, 1, 1]
    for data in (ccw, cw):
        others = [0, 2, 3]
        assert data.x[others, col("chirality=unspecified")].tolist() == [1, 1, 1]
    assert not torch.equal(ccw.x, cw.x) and torch.equal(ccw.edge_attr, cw.edge_attr)


def test_double_bond_stereo_and_isotopes():
    trans, cis = featurize("F/C=C/F"), featurize("F/C=C\\F")
    assert trans.edge_attr[2, bcol("stereo=E")] == 1 and cis.edge_attr[2, bcol("stereo=Z")] == 1
    assert trans.edge_attr[2, bcol("bond_type=double")] == 1
    assert featurize("[13CH4]").x[0, col("mass=/100")].item() == pytest.approx(0.13003355, rel=1e-6)
    d4 = featurize("[2H]C([2H])([2H])[2H]")  # isotopic H stay atoms; carbon still counts 4 H
    assert d4.num_nodes == 5 and d4.x[1, col("num_hs=4+")] == 1 and d4.x[1, col("degree=4")] == 1


def test_ring_sizes_of_fused_and_bridged_atoms():
    data = featurize("C12CC1CC2")  # bicyclo[2.1.0]pentane: bridgeheads in a 3- and a 4-ring
    assert data.x[0, col("ring_size=3")] == 1 and data.x[0, col("ring_size=4")] == 1
    assert data.x[1, col("ring_size=4")] == 0 and data.x[3, col("ring_size=3")] == 0
    big = featurize("C1CCCCCCCCCCC1")  # 12-ring: in a ring, no size flag
    assert (
        big.x[:, col("in_ring")].sum() == 12
        and big.x[:, col("ring_size=3") : col("ring_size=8") + 1].sum() == 0
    )


# ---------------------------------------------------------------- graph contract
@pytest.mark.parametrize("smiles", ESOL_100[:40] + SPECIAL)
def test_reverse_edge_pairs(smiles):
    data = featurize(smiles)
    e = torch.arange(data.edge_index.shape[1])
    assert torch.equal(data.edge_index[:, e ^ 1], data.edge_index[[1, 0]][:, e])
    assert torch.equal(data.edge_attr[e ^ 1], data.edge_attr)
    assert data.x.dtype == torch.float32 and data.edge_attr.dtype == torch.float32
    assert data.edge_index.dtype == torch.int64 and data.z.dtype == torch.int64
    assert data.x.is_contiguous() and data.edge_attr.is_contiguous() and data.edge_index.is_contiguous()
    assert data.edge_attr.shape == (data.edge_index.shape[1], BOND_DIM)
    assert not (data.edge_index[0] == data.edge_index[1]).any()


def test_counts_match_pyg_from_smiles():
    from torch_geometric.utils import from_smiles

    for smiles in ESOL_100:
        ours, pyg = featurize(smiles), from_smiles(smiles)
        assert ours.num_nodes == pyg.num_nodes and ours.num_edges == pyg.num_edges, smiles
        assert ours.z.tolist() == pyg.x[:, 0].tolist()  # PyG's first column is the atomic number
        # same undirected edge set
        assert {tuple(sorted(p)) for p in ours.edge_index.t().tolist()} == {
            tuple(sorted(p)) for p in pyg.edge_index.t().tolist()
        }


def test_no_bonds_and_fragments():
    atom = featurize("[Na+]")
    assert atom.edge_index.shape == (2, 0) and atom.edge_attr.shape == (0, BOND_DIM)
    assert atom.x[0, col("element=other")] == 1 and atom.x[0, col("formal_charge=+1")] == 1
    salt = featurize("CC(=O)[O-].[Na+]")
    assert salt.num_nodes == 5 and salt.edge_index.shape == (2, 6)


# ---------------------------------------------------------------- errors, records, pickling
@pytest.mark.parametrize(
    ("smiles", "reason"),
    [
        ("C1CC", "unclosed ring"),
        ("CC(C)(C)(C)(C)C", "valence"),
        ("c1cccc1", "kekulize"),
        ("Xy", "Parse Error"),
        ("", "empty molecule"),
        ("   ", "empty molecule"),
    ],
)
def test_invalid_smiles_raise_with_reason(smiles, reason):
    with pytest.raises(FeaturizationError) as info:
        Graph2DFeaturizer().featurize(MoleculeRecord(id="bad", smiles=smiles, row=7))
    message = str(info.value)
    assert reason.lower() in message.lower() and "row 7" in message


def test_whitespace_stripped_and_molblock_fallback():
    assert torch.equal(featurize("  CCO \n").x, featurize("CCO").x)
    block = Chem.MolToMolBlock(Chem.MolFromSmiles("CCO"))
    (data,) = Graph2DFeaturizer().featurize(MoleculeRecord(id="m", smiles=None, row=1, molblock=block))
    assert torch.equal(data.x, featurize("CCO").x)
    with pytest.raises(FeaturizationError, match="neither SMILES nor a molblock"):
        Graph2DFeaturizer().featurize(MoleculeRecord(id="m", smiles=None, row=1))


def test_dims_version_and_pickle():
    featurizer = Graph2DFeaturizer()
    assert featurizer.dims == FeatureDims(atom_dim=50, bond_dim=14)
    assert featurizer.version.startswith("graph2d-") and "rdkit" in featurizer.version
    clone = pickle.loads(pickle.dumps(featurizer))
    record = MoleculeRecord(id="a", smiles="CC(=O)Oc1ccccc1C(=O)O", row=1)
    a, b = featurizer.featurize(record)[0], clone.featurize(record)[0]
    assert all(torch.equal(a[k], b[k]) for k in ("x", "edge_index", "edge_attr", "z"))
    assert len(ATOM_FEATURES) == ATOM_DIM and len(BOND_FEATURES) == BOND_DIM


def test_smiles_hints():
    assert smiles_hints("CCO") == dict(
        chiral=False, bond_stereo=False, isotopes=False, exotic_bonds=False, explicit_h=False
    )
    h = smiles_hints("[2H]C[C@H](/C=C/[O-])[NH3+]")
    assert h["chiral"] and h["bond_stereo"] and h["isotopes"] and h["explicit_h"] and not h["exotic_bonds"]
    assert smiles_hints("C[Mg]Br")["exotic_bonds"] and not smiles_hints("[se]1cccc1")["exotic_bonds"]
    assert not smiles_hints("[nH]1cccc1")["explicit_h"] and not smiles_hints("[Hg]")["explicit_h"]
    assert smiles_hints("[H]OC")["explicit_h"] and smiles_hints("N->[Cu]")["exotic_bonds"]


def test_fast_data_construction_matches_public_constructor():
    from torch_geometric.data import Batch, Data

    from molgdl_rdkit import pyg_data

    assert pyg_data.FAST_PATH  # PyG's layout is the one make_data was written for
    tensors = dict(x=torch.rand(3, 4), edge_index=torch.tensor([[0, 1], [1, 0]]), z=torch.tensor([6, 6, 8]))
    fast, public = pyg_data.make_data(**tensors), Data(**tensors)
    assert fast.__dict__.keys() == public.__dict__.keys() and list(fast.keys()) == list(public.keys())
    fast.y = torch.ones(1, 2)
    clone = pickle.loads(pickle.dumps(fast))
    batch = Batch.from_data_list([fast, clone, fast.clone()])
    assert batch.num_graphs == 3 and batch.x.shape == (9, 4) and batch.y.shape == (3, 2)
    assert batch.edge_index[:, 2:4].tolist() == [[3, 4], [4, 3]]  # increments applied
    assert fast.num_nodes == 3 and fast._store._parent() is fast
