"""Atom and bond feature vectors of an RDKit molecule, computed with numpy index arrays.

The layout (``ATOM_FEATURES``/``BOND_FEATURES``) is one-hot blocks with an "other" slot where the
value set is open, plus a few scalars. One Python pass over the atoms and one over the bonds
collect integer properties; everything else (one-hots, degree, ring membership, ring sizes, bond
ring membership, reverse-edge layout) is numpy on those arrays.

Identities used to save RDKit calls (checked in the tests against the per-atom RDKit API):

- total degree = graph degree + ``GetTotalNumHs()``; total H count = ``GetTotalNumHs()`` + number of
  explicit hydrogen neighbours (so features of heavy atoms do not change under ``AddHs``);
- an atom is in a ring iff it belongs to an SSSR ring; a bond is in a ring iff both its atoms share
  an SSSR ring (a chord of a cycle closes a smaller cycle);
- from SMILES, chiral tags need an ``@``, bond stereo needs ``/`` or ``\\``, isotopes need ``[`` + digit;
  the caller passes these hints and the matching RDKit calls are skipped when they are off.
"""

from __future__ import annotations

import numpy as np
from rdkit import Chem

ELEMENTS: tuple[int, ...] = (1, 5, 6, 7, 8, 9, 14, 15, 16, 17, 35, 53)  # H B C N O F Si P S Cl Br I
_ELEMENT_SYMBOLS = ("H", "B", "C", "N", "O", "F", "Si", "P", "S", "Cl", "Br", "I")

# (block name, labels); one-hot blocks end in "other" where the value set is open.
_ATOM_BLOCKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("element", _ELEMENT_SYMBOLS + ("other",)),
    ("degree", ("0", "1", "2", "3", "4", "5+")),
    ("formal_charge", ("-2", "-1", "0", "+1", "+2", "other")),
    ("hybridization", ("S", "SP", "SP2", "SP3", "SP3D", "SP3D2", "other")),
    ("aromatic", ("",)),
    ("num_hs", ("0", "1", "2", "3", "4+")),
    ("chirality", ("unspecified", "CW", "CCW", "other")),
    ("in_ring", ("",)),
    ("ring_size", ("3", "4", "5", "6", "7", "8")),
    ("mass", ("/100",)),
)
_BOND_BLOCKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bond_type", ("single", "double", "triple", "aromatic", "other")),
    ("conjugated", ("",)),
    ("in_ring", ("",)),
    ("stereo", ("none", "any", "Z", "E", "cis", "trans", "other")),
)


def _layout(blocks):
    offsets, names, start = {}, [], 0
    for name, labels in blocks:
        offsets[name] = start
        names += [f"{name}={lab}" if lab else name for lab in labels]
        start += len(labels)
    return offsets, names


ATOM_OFFSETS, ATOM_FEATURES = _layout(_ATOM_BLOCKS)
BOND_OFFSETS, BOND_FEATURES = _layout(_BOND_BLOCKS)
ATOM_DIM: int = len(ATOM_FEATURES)  # 50
BOND_DIM: int = len(BOND_FEATURES)  # 14

# lookup tables: RDKit integer value -> slot inside its block
_ELEMENT_SLOT = np.full(256, len(ELEMENTS), dtype=np.int64)
_ELEMENT_SLOT[list(ELEMENTS)] = np.arange(len(ELEMENTS))
# HybridizationType: UNSPECIFIED S SP SP2 SP3 SP2D SP3D SP3D2 OTHER (+ room for future values)
_HYB_SLOT = np.full(32, 6, dtype=np.int64)
_HYB_SLOT[[1, 2, 3, 4, 6, 7]] = [0, 1, 2, 3, 4, 5]
# BondType: SINGLE=1 DOUBLE=2 TRIPLE=3 AROMATIC=12, everything else "other"
_BOND_SLOT = np.full(64, 4, dtype=np.int64)
_BOND_SLOT[[1, 2, 3, 12]] = [0, 1, 2, 3]
_PT = Chem.GetPeriodicTable()
_MASS = np.array([_PT.GetAtomicWeight(z) for z in range(119)] + [0.0] * (256 - 119))

_AO, _BO = ATOM_OFFSETS, BOND_OFFSETS
_ATOM_ONEHOT_OFFSETS = np.array(
    [_AO["element"], _AO["degree"], _AO["formal_charge"], _AO["hybridization"], _AO["num_hs"], _AO["chirality"]]
)


def smiles_hints(smiles: str) -> dict[str, bool]:
    """Which optional RDKit properties a molecule parsed from ``smiles`` can carry."""
    bracket_digit = False
    start = smiles.find("[")
    while start != -1 and not bracket_digit:
        bracket_digit = smiles[start + 1 : start + 2].isdigit()
        start = smiles.find("[", start + 1)
    return {
        "chiral": "@" in smiles,
        "bond_stereo": "/" in smiles or "\\" in smiles,
        "isotopes": bracket_digit,
    }


