"""CSV reader: SMILES + numeric targets -> MoleculeTable.

File-level mistakes (missing file, no rows, unknown column, a target column that is empty or not numeric,
non-binary classification labels) raise ``DataError``. Row-level problems (empty SMILES, a non-numeric
target cell, and with ``validate_smiles`` an RDKit parse failure) become ``InvalidRow`` entries; empty
target cells are kept as NaN (masked in the loss).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from molgdl.data import InvalidRow, MoleculeRecord, MoleculeTable
from molgdl.errors import DataError
from molgdl_datasets._util import check_binary, did_you_mean, existing_file
from molgdl_datasets.metadata import read_metadata

#: Cell values read as "missing" (pandas' default NA strings).
NA_STRINGS = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
     "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)  # fmt: skip

#: A target column with more than this fraction of non-numeric (non-empty) cells is a file-level error.
MAX_BAD_FRACTION = 0.5

#: Largest finite float32: targets are trained in float32, a larger value would become inf, then NaN.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def read_csv_table(
    path: str,
    *,
    smiles_column: str = "smiles",
    target_columns: list[str],
    id_column: str | None = None,
    task: str = "regression",
    validate_smiles: bool = False,
    units: dict[str, str] | None = None,
    limit: int | None = None,
    source: str | None = None,
    split_column: str | None = None,
    cliff_column: str | None = None,
    metadata_columns: list[str] | None = None,
) -> MoleculeTable:
    """Read a CSV file into a :class:`MoleculeTable`.

    Shapes:
        targets: ``[n_valid_rows, len(target_columns)]`` float64, NaN = missing.
    Row numbers (``MoleculeRecord.row``, ``InvalidRow.row``) are 1-based data rows (header excluded).
    ``split_column``, ``cliff_column`` and ``metadata_columns`` fill ``MoleculeTable.columns``
    (see :func:`molgdl_datasets.metadata.read_metadata`).
    """
    file = existing_file(path, "CSV")
    try:
        df = pd.read_csv(file, dtype=str, keep_default_na=False, na_filter=False, nrows=limit)
    except pd.errors.EmptyDataError:
        raise DataError(
            f"CSV file is empty: {file}", hint="the file needs a header line and at least one data row"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(
            f"could not parse CSV file {file}: {exc}",
            hint="check the delimiter (must be ','), quoting and encoding (UTF-8) around that line",
        ) from None
    df = df.fillna("")
    where = f"CSV {file}"
    _refuse_duplicate_columns(file, where)
    if len(df) == 0:
        raise DataError(
            f"{where} has a header but no data rows (columns: {list(df.columns)})",
            hint="add data rows below the header line",
        )
    return table_from_text_frame(
        df, where=where, source=source or str(file), smiles_column=smiles_column, target_columns=target_columns,
        id_column=id_column, task=task, validate_smiles=validate_smiles, units=units, split_column=split_column,
        cliff_column=cliff_column, metadata_columns=metadata_columns,
    )


def read_frame_table(
    frame: pd.DataFrame,
    *,
    where: str = "DataFrame",
    smiles_column: str = "smiles",
    target_columns: list[str],
    **kwargs,
) -> MoleculeTable:
    """An in-memory DataFrame read exactly as a CSV file with the same cells would be (every cell as text:
    NaN and None are missing values); ``kwargs`` as :func:`read_csv_table`. Row numbers count data rows from 1."""
    columns = [str(c) for c in frame.columns]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise DataError(f"{where}: the DataFrame has repeated column names {repeated}; which one is meant is "
                        "ambiguous", hint="rename the columns (df.columns = [...]) so that each name is unique")
    if len(frame) == 0:
        raise DataError(f"{where} has no rows (columns: {columns})", hint="pass a DataFrame with one row per molecule")
    text = frame.astype(object).where(frame.notna(), "").astype(str).reset_index(drop=True)
    text.columns = columns
    return table_from_text_frame(text, where=where, source=where, smiles_column=smiles_column,
                                 target_columns=target_columns, **kwargs)


def table_from_text_frame(
    df: pd.DataFrame,
    *,
    where: str,
    source: str,
    smiles_column: str = "smiles",
    target_columns: list[str],
    id_column: str | None = None,
    task: str = "regression",
    validate_smiles: bool = False,
    units: dict[str, str] | None = None,
    split_column: str | None = None,
    cliff_column: str | None = None,
    metadata_columns: list[str] | None = None,
) -> MoleculeTable:
    """A table of text cells (a CSV file's rows, or a DataFrame's) -> :class:`MoleculeTable`; see
    :func:`read_csv_table` for what is checked and what becomes an invalid row."""
    columns = [str(c) for c in df.columns]
    _require_column(columns, smiles_column, "SMILES", "smiles_column", where)
    for col in target_columns:
        _require_column(columns, col, "target", "target_columns", where)
    if id_column is not None:
        _require_column(columns, id_column, "id", "id_column", where)
    for col, param in [(split_column, "split_column"), (cliff_column, "cliff_column"),
                       *((c, "metadata_columns") for c in metadata_columns or [])]:
        if col is not None:
            _require_column(columns, col, "metadata", param, where)

    n = len(df)
    reasons: list[list[str]] = [[] for _ in range(n)]
    targets = np.empty((n, len(target_columns)), dtype=np.float64)
    for j, col in enumerate(target_columns):
        targets[:, j] = _parse_target_column(df[col], col, where, reasons)

    smiles = [s.strip() for s in df[smiles_column].tolist()]
    for i, s in enumerate(smiles):
        if not s:
            reasons[i].insert(0, f"empty SMILES in column {smiles_column!r}")
        elif any(c.isspace() for c in s):
            reasons[i].insert(0, f"SMILES {s!r} in column {smiles_column!r} contains {'a tab' if chr(9) in s else 'a space'}: RDKit would read "
                                 f"only {s.split()[0]!r} and take the rest as the molecule's name")
    if validate_smiles:
        _validate_smiles(smiles, reasons)

    ids_raw = df[id_column].tolist() if id_column is not None else [""] * n
    records: list[MoleculeRecord] = []
    invalid: list[InvalidRow] = []
    keep: list[int] = []
    for i in range(n):
        row = i + 1
        rid = str(ids_raw[i]).strip() or f"row{row}"
        if reasons[i]:
            invalid.append(InvalidRow(row=row, id=rid, smiles=smiles[i], reason="; ".join(reasons[i])))
            continue
        keep.append(i)
        records.append(MoleculeRecord(id=rid, smiles=smiles[i], row=row))
    if not records:
        raise DataError(
            f"{where}: none of the {n} data rows is usable; first problem (row {invalid[0].row}): "
            f"{invalid[0].reason}",
            hint="check `smiles_column` and `target_columns` point at the right columns",
        )
    kept = targets[keep]
    if task == "classification":
        check_binary(kept, list(target_columns), where)
    return MoleculeTable(
        records=records,
        targets=kept,
        target_names=list(target_columns),
        task=task,  # type: ignore[arg-type]
        source=source,
        invalid=invalid,
        n_read=n,
        units=dict(units or {}),
        columns=read_metadata(df, keep, split_column=split_column, cliff_column=cliff_column,
                              metadata_columns=list(metadata_columns or []), where=where),
    )


def _require_column(columns: list[str], name: str, what: str, param: str, where: str) -> None:
    if name in columns:
        return
    hint = f"set `{param}` to one of the columns found (names are case- and space-sensitive)"
    if len(columns) == 1 and any(sep in columns[0] for sep in ("\t", ";", "|")):
        hint = "the file does not look comma-separated (one column found): save it as CSV with ',' delimiters"
    raise DataError(
        f"{where}: no {what} column {name!r}{did_you_mean(name, columns)}; columns found: {columns}",
        hint=hint,
    )


def _parse_target_column(raw: pd.Series, col: str, where: str, reasons: list[list[str]]) -> np.ndarray:
    """Parse one target column; empty cells -> NaN, non-numeric cells -> a reason for that row."""
    text = raw.astype(str).str.strip()
    missing = text.isin(NA_STRINGS).to_numpy()
    values = pd.to_numeric(text.where(~missing), errors="coerce").to_numpy(dtype=np.float64, copy=True)
    bad = ~missing & ~np.isfinite(values)
    n_present = int((~missing).sum())
    if n_present == 0:
        raise DataError(
            f"{where}: target column {col!r} is entirely empty ({len(text)} rows, no value)",
            hint="pick a target column that holds numbers, or fill in the values",
        )
    n_bad = int(bad.sum())
    if n_bad == n_present or n_bad > MAX_BAD_FRACTION * n_present:
        first = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{where}: target column {col!r} is not numeric: {n_bad} of {n_present} non-empty cells are not "
            f"numbers, e.g. {text.iloc[first]!r} in data row {first + 1}",
            hint="targets must be numbers (empty cells mean 'missing'); check `target_columns`",
        )
    for i in np.flatnonzero(bad):
        kind = "non-finite" if np.isinf(values[i]) else "non-numeric"
        reasons[i].append(f"{kind} value {text.iloc[i]!r} in target column {col!r}")
    huge = ~missing & np.isfinite(values) & (np.abs(values) > FLOAT32_MAX)
    for i in np.flatnonzero(huge):
        reasons[i].append(f"value {text.iloc[i]!r} in target column {col!r} is beyond float32's range "
                          f"(|x| > {FLOAT32_MAX:.3g}), which training uses")
    values[missing | bad | huge] = np.nan
    return values


def _refuse_duplicate_columns(file, where: str) -> None:
    """pandas renames a repeated header name silently (``y``, ``y.1``): the wrong column could be read."""
    import csv
    from collections import Counter

    with open(file, newline="", encoding="utf-8-sig", errors="replace") as fh:
        header = next(csv.reader(fh), [])
    repeated = [name for name, n in Counter(header).items() if n > 1 and name.strip()]  # "" -> "Unnamed: k"
    if repeated:
        places = "; ".join(f"{name!r} at columns " + ", ".join(str(i + 1) for i, c in enumerate(header) if c == name)
                           for name in repeated)
        raise DataError(f"{where}: the header names a column more than once ({places}); which one is meant "
                        "is ambiguous", hint="rename or remove the repeated columns in the header line")


def _validate_smiles(smiles: list[str], reasons: list[list[str]]) -> None:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    try:
        for i, s in enumerate(smiles):
            if s and not reasons[i] and Chem.MolFromSmiles(s) is None:
                reasons[i].append("RDKit could not parse the SMILES")
    finally:
        RDLogger.EnableLog("rdApp.*")
