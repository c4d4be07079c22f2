"""Atom scores aggregated over a data set into the atom-centred substructures that push predictions up or
down.

Every attributed atom is keyed by its atom-centred environment of ``radius`` bonds (the atoms and bonds of
RDKit's ``FindAtomEnvironmentOfRadiusN``, the same environments as Morgan/ECFP bits), written as a canonical
SMILES with the centre atom mapped as ``:1`` (hydrogens and stereo left out): ``C[C:1](N)=O`` is a carbonyl
carbon bonded to a carbon and a nitrogen, ``C[N:1]c`` a nitrogen between an aliphatic and an aromatic carbon.
The table gives, per key, how often it occurs and the mean and spread of its centre atoms' scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

_AROMATIC_MARK = re.compile(r"\[1([bcnops])\]")  # an aromatic organic-subset atom marked with isotope 1
COLUMNS = ["substructure", "radius", "direction", "mean", "std", "sem", "n_atoms", "n_molecules", "sum",
           "example_position", "example_atom"]


@dataclass(frozen=True)
class Environment:
    """``key``: SMILES rooted at the centre; ``atoms``, ``bonds``: indices in the molecule."""

    key: str
    atoms: tuple[int, ...]
    bonds: tuple[int, ...]


def atom_environment(mol, atom: int, radius: int) -> Environment:
    """The environment of ``radius`` bonds around ``atom`` of ``mol`` (smaller where the molecule ends)."""
    from rdkit import Chem

    bonds = list(Chem.FindAtomEnvironmentOfRadiusN(mol, radius, atom, enforceSize=False)) if radius else []
    atoms = {atom}
    for b in bonds:
        bond = mol.GetBondWithIdx(b)
        atoms.update((bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()))
    return Environment(environment_key(mol, atom, sorted(atoms), bonds), tuple(sorted(atoms)), tuple(bonds))


def environment_key(mol, centre: int, atoms: Sequence[int], bonds: Sequence[int]) -> str:
    """Canonical SMILES of the environment with the centre as atom-map number 1; hydrogens, isotopes and
    stereo left out. The environment is rebuilt as a fresh molecule (RDKit's canonical order of a fragment of
    a bigger molecule depends on its atom numbering); aromatic atoms carry isotope 1 while it is ranked
    (RDKit's canonical ranking does not tell ``c`` from ``C`` when the ring bonds are cut), then it is
    removed."""
    from rdkit import Chem

    rw = Chem.RWMol()
    index = {}
    for a in atoms:
        src = mol.GetAtomWithIdx(a)
        new = Chem.Atom(src.GetAtomicNum())
        new.SetFormalCharge(src.GetFormalCharge())
        new.SetIsAromatic(src.GetIsAromatic())
        new.SetNoImplicit(True)
        if src.GetIsAromatic():
            new.SetIsotope(1)
        if a == centre:
            new.SetAtomMapNum(1)
        index[a] = rw.AddAtom(new)
    for b in bonds:
        bond = mol.GetBondWithIdx(b)
        i, j = index[bond.GetBeginAtomIdx()], index[bond.GetEndAtomIdx()]
        rw.AddBond(i, j, bond.GetBondType())
        rw.GetBondBetweenAtoms(i, j).SetIsAromatic(bond.GetIsAromatic())
    sub = rw.GetMol()
    sub.UpdatePropertyCache(False)
    text = Chem.MolToSmiles(sub, canonical=True, isomericSmiles=True)
    return _AROMATIC_MARK.sub(r"\1", text).replace("[1", "[")


def substructure_table(mols: Sequence, scores: Sequence[np.ndarray], positions: Sequence[int],
                       radius: int = 1, min_molecules: int = 1) -> pd.DataFrame:
    """One row per atom-centred substructure found in at least ``min_molecules`` molecules.

    ``mols[i]`` (RDKit molecule or None: skipped) has atom scores ``scores[i]`` ``[N_i]`` and is molecule
    ``positions[i]``. Columns: ``substructure`` (rooted SMILES), ``radius``, ``direction`` (up: mean > 0,
    down: mean < 0), ``mean``, ``std``, ``sem`` of the centre atoms' scores, ``n_atoms`` (occurrences),
    ``n_molecules``, ``sum``, and an example (``example_position``, ``example_atom``). Sorted by mean,
    highest first.
    """
    values: dict[str, list[float]] = {}
    molecules: dict[str, set[int]] = {}
    example: dict[str, tuple[int, int, float]] = {}
    for mol, s, pos in zip(mols, scores, positions):
        if mol is None or len(s) != mol.GetNumAtoms():
            continue
        for a in range(mol.GetNumAtoms()):
            if not np.isfinite(s[a]):
                continue
            key = atom_environment(mol, a, radius).key
            values.setdefault(key, []).append(float(s[a]))
            molecules.setdefault(key, set()).add(int(pos))
            if key not in example or abs(s[a]) > abs(example[key][2]):
                example[key] = (int(pos), a, float(s[a]))
    rows = []
    for key, v in values.items():
        if len(molecules[key]) < min_molecules:
            continue
        arr = np.asarray(v)
        std = float(arr.std(ddof=1)) if len(arr) > 1 else 0.0
        mean = float(arr.mean())
        direction = "up" if mean > 0 else ("down" if mean < 0 else "none")
        rows.append([key, radius, direction, mean, std, std / np.sqrt(len(arr)), len(arr),
                     len(molecules[key]), float(arr.sum()), example[key][0], example[key][1]])
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values(["mean", "n_atoms"], ascending=[False, False], ignore_index=True)


def top_and_bottom(table: pd.DataFrame, k: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``k`` substructures with the highest positive and the ``k`` with the lowest negative mean."""
    up = table[table["mean"] > 0].head(k)
    down = table[table["mean"] < 0].sort_values("mean").head(k)
    return up, down
