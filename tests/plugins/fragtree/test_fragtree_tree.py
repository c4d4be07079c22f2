"""The fragment tree: every heavy atom in exactly one fragment, the same fragments as RDKit's BreakBRICSBonds,
a valid tree; the encoder does not depend on the order of a node's children."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
from rdkit import Chem
from rdkit.Chem import BRICS
from torch_geometric.data import Batch

import molgdl_datasets
from molgdl.errors import DataError
from molgdl.specs import FeatureDims
from molgdl_fragtree.encoder import FragTreeEncoder
from molgdl_fragtree.featurizer import FragTreeFeaturizer
from molgdl_fragtree.params import FragTree2DParams
from molgdl_fragtree.tree import fragment_tree
from molgdl_fragtree.treelstm import ChildSumTreeLSTM, tree_depths

DATA = Path(molgdl_datasets.__file__).parent / "data"


def bundled_smiles() -> list[str]:
    """ESOL (1,128) and one MoleculeACE set: drugs, salts, natural products (bundled with molgdl-datasets)."""
    out = []
    for name, col in (("esol_delaney-processed.csv", "smiles"), ("moleculeace_CHEMBL1862_Ki.csv", "smiles")):
        with open(DATA / name) as fh:
            out += [row[col].strip() for row in csv.DictReader(fh)]
    return out


def brics_pieces(mol) -> set[frozenset[int]]:
    """Independent reference: RDKit's own BreakBRICSBonds, dummy atoms dropped."""
    broken = BRICS.BreakBRICSBonds(mol)
    n = mol.GetNumAtoms()
    return {frozenset(i for i in frag if i < n) for frag in Chem.GetMolFrags(broken, asMols=False)}


def check_tree(mol, tree) -> None:
    n = mol.GetNumAtoms()
    assert tree.frag_of_atom.shape == (n,)
    counts = np.bincount(tree.frag_of_atom, minlength=tree.num_fragments)
    assert counts.sum() == n and (counts > 0).all()  # every atom once, no empty fragment
    # each fragment is connected in the molecule
    for k in range(tree.num_fragments):
        atoms = [int(i) for i in np.nonzero(tree.frag_of_atom == k)[0]]
        sub = Chem.PathToSubmol(mol, [b.GetIdx() for b in mol.GetBonds()
                                      if b.GetBeginAtomIdx() in atoms and b.GetEndAtomIdx() in atoms])
        assert len(atoms) == 1 or len(Chem.GetMolFrags(sub)) == 1
    # a forest: one root per connected component of the molecule, no cycle (every node reaches a root)
    roots = int((tree.parent < 0).sum())
    assert roots == len(Chem.GetMolFrags(mol))
    depth = tree_depths(torch.from_numpy(tree.parent)).numpy()
    child = np.nonzero(tree.parent >= 0)[0]
    assert (depth[child] == depth[tree.parent[child]] + 1).all()  # fails on a cycle (depths never settle)


def test_every_heavy_atom_in_exactly_one_brics_fragment():
    smiles = bundled_smiles()
    assert len(smiles) > 1500
    multi = 0
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        if mol is None:
            continue
        tree = fragment_tree(mol, "brics")
        check_tree(mol, tree)
        mine = {frozenset(np.nonzero(tree.frag_of_atom == k)[0].tolist()) for k in range(tree.num_fragments)}
        assert mine == brics_pieces(mol), s
        multi += tree.num_fragments > 1
    assert multi > 500  # the check covered real trees, not only single fragments


def test_acyclic_cut_covers_every_atom_too():
    for s in bundled_smiles()[:300]:
        mol = Chem.MolFromSmiles(s)
        tree = fragment_tree(mol, "acyclic")
        check_tree(mol, tree)
        for b in mol.GetBonds():  # ring bonds are never cut
            if b.IsInRing():
                assert tree.frag_of_atom[b.GetBeginAtomIdx()] == tree.frag_of_atom[b.GetEndAtomIdx()]


