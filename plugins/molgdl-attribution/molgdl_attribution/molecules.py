"""RDKit molecules whose atom order is that of the attributions (graph nodes or fingerprint atom indices)."""

from __future__ import annotations

from typing import Any, Sequence


def molecule_of(record: Any):
    """The record's RDKit molecule, hydrogens implicit (from SMILES, else its molblock), or None.

    This is the atom order of ``graph2d`` graphs and of the fingerprints' ``atom_environments``."""
    from rdkit import Chem, rdBase

    with rdBase.BlockLogs():
        smiles = (record.smiles or "").strip() if getattr(record, "smiles", None) is not None else ""
        if smiles:
            return Chem.MolFromSmiles(smiles)
        if getattr(record, "molblock", None):
            return Chem.MolFromMolBlock(record.molblock)
    return None


def matching_molecule(record: Any, z: Sequence[int] | None):
    """The record's molecule with the atom order of a graph whose atomic numbers are ``z``: hydrogens
    implicit, or explicit (``Chem.AddHs``, as 3D featurizers keep them); None when neither matches."""
    from rdkit import Chem

    mol = molecule_of(record)
    if mol is None:
        return None
    if z is None:
        return mol
    z = [int(v) for v in z]
    for candidate in (mol, Chem.AddHs(mol)):
        if [a.GetAtomicNum() for a in candidate.GetAtoms()] == z:
            return candidate
    return None
