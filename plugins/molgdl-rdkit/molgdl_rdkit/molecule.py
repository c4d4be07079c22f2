"""From a ``MoleculeRecord`` to an RDKit molecule, with RDKit's own reason when that fails."""

from __future__ import annotations

import re

from rdkit import Chem, rdBase

from molgdl.data import MoleculeRecord
from molgdl.errors import FeaturizationError

_TIMESTAMP = re.compile(r"^\[\d\d:\d\d:\d\d\]\s*")
_SPACE = re.compile(r"\s")


def where(record: MoleculeRecord) -> str:
    """``row 12 (id 'abc')`` for error messages."""
    return f"row {record.row} (id {record.id!r})"


def _rdkit_reason(parse, text: str) -> str:
    """Parse again while capturing RDKit's error log; return its messages as one line."""
    with rdBase.CaptureErrorLog() as capture:
        parse(text)
    lines: list[str] = []
    for line in capture.messages.splitlines():
        line = _TIMESTAMP.sub("", line).strip()
        if line and line not in lines:
            lines.append(line)
    return "; ".join(lines)


_SF = Chem.SanitizeFlags
# sanitization of "plain" SMILES: the stereo clean-ups have nothing to clean without stereo marks
_PLAIN_OPS = _SF.SANITIZE_ALL ^ _SF.SANITIZE_CLEANUPCHIRALITY ^ _SF.SANITIZE_CLEANUPATROPISOMERS
# ... and the organometallic clean-up (dative bonds to metals) has nothing to do without metals
_PLAIN_NO_METAL_OPS = _PLAIN_OPS ^ _SF.SANITIZE_CLEANUP_ORGANOMETALLICS


def parse_smiles(
    smiles: str, record: MoleculeRecord | None = None, *, plain: bool = False, metals: bool = True
) -> Chem.Mol:
    """Sanitized molecule from SMILES; raises ``FeaturizationError`` for invalid or empty SMILES.

    ``plain=True`` promises that the SMILES has no stereo marks (``@ / \\``) and no hydrogen atoms, and
    ``metals=False`` that it has no metal atoms (see ``features.smiles_hints``). The molecule is then parsed
    without sanitization and sanitized directly, skipping ``MolFromSmiles``' hydrogen removal and stereo
    perception and the sanitization clean-ups that have nothing to act on (about half of the parse time).
    The tests check that this gives the same features as ``Chem.MolFromSmiles``.
    """
    if _SPACE.search(smiles.strip()):  # RDKit stops at the space and reads the rest as a name
        label = f"{where(record)}: " if record is not None else ""
        raise FeaturizationError(
            f"{label}SMILES {smiles!r} contains a space: RDKit would read only {smiles.split()[0]!r} and take "
            "the rest as the molecule's name",
            hint="remove the space from the SMILES (or put the name in its own column)",
        )
    mol = None
    with rdBase.BlockLogs():
        if plain:
            mol = Chem.MolFromSmiles(smiles, sanitize=False)
            if mol is not None:
                try:
                    Chem.SanitizeMol(mol, _PLAIN_OPS if metals else _PLAIN_NO_METAL_OPS)
                except Exception:  # noqa: BLE001 - RDKit raises several types; the full parse below reports
                    mol = None
        if mol is None:
            mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        label = f"{where(record)}: " if record is not None else ""
        reason = _rdkit_reason(Chem.MolFromSmiles, smiles) or "SMILES could not be parsed"
        raise FeaturizationError(
            f"{label}SMILES {smiles!r} could not be parsed: {reason}",
            hint="fix or remove the molecule; invalid molecules are listed in invalid_rows.csv",
        )
    if mol.GetNumAtoms() == 0:
        label = f"{where(record)}: " if record is not None else ""
        raise FeaturizationError(
            f"{label}empty molecule (SMILES {smiles!r} has no atoms)", hint="remove rows with empty SMILES"
        )
    return mol


def parse_molblock(
    molblock: str, record: MoleculeRecord | None = None, *, remove_hs: bool = True
) -> Chem.Mol:
    """Sanitized molecule from an SDF/MOL block; raises ``FeaturizationError`` with RDKit's reason."""
    label = f"{where(record)}: " if record is not None else ""
    with rdBase.BlockLogs():
        mol = Chem.MolFromMolBlock(molblock, removeHs=remove_hs)
    if mol is None:
        reason = _rdkit_reason(lambda t: Chem.MolFromMolBlock(t, removeHs=remove_hs), molblock)
        raise FeaturizationError(
            f"{label}molblock could not be parsed: {reason or 'RDKit returned no molecule'}",
            hint="check the SDF record",
        )
    if mol.GetNumAtoms() == 0:
        raise FeaturizationError(f"{label}empty molecule (molblock has no atoms)")
    return mol


def record_smiles(record: MoleculeRecord) -> str | None:
    """The record's SMILES with surrounding whitespace removed, or None."""
    return record.smiles.strip() if record.smiles is not None else None


def mol_from_record(record: MoleculeRecord) -> Chem.Mol:
    """The record's molecule (hydrogens implicit): from SMILES, else from its molblock."""
    smiles = record_smiles(record)
    if smiles is not None and (smiles or not record.molblock):
        return parse_smiles(smiles, record)
    if record.molblock:
        return parse_molblock(record.molblock, record)
    raise FeaturizationError(
        f"{where(record)}: the record has neither SMILES nor a molblock",
        hint="this component needs a molecular graph; for XYZ input use the conformer3d featurizer",
    )
