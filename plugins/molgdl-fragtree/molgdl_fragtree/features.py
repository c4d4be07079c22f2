"""Compact atom (33) and bond (6) features of the fragtree2d featurizer (RDKit)."""

from __future__ import annotations

import numpy as np
from rdkit import Chem

ELEMENTS = (5, 6, 7, 8, 9, 14, 15, 16, 17, 35, 53)  # B C N O F Si P S Cl Br I, then "other"
HYBRID = (Chem.HybridizationType.SP, Chem.HybridizationType.SP2, Chem.HybridizationType.SP3)
BOND_TYPES = (Chem.BondType.SINGLE, Chem.BondType.DOUBLE, Chem.BondType.TRIPLE, Chem.BondType.AROMATIC)
ATOM_DIM = len(ELEMENTS) + 1 + 6 + 4 + 4 + 4 + 3  # element, degree, charge, Hs, hybridisation, arom/ring/mass
BOND_DIM = len(BOND_TYPES) + 2


def _one_hot(value, choices) -> list[float]:
    out = [0.0] * (len(choices) + 1)
    out[choices.index(value) if value in choices else len(choices)] = 1.0
    return out


def atom_features(atom: Chem.Atom) -> list[float]:
    """One atom's 33 features: one-hots of element (12), degree 0-4/other (6), formal charge -1/0/+1/other
    (4), total H 0-2/other (4), hybridisation sp/sp2/sp3/other (4); aromatic, in ring, mass / 100."""
    return (_one_hot(atom.GetAtomicNum(), ELEMENTS) + _one_hot(atom.GetDegree(), (0, 1, 2, 3, 4))
            + _one_hot(atom.GetFormalCharge(), (-1, 0, 1)) + _one_hot(atom.GetTotalNumHs(), (0, 1, 2))
            + _one_hot(atom.GetHybridization(), HYBRID)
            + [float(atom.GetIsAromatic()), float(atom.IsInRing()), atom.GetMass() / 100.0])


def bond_features(bond: Chem.Bond) -> list[float]:
    """One bond's 6 features: type single/double/triple/aromatic, conjugated, in ring."""
    kind = [float(bond.GetBondType() == t) for t in BOND_TYPES]
    return kind + [float(bond.GetIsConjugated()), float(bond.IsInRing())]


def mol_arrays(mol: Chem.Mol) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x float32 [N, 33], edge_index int64 [2, 2M] (bond k as columns 2k, 2k+1), edge_attr float32 [2M, 6],
    z int64 [N]."""
    x = np.array([atom_features(a) for a in mol.GetAtoms()], dtype=np.float32).reshape(-1, ATOM_DIM)
    pairs, attrs = [], []
    for b in mol.GetBonds():
        i, j = b.GetBeginAtomIdx(), b.GetEndAtomIdx()
        pairs += [(i, j), (j, i)]
        f = bond_features(b)
        attrs += [f, f]
    edge_index = np.array(pairs, dtype=np.int64).reshape(-1, 2).T.copy()
    edge_attr = np.array(attrs, dtype=np.float32).reshape(-1, BOND_DIM)
    z = np.array([a.GetAtomicNum() for a in mol.GetAtoms()], dtype=np.int64)
    return x, edge_index, edge_attr, z
