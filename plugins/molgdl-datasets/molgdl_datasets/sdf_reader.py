"""SDF reader (RDKit): records with SMILES, atomic numbers, coordinates and the mol block.

Each record keeps its explicit hydrogens (``removeHs=False``): ``z`` and ``pos`` cover every atom of
the block, ``smiles`` is ``Chem.MolToSmiles`` of the molecule without hydrogens. ``pos`` (Å) is set
only for 3D records (RDKit's ``Conformer.Is3D()``; a record flagged 2D whose z coordinates are not all
zero is 3D for RDKit); 2D depictions get ``pos=None``.
Targets come from SDF properties (``> <name>``): a missing property is NaN, a non-numeric one sends the
record to the invalid rows, and so does a record RDKit cannot parse.
"""

from __future__ import annotations

import numpy as np

from molgdl.data import InvalidRow, MoleculeRecord, MoleculeTable
from molgdl.errors import DataError
from molgdl_datasets._util import check_binary, did_you_mean, existing_file


def read_sdf_table(
    path: str,
    *,
    target_columns: list[str],
    id_property: str | None = None,
    task: str = "regression",
    units: dict[str, str] | None = None,
) -> MoleculeTable:
    """Read an SDF file into a :class:`MoleculeTable`.

    Shapes:
        record.z ``[n_atoms]`` int64, record.pos ``[n_atoms, 3]`` float64 Å (hydrogens included);
        targets ``[n_valid, len(target_columns)]`` float64, NaN = missing.
    Rows are 1-based record numbers in the file.
    """
    from rdkit import Chem, RDLogger

    file = existing_file(path, "SDF")
    where = f"SDF {file}"
    supplier = Chem.SDMolSupplier(str(file), removeHs=False)
    n = len(supplier)
    if n == 0:
        raise DataError(f"{where} holds no records", hint="an SDF record ends with a '$$$$' line")

    records: list[MoleculeRecord] = []
    invalid: list[InvalidRow] = []
    rows: list[list[float]] = []
    seen_props: set[str] = set()
    present = np.zeros(len(target_columns), dtype=bool)
    RDLogger.DisableLog("rdApp.*")
    try:
        for i in range(n):
            row = i + 1
            mol = supplier[i]
            if mol is None:
                reason = _parse_failure(supplier, i)
                invalid.append(InvalidRow(row=row, id=f"row{row}", smiles="", reason=reason))
                continue
            props = mol.GetPropsAsDict(includePrivate=False, includeComputed=False)
            seen_props.update(props)
            rid = _record_id(mol, id_property, row)
            smiles = Chem.MolToSmiles(Chem.RemoveHs(mol, sanitize=False))
            values: list[float] = []
            problems: list[str] = []
            for j, name in enumerate(target_columns):
                if not mol.HasProp(name):
                    values.append(float("nan"))
                    continue
                present[j] = True
                text = mol.GetProp(name).strip()
                value = _to_float(text)
                if value is None:
                    problems.append(f"non-numeric value {text!r} in property {name!r}")
                    values.append(float("nan"))
                else:
                    values.append(value)
            if problems:
                invalid.append(InvalidRow(row=row, id=rid, smiles=smiles, reason="; ".join(problems)))
                continue
            z = np.array([a.GetAtomicNum() for a in mol.GetAtoms()], dtype=np.int64)
            pos = None
            if mol.GetNumConformers() and mol.GetConformer().Is3D():
                pos = np.asarray(mol.GetConformer().GetPositions(), dtype=np.float64).reshape(-1, 3)
            records.append(
                MoleculeRecord(id=rid, smiles=smiles, row=row, z=z, pos=pos, molblock=Chem.MolToMolBlock(mol))
            )
            rows.append(values)
    finally:
        RDLogger.EnableLog("rdApp.*")

    for j, name in enumerate(target_columns):
        if not present[j] and (records or seen_props):
            found = sorted(seen_props)
            raise DataError(
                f"{where}: no record has the property {name!r}{did_you_mean(name, found)}; "
                f"properties found: {found}",
                hint="set `target_columns` to SDF property names (the '> <name>' lines)",
            )
    if not records:
        raise DataError(
            f"{where}: none of the {n} records is usable; first problem (record {invalid[0].row}): "
            f"{invalid[0].reason}",
            hint="check the file is a valid SDF (V2000/V3000 blocks separated by '$$$$')",
        )
    targets = np.asarray(rows, dtype=np.float64).reshape(len(records), len(target_columns))
    if task == "classification":
        check_binary(targets, list(target_columns), where)
    return MoleculeTable(
        records=records,
        targets=targets,
        target_names=list(target_columns),
        task=task,  # type: ignore[arg-type]
        source=str(file),
        invalid=invalid,
        n_read=n,
        units=dict(units or {}),
    )


def _to_float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _record_id(mol, id_property: str | None, row: int) -> str:
    if id_property is not None and mol.HasProp(id_property):
        value = mol.GetProp(id_property).strip()
        if value:
            return value
    name = mol.GetProp("_Name").strip() if mol.HasProp("_Name") else ""
    return name or f"row{row}"


def _parse_failure(supplier, i: int) -> str:
    """Why RDKit rejected record ``i``: re-parse without sanitization to get the message."""
    from rdkit import Chem

    try:
        text = supplier.GetItemText(i)
    except Exception:  # noqa: BLE001 - reason text only
        return "RDKit could not read the SDF record"
    block = text.split("$$$$")[0]
    mol = Chem.MolFromMolBlock(block, sanitize=False, removeHs=False)
    if mol is None:
        return "RDKit could not read the mol block (malformed atom/bond lines or counts line)"
    try:
        Chem.SanitizeMol(mol)
    except Exception as exc:  # noqa: BLE001 - RDKit raises several sanitization exception types
        return f"RDKit sanitization failed: {exc}"
    return "RDKit could not read the SDF record"


def sdf_records_to_smiles(records: list[str]) -> tuple[list[str], dict[int, str]]:
    """SMILES (hydrogens implicit) of SDF record texts, read in order by RDKit's ``ForwardSDMolSupplier``:
    ``(smiles, {position: reason})``, ``""`` where a record cannot be read. RDKit's messages go to the Python
    logger ``rdkit`` meanwhile (streaming predict writes that logger to ``<output>.log``)."""
    import io

    from rdkit import Chem, rdBase

    rdBase.LogToPythonLogger()
    try:
        supplier = Chem.ForwardSDMolSupplier(io.BytesIO("".join(records).encode()), sanitize=True, removeHs=True)
        smiles, errors = [], {}
        for i, mol in enumerate(supplier):
            if mol is None:
                errors[i] = "the SDF record could not be read by RDKit (the log names the problem)"
                smiles.append("")
            else:
                smiles.append(Chem.MolToSmiles(mol))
    finally:
        rdBase.LogToCppStreams()
    for i in range(len(smiles), len(records)):  # the supplier stopped early: mark the rest unread
        errors[i] = "the SDF record could not be read by RDKit"
        smiles.append("")
    return smiles, errors
