"""Atom and bond feature vectors of an RDKit molecule (chemprop-style), built with numpy lookup tables.

Layout (``ATOM_FEATURES``, ``BOND_FEATURES``): one-hot blocks with an "other" slot where the value set is
open, flags, and the atomic mass / 100. Atoms (50): element H B C N O F Si P S Cl Br I other (13), total
degree 0-5+ (6), formal charge -2..+2 other (6), hybridization S SP SP2 SP3 SP3D SP3D2 other (7), aromatic
(1), total H count 0-4+ (5), chiral tag unspecified CW CCW other (4), in ring (1), in a ring of size 3..8
(6, several can be set), mass / 100 (1). Bonds (14): single double triple aromatic other (5), conjugated
(1), in ring (1), stereo none any Z E cis trans other (7).

Speed: RDKit is queried with ``map`` over unbound methods (no Python-level loop), every property of all atoms
lands in one ``np.fromiter`` array (likewise for bonds), and each feature matrix is written by one fancy
assignment through a lookup table. Index-based ``RingInfo`` queries need no atom objects. Identities used to
skip RDKit calls (the tests compare against the per-atom RDKit API):

- total degree = bonded neighbours + ``GetTotalNumHs()`` when no hydrogen is a graph node;
- some atom lies in two rings iff some ring system has more ring bonds than ring atoms (a connected ring
  system with b bonds and a atoms holds b - a + 1 rings), so the per-atom ring-size queries run only then;
- from SMILES, chiral tags need ``@``, bond stereo ``/`` or ``\\``, isotopes ``[`` + digit, dative bonds
  ``<``/``>`` or a metal (see ``smiles_hints``).
"""

from __future__ import annotations

from itertools import chain, repeat

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

# ``raw`` (built in ``mol_to_arrays``) holds one row per atom property: z, total H count, formal charge,
# hybridization, chiral tag, total degree, aromatic, smallest ring size (twice: for the in-ring flag and for
# the ring-size one-hot). Each value v, clipped to [lo, hi] of its row, selects column ``_ATOM_LUT[row, v]``
# (negative charges index from the end of the row). Values without a column (not aromatic, not in a ring,
# ring size > 8) select the mass column, which is written afterwards, so those writes vanish; bonds use an
# extra scratch column that is dropped.
_AO, _BO = ATOM_OFFSETS, BOND_OFFSETS
_ATOM_SCRATCH = _AO["mass"]
_BOND_SCRATCH = BOND_DIM


