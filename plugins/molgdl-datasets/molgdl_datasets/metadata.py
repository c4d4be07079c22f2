"""Per-molecule metadata of a CSV (split labels, cliff flag, free text) -> ``MoleculeTable.columns``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from molgdl.data.table import CLIFF_COLUMN, SPLIT_COLUMN
from molgdl.errors import DataError


def read_metadata(
    df: pd.DataFrame,
    keep: list[int],
    *,
    split_column: str | None,
    cliff_column: str | None,
    metadata_columns: list[str],
    where: str,
) -> dict[str, np.ndarray]:
    """Metadata of the kept rows (0-based positions ``keep``), each ``[len(keep)]``.

    ``split_column`` is stored under ``SPLIT_COLUMN`` (stripped str), ``cliff_column`` under ``CLIFF_COLUMN``
    (float64 0/1, empty cell = NaN), each of ``metadata_columns`` under its own name (stripped str).
    A cliff cell other than 0, 1 or empty is a ``DataError`` naming the data row.
    """
    out: dict[str, np.ndarray] = {}
    for col in metadata_columns:
        out[col] = _text(df[col])[keep]
    if split_column is not None:
        out[SPLIT_COLUMN] = _text(df[split_column])[keep]
    if cliff_column is not None:
        out[CLIFF_COLUMN] = _flag(df[cliff_column], cliff_column, where)[keep]
    return out


def _text(raw: pd.Series) -> np.ndarray:
    return np.array([str(v).strip() for v in raw.tolist()], dtype=object)


def _flag(raw: pd.Series, col: str, where: str) -> np.ndarray:
    text = _text(raw)
    values = pd.to_numeric(pd.Series(text).replace("", None), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero((text != "") & ~np.isin(values, (0.0, 1.0)))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"{where}: cliff column {col!r} must hold 0 or 1 (empty = unknown), found {text[i]!r} in data "
            f"row {i + 1} ({bad.size} such row(s))",
            hint="recode the column to 0/1 (1 = the molecule forms an activity cliff), or drop "
            "`cliff_column`",
        )
    return values
