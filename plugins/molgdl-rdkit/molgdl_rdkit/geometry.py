"""A molecular graph whose atom order matches given coordinates (SDF, XYZ, QM9 records).

Order of attempts: the record's molblock; its SMILES with hydrogens added when the elements already come
in the same order (QM9: 99.9 %); its SMILES matched onto the connectivity perceived from the geometry
(any atom order); the perceived connectivity alone (single bonds; XYZ input without SMILES).
"""

from __future__ import annotations

import numpy as np
from rdkit import Chem, rdBase
from rdkit.Chem import rdDetermineBonds

from molgdl.data import MoleculeRecord
from molgdl.errors import FeaturizationError
from molgdl_rdkit.molecule import record_smiles, where

_PT = Chem.GetPeriodicTable()


def check_geometry(record: MoleculeRecord) -> tuple[np.ndarray, np.ndarray]:
    """``z`` int64 [N] and ``pos`` float32 [N, 3] (Å) of the record, validated."""
    z = np.asarray(record.z, dtype=np.int64).reshape(-1)
    pos = np.asarray(record.pos, dtype=np.float64)
    if pos.shape != (len(z), 3):
        raise FeaturizationError(
            f"{where(record)}: pos has shape {pos.shape}, expected ({len(z)}, 3) for {len(z)} atoms",
            hint="the geometry source must give one xyz row per atom",
        )
    if len(z) == 0:
        raise FeaturizationError(f"{where(record)}: empty molecule (no atoms in the geometry)")
    if not np.isfinite(pos).all():
        raise FeaturizationError(f"{where(record)}: coordinates contain NaN or inf")
    if z.min() < 1 or z.max() > 118:
        raise FeaturizationError(
            f"{where(record)}: atomic numbers must lie in 1..118, got {z.min()}..{z.max()}"
        )
    return z, pos.astype(np.float32)


def _elements(mol: Chem.Mol) -> list[int]:
    return [a.GetAtomicNum() for a in mol.GetAtoms()]


def xyz_block(z: np.ndarray, pos: np.ndarray) -> str:
    lines = [str(len(z)), ""]
    lines += [
        f"{_PT.GetElementSymbol(int(a))} {p[0]:.6f} {p[1]:.6f} {p[2]:.6f}"
        for a, p in zip(z, pos, strict=True)
    ]
    return "\n".join(lines) + "\n"


def connectivity_mol(record: MoleculeRecord, z: np.ndarray, pos: np.ndarray) -> Chem.Mol:
    """Single-bond graph from interatomic distances (``rdDetermineBonds.DetermineConnectivity``)."""
    with rdBase.BlockLogs():
        mol = Chem.MolFromXYZBlock(xyz_block(z, pos))
        if mol is None:
            raise FeaturizationError(f"{where(record)}: RDKit could not read the geometry as an XYZ block")
        try:
            rdDetermineBonds.DetermineConnectivity(mol)
        except Exception as exc:  # noqa: BLE001 - RDKit raises ValueError/RuntimeError variants
            raise FeaturizationError(
                f"{where(record)}: could not determine bonds from the geometry: {exc}",
                hint="give a SMILES column or an SDF with bonds for this molecule",
            ) from exc
        try:
            Chem.SanitizeMol(mol)
        except Exception:  # noqa: BLE001 - odd valences in perceived graphs: keep what can be computed
            mol.UpdatePropertyCache(strict=False)
            Chem.SanitizeMol(
                mol,
                Chem.SanitizeFlags.SANITIZE_SYMMRINGS
                | Chem.SanitizeFlags.SANITIZE_SETCONJUGATION
                | Chem.SanitizeFlags.SANITIZE_SETHYBRIDIZATION,
                catchErrors=True,
            )
    return mol


def _template_onto(template: Chem.Mol, target: Chem.Mol) -> Chem.Mol | None:
    """``template`` (with H) renumbered to the atom order of ``target`` by a bond-order-blind graph match."""
    if template.GetNumAtoms() != target.GetNumAtoms() or template.GetNumBonds() != target.GetNumBonds():
        return None
    query = Chem.RWMol(template)
    for atom in query.GetAtoms():
        atom.SetFormalCharge(0)
        atom.SetIsAromatic(False)
        atom.SetNumExplicitHs(0)
        atom.SetIsotope(0)
        atom.SetChiralTag(Chem.ChiralType.CHI_UNSPECIFIED)
    params = Chem.AdjustQueryParameters.NoAdjustments()
    params.makeBondsGeneric = True
    query = Chem.AdjustQueryProperties(query, params)
    match = target.GetSubstructMatch(query)
    if len(match) != template.GetNumAtoms():
        return None
    order = [0] * len(match)
    for template_idx, target_idx in enumerate(match):
        order[target_idx] = template_idx
    return Chem.RenumberAtoms(template, order)


def mol_for_geometry(record: MoleculeRecord, z: np.ndarray, pos: np.ndarray) -> Chem.Mol:
    """A sanitized molecule whose atom i has atomic number ``z[i]`` (raises ``FeaturizationError``)."""
    target = list(z.tolist())
    if record.molblock:
        with rdBase.BlockLogs():
            mol = Chem.MolFromMolBlock(record.molblock, removeHs=False)
        if mol is not None and _elements(mol) == target:
            return mol
    smiles = record_smiles(record)
    if smiles:
        with rdBase.BlockLogs():
            base = Chem.MolFromSmiles(smiles)
        if base is not None:
            with_h = Chem.AddHs(base)
            if _elements(with_h) == target:
                return with_h
            perceived = connectivity_mol(record, z, pos)
            matched = _template_onto(with_h, perceived)
            if matched is not None:
                return matched
            return perceived  # SMILES and geometry disagree (e.g. a QM9 bond change): trust the geometry
    return connectivity_mol(record, z, pos)