def _lut(rows: list[dict[int, int]], width: int, fill: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lookup table [n_rows, width] from {value: column} per row, with per-row clip bounds [n_rows, 1]."""
    table = np.full((len(rows), width), fill, dtype=np.int64)
    for j, mapping in enumerate(rows):
        for value, col in mapping.items():
            table[j, value] = col
    lo = np.array([[min(r)] for r in rows], dtype=np.int64)
    hi = np.array([[max(r)] for r in rows], dtype=np.int64)
    return table, lo, hi


def _onehot(offset: int, values, slots) -> dict[int, int]:
    return {v: offset + s for v, s in zip(values, slots, strict=True)}


_ATOM_LUT, _ATOM_LO, _ATOM_HI = _lut(
    [
        _onehot(_AO["element"], range(128), _ELEMENT_SLOT[:128]),
        _onehot(_AO["num_hs"], range(5), range(5)),
        _onehot(_AO["formal_charge"], range(-3, 4), [5, 0, 1, 2, 3, 4, 5]),
        _onehot(_AO["hybridization"], range(32), _HYB_SLOT),
        _onehot(_AO["chirality"], range(4), range(4)),
        _onehot(_AO["degree"], range(6), range(6)),
        {0: _ATOM_SCRATCH, 1: _AO["aromatic"]},
        {0: _ATOM_SCRATCH, 1: _AO["in_ring"]},  # value: min(smallest ring size, 1)
        {0: _ATOM_SCRATCH, **_onehot(_AO["ring_size"], range(3, 9), range(6)), 9: _ATOM_SCRATCH},
    ],
    width=128,
    fill=_ATOM_SCRATCH,
)
_ATOM_HI[7] = 64  # in_ring row: any ring size counts; entries 2..64 are set below
_ATOM_LUT[7, 1:65] = _AO["in_ring"]
_ATOM_ROWS = np.arange(len(_ATOM_LUT))[:, None]
# bond rows: bond type (BondType value), stereo (BondStereo value), conjugated, in ring
_BOND_ROWS_SPEC = [
    _onehot(_BO["bond_type"], range(64), _BOND_SLOT),
    _onehot(_BO["stereo"], range(7), range(7)),
    {0: _BOND_SCRATCH, 1: _BO["conjugated"]},
    {0: _BOND_SCRATCH, 1: _BO["in_ring"]},
]
_BOND_LUT, _BOND_LO, _BOND_HI = _lut(_BOND_ROWS_SPEC, width=64, fill=_BOND_SCRATCH)
# fast path: the bond type row holds twice the bond order
# (SINGLE 2, AROMATIC 3, DOUBLE 4, TRIPLE 6, QUADRUPLE 8 -> other)
_BOND_LUT_X2 = _BOND_LUT.copy()
_BOND_LUT_X2[0] = _BO["bond_type"] + 4
_BOND_LUT_X2[0, [2, 3, 4, 6]] = _BO["bond_type"] + np.array([0, 3, 1, 2])
_BOND_ROWS = np.arange(len(_BOND_LUT))[:, None]
_MASS_100 = _MASS * 0.01
_RING_SIZE_COL = {s: _AO["ring_size"] + s - 3 for s in range(3, 9)}

_A, _B = Chem.Atom, Chem.Bond
_ATOM_GETTERS = (
    _A.GetAtomicNum,
    _A.GetTotalNumHs,
    _A.GetFormalCharge,
    _A.GetHybridization,
    _A.GetChiralTag,
    _A.GetTotalDegree,
    _A.GetIsAromatic,
)


# elements that sanitization never turns into dative-bond partners (``cleanupOrganometallics`` acts on metals)
_NON_METALS = frozenset(
    "H He B C N O F Ne Si P S Cl Ar Ge As Se Br Kr Te I Xe At Rn b c n o p s se as te".split()
)


def smiles_hints(smiles: str) -> dict[str, bool]:
    """Which optional properties a molecule parsed from ``smiles`` can carry (hints for ``mol_to_arrays``).

    Chiral tags need ``@``, bond stereo ``/`` or ``\\``, isotopes ``[`` + digit, hydrogen atoms in the graph a
    bracket atom of element H (``[H]``, ``[2H+]``), dative bonds ``<``/``>`` or a metal (always bracketed).
    Formal charges are not hinted: sanitization creates them (``N(=O)=O`` -> ``[N+](=O)[O-]``).
    """
    isotopes = explicit_h = metal = False
    start = smiles.find("[")
    while start != -1:
        j = start + 1
        while smiles[j : j + 1].isdigit():
            j += 1
        isotopes = isotopes or j > start + 1
        symbol = smiles[j : j + 2] if smiles[j + 1 : j + 2].islower() else smiles[j : j + 1]
        metal = metal or symbol not in _NON_METALS
        explicit_h = explicit_h or symbol == "H"
        start = smiles.find("[", j)
    return {
        "chiral": "@" in smiles,
        "bond_stereo": "/" in smiles or "\\" in smiles,
        "isotopes": isotopes,
        "exotic_bonds": metal or "<" in smiles or ">" in smiles,
        "explicit_h": explicit_h,
    }


def mol_to_arrays(
    mol: Chem.Mol,
    *,
    chiral: bool = True,
    bond_stereo: bool = True,
    isotopes: bool = True,
    exotic_bonds: bool = True,
    explicit_h: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Featurize a sanitized molecule (its ring info must be initialised).

    Shapes:
        returns ``x`` float32 ``[N, ATOM_DIM]``, ``edge_index`` int64 ``[2, 2M]`` (columns 2k and 2k+1 are
        the two directions of bond k), ``edge_attr`` float32 ``[2M, BOND_DIM]``, ``z`` int64 ``[N]``.
    The keyword hints switch off RDKit calls for properties the molecule cannot have (``smiles_hints``;
    ``explicit_h=False`` promises that no hydrogen is a graph node); with all of them True (the default)
    any molecule is handled.
    """
    n = mol.GetNumAtoms()
    m = mol.GetNumBonds()
    atoms = list(map(mol.GetAtomWithIdx, range(n)))
    bonds = list(map(mol.GetBondWithIdx, range(m)))
    ring_info = mol.GetRingInfo()
    n_rings = ring_info.NumRings()

    # bond rows: begin, end, type code, stereo, conjugated, in ring
    if bond_stereo or exotic_bonds:
        type_code, stereo, lut = map(_B.GetBondType, bonds), map(_B.GetStereo, bonds), _BOND_LUT
    else:  # no enum conversions: twice the bond order identifies every bond type SMILES can write but "->"
        type_code, stereo, lut = (
            map(float.__mul__, map(_B.GetBondTypeAsDouble, bonds), repeat(2.0, m)),
            repeat(0, m),
            _BOND_LUT_X2,
        )
    braw = np.fromiter(
        chain(
            map(_B.GetBeginAtomIdx, bonds),
            map(_B.GetEndAtomIdx, bonds),
            type_code,
            stereo,
            map(_B.GetIsConjugated, bonds),
            map(_B.IsInRing, bonds) if n_rings else repeat(0, m),
        ),
        np.int64,
        6 * m,
    ).reshape(6, m)

    # atom rows: z, total H count, charge, hybridization, chiral tag, total degree, aromatic,
    # smallest ring size (twice: in-ring flag and ring-size one-hot)
    z_, hs_, chg_, hyb_, chi_, deg_, aro_ = _ATOM_GETTERS
    if n_rings:
        ring_size = map(ring_info.MinAtomRingSize, range(n))
        ring_size_again = map(ring_info.MinAtomRingSize, range(n))
    else:
        ring_size, ring_size_again = repeat(0, n), repeat(0, n)
    raw = np.fromiter(
        chain(
            map(z_, atoms),
            map(hs_, atoms, repeat(True, n)) if explicit_h else map(hs_, atoms),  # H neighbours count
            map(chg_, atoms),
            map(hyb_, atoms),
            map(chi_, atoms) if chiral or isotopes else repeat(0, n),
            map(deg_, atoms) if explicit_h else repeat(0, n),
            map(aro_, atoms),
            ring_size,
            ring_size_again,
        ),
        np.int64,
        9 * n,
    ).reshape(9, n)
    z = raw[0].copy()
    if not explicit_h:  # total degree = bonded neighbours + hydrogens on the atom
        raw[5] = np.bincount(braw[:2].ravel(), minlength=n)
        raw[5] += raw[1]
    np.minimum(raw, _ATOM_HI, out=raw)
    np.maximum(raw, _ATOM_LO, out=raw)
    x = np.zeros((n, ATOM_DIM), dtype=np.float32)
    x[_COLS[:, :n] if n <= 512 else np.arange(n)[None, :], _ATOM_LUT[_ATOM_ROWS, raw]] = 1.0
    if isotopes and any(map(_A.GetIsotope, atoms)):  # also overwrites the scratch writes (see _ATOM_SCRATCH)
        x[:, _AO["mass"]] = np.fromiter(map(_A.GetMass, atoms), np.float64, n) * 0.01
    else:
        x[:, _AO["mass"]] = _MASS_100[z]
    # Atoms in two or more rings exist iff some ring system has more ring bonds than ring atoms
    # (a ring system with b bonds and a atoms holds b - a + 1 rings).
    if n_rings > 1 and np.count_nonzero(braw[5]) > np.count_nonzero(raw[7]):
        for i in np.flatnonzero(np.fromiter(map(ring_info.NumAtomRings, range(n)), np.int64, n) > 1).tolist():
            for size in range(3, 9):  # flag every ring size of the atom, not only the smallest
                if ring_info.IsAtomInRingOfSize(i, size):
                    x[i, _RING_SIZE_COL[size]] = 1.0

    edge_index = np.empty((2, m, 2), dtype=np.int64)
    edge_index[0] = braw[:2].T
    edge_index[1] = braw[1::-1].T
    bcodes = braw[2:]
    np.minimum(bcodes, _BOND_HI, out=bcodes)
    e = np.zeros((m, BOND_DIM + 1), dtype=np.float32)
    e[_COLS[:, :m] if m <= 512 else np.arange(m)[None, :], lut[_BOND_ROWS, bcodes]] = 1.0
    return x, edge_index.reshape(2, 2 * m), e[:, :BOND_DIM].repeat(2, axis=0), z


_COLS = np.arange(512)[None, :]