def mol_to_arrays(
    mol: Chem.Mol, *, chiral: bool = True, bond_stereo: bool = True, isotopes: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Featurize a sanitized molecule (ring info must be initialised).

    Shapes:
        returns ``x`` float32 ``[N, ATOM_DIM]``, ``edge_index`` int64 ``[2, 2M]`` (columns 2k and 2k+1 are
        the two directions of bond k), ``edge_attr`` float32 ``[2M, BOND_DIM]``, ``z`` int64 ``[N]``.
    The hints switch off RDKit calls for properties the molecule cannot have (see ``smiles_hints``).
    """
    n = mol.GetNumAtoms()
    if chiral or isotopes:
        rows = [
            (a.GetAtomicNum(), a.GetFormalCharge(), a.GetHybridization(), a.GetIsAromatic(), a.GetTotalNumHs(),
             a.GetChiralTag(), a.GetIsotope())
            for a in mol.GetAtoms()
        ]
        atoms = np.array(rows, dtype=np.int64).reshape(n, 7)
    else:
        rows = [
            (a.GetAtomicNum(), a.GetFormalCharge(), a.GetHybridization(), a.GetIsAromatic(), a.GetTotalNumHs())
            for a in mol.GetAtoms()
        ]
        atoms = np.array(rows, dtype=np.int64).reshape(n, 5)
    if bond_stereo:
        brows = [
            (b.GetBeginAtomIdx(), b.GetEndAtomIdx(), b.GetBondType(), b.GetIsConjugated(), b.GetStereo())
            for b in mol.GetBonds()
        ]
        bonds = np.array(brows, dtype=np.int64).reshape(-1, 5)
    else:
        brows = [
            (b.GetBeginAtomIdx(), b.GetEndAtomIdx(), b.GetBondType(), b.GetIsConjugated()) for b in mol.GetBonds()
        ]
        bonds = np.array(brows, dtype=np.int64).reshape(-1, 4)
    m = len(bonds)

    z = atoms[:, 0]
    zc = np.minimum(z, 255)
    hs = atoms[:, 4]  # implicit + explicit-property Hs, not H neighbours
    begin, end = bonds[:, 0], bonds[:, 1]
    ends = np.concatenate([begin, end])
    others = np.concatenate([end, begin])
    degree = np.bincount(ends, minlength=n) + hs
    h_neighbours = np.bincount(ends, weights=(z[others] == 1), minlength=n).astype(np.int64)

    charge = atoms[:, 1]
    cols = np.empty((n, 6), dtype=np.int64)
    cols[:, 0] = _ELEMENT_SLOT[zc]
    cols[:, 1] = np.minimum(degree, 5)
    cols[:, 2] = np.where(np.abs(charge) <= 2, charge + 2, 5)
    cols[:, 3] = _HYB_SLOT[np.minimum(atoms[:, 2], 31)]
    cols[:, 4] = np.minimum(hs + h_neighbours, 4)
    cols[:, 5] = np.minimum(atoms[:, 5], 3) if chiral or isotopes else 0
    cols += _ATOM_ONEHOT_OFFSETS

    x = np.zeros((n, ATOM_DIM), dtype=np.float32)
    x[np.arange(n)[:, None], cols] = 1.0
    x[:, _AO["aromatic"]] = atoms[:, 3]
    if isotopes and atoms[:, 6].any():
        x[:, _AO["mass"]] = [a.GetMass() for a in mol.GetAtoms()]
        x[:, _AO["mass"]] *= 0.01
    else:
        x[:, _AO["mass"]] = _MASS[zc] * 0.01

    bond_in_ring = np.zeros(m, dtype=bool)
    rings = mol.GetRingInfo().AtomRings()
    if rings:
        sizes = np.fromiter((len(r) for r in rings), dtype=np.int64, count=len(rings))
        member = np.zeros((n, len(rings)), dtype=bool)  # atom i in ring k
        member[np.fromiter((i for r in rings for i in r), dtype=np.int64), np.repeat(np.arange(len(rings)), sizes)] = True
        x[:, _AO["in_ring"]] = member.any(axis=1)
        size_onehot = np.zeros((len(rings), 6), dtype=np.float32)
        ok = (sizes >= 3) & (sizes <= 8)
        size_onehot[np.nonzero(ok)[0], sizes[ok] - 3] = 1.0
        x[:, _AO["ring_size"] : _AO["ring_size"] + 6] = (member.astype(np.float32) @ size_onehot) > 0
        if m:
            bond_in_ring = (member[begin] & member[end]).any(axis=1)

    edge_index = np.empty((2, 2 * m), dtype=np.int64)
    edge_index[0, 0::2] = begin
    edge_index[1, 0::2] = end
    edge_index[0, 1::2] = end
    edge_index[1, 1::2] = begin

    e = np.zeros((m, BOND_DIM), dtype=np.float32)
    rows_m = np.arange(m)
    e[rows_m, _BO["bond_type"] + _BOND_SLOT[np.minimum(bonds[:, 2], 63)]] = 1.0
    e[:, _BO["conjugated"]] = bonds[:, 3]
    e[:, _BO["in_ring"]] = bond_in_ring
    stereo = np.minimum(bonds[:, 4], 6) if bond_stereo else 0
    e[rows_m, _BO["stereo"] + stereo] = 1.0
    edge_attr = np.repeat(e, 2, axis=0)
    return x, edge_index, edge_attr, z.copy()