def test_tree_does_not_depend_on_atom_order():
    mol = Chem.MolFromSmiles("CCOC(=O)c1ccccc1NC(=O)C1CC1")
    order = list(np.random.default_rng(0).permutation(mol.GetNumAtoms()))
    moved = Chem.RenumberAtoms(mol, [int(i) for i in order])
    Chem.SanitizeMol(moved)  # ring perception for the renumbered copy
    a, b = fragment_tree(mol), fragment_tree(moved)
    # atom k of `moved` is atom order[k] of `mol`: same fragment ids and parents
    assert np.array_equal(b.frag_of_atom, a.frag_of_atom[order])
    assert np.array_equal(b.parent, a.parent)


def _encoder(dims, dtype=torch.float64):
    torch.manual_seed(0)
    return FragTreeEncoder(dims.atom_dim, dims.bond_dim, 8, prototypes=2).to(dtype).eval()


def test_children_order_does_not_matter():
    """Relabelling the fragments (which reorders every node's children in the scatter sums) and reversing the
    child order inside the Tree-LSTM leave the node embeddings unchanged."""
    feat = FragTreeFeaturizer()
    g = feat.featurize_mol(Chem.MolFromSmiles("CN(C)CCOC(c1ccccc1)c1ccc(OC)cc1NC(=O)C"))
    g.x, g.edge_attr = g.x.double(), g.edge_attr.double()
    n_frag = int(g.frag_id.max()) + 1
    assert n_frag >= 4
    enc = _encoder(feat.dims)
    before = enc(Batch.from_data_list([g]))
    relabel = torch.randperm(n_frag, generator=torch.Generator().manual_seed(3))
    moved = g.clone()
    moved.frag_id = relabel[g.frag_id]
    moved.frag_parent = torch.where(g.frag_parent >= 0, relabel[g.frag_parent.clamp(min=0)], -1)
    torch.testing.assert_close(enc(Batch.from_data_list([moved])), before, rtol=1e-12, atol=1e-12)


def test_tree_lstm_star_closed_form():
    """A root with three leaf children: children permuted -> same root; the root matches eq. 2-8 by hand."""
    torch.manual_seed(0)
    cell = ChildSumTreeLSTM(3, 4).double()
    x = torch.randn(4, 3, dtype=torch.float64)
    parent = torch.tensor([-1, 0, 0, 0])
    h, c = cell(x, parent)
    perm = torch.tensor([0, 3, 1, 2])  # node order changed, node 0 stays the root
    h2, _ = cell(x[perm], parent)
    torch.testing.assert_close(h2[0], h[0], rtol=1e-12, atol=1e-12)
    sig, W, U, Wf, Uf = torch.sigmoid, cell.W_iou, cell.U_iou, cell.W_f, cell.U_f
    leaf_i, leaf_o, leaf_u = W(x[1:]).chunk(3, -1)
    c_leaf = sig(leaf_i) * torch.tanh(leaf_u)
    h_leaf = sig(leaf_o) * torch.tanh(c_leaf)
    i, o, u = (W(x[0]) + U(h_leaf.sum(0))).chunk(3, -1)
    f = sig(Wf(x[0]) + Uf(h_leaf))
    c_root = sig(i) * torch.tanh(u) + (f * c_leaf).sum(0)
    torch.testing.assert_close(h[0], sig(o) * torch.tanh(c_root), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(h[1:], h_leaf, rtol=1e-12, atol=1e-12)


def test_graph_without_tree_gets_a_clear_error():
    g = FragTreeFeaturizer().featurize_mol(Chem.MolFromSmiles("CCO"))
    del g.frag_id
    enc = _encoder(FeatureDims(33, 6), torch.float32)
    with pytest.raises(DataError, match="fragtree2d"):
        enc(Batch.from_data_list([g]))


def test_bad_cut_name_is_refused():
    with pytest.raises(ValueError):
        FragTree2DParams(cut="junction")
