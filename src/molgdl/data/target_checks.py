"""Checks of a source's targets before featurization: names the run's output files reserve, and values that
float32 training cannot hold (inf, or beyond float32's range: scaled, they become NaN and are silently masked)."""

from __future__ import annotations

import dataclasses

import numpy as np

from molgdl.data.table import InvalidRow, MoleculeTable
from molgdl.errors import DataError

#: Columns of predictions.csv that a target of the same name would overwrite.
RESERVED_NAMES = ("row", "id", "smiles", "split")
FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_target_names(table: MoleculeTable, source: str) -> None:
    """A target may not be named like a column the run writes next to it (``split``, ``<t>_pred``, ...)."""
    names = list(table.target_names)
    generated = {f"{n}{suffix}" for n in names for suffix in ("_pred", "_std")}
    for name in names:
        if name in RESERVED_NAMES or name in generated or name in table.columns:
            what = ("a column that predictions.csv writes for every molecule" if name in RESERVED_NAMES
                    else "another target's prediction column" if name in generated
                    else "a metadata column of the same source")
            raise DataError(
                f"data source {source!r}: target column {name!r} has the name of {what} "
                f"(reserved: {', '.join(RESERVED_NAMES)}, <target>_pred, <target>_std)",
                hint=f"rename the column in the data file (e.g. to '{name}_value') and in target_columns")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataError(f"data source {source!r}: target(s) {repeated} are listed more than once",
                        hint="list each target column once in target_columns")


def drop_unusable_targets(table: MoleculeTable) -> MoleculeTable:
    """``table`` without the molecules whose targets are inf or beyond float32's range; they become invalid
    rows with the reason. NaN stays (a missing value, masked in the loss)."""
    y = table.targets
    bad = np.isinf(y) | (np.isfinite(y) & (np.abs(y) > FLOAT32_MAX))
    rows = np.flatnonzero(bad.any(axis=1))
    if len(rows) == 0:
        return table
    invalid = list(table.invalid)
    for i in rows:
        rec = table.records[i]
        cols = [f"{table.target_names[t]!r} = {y[i, t]:g}" for t in np.flatnonzero(bad[i])]
        invalid.append(InvalidRow(rec.row, rec.id, rec.smiles or "",
                                  f"target {', '.join(cols)} is not finite in float32 (|x| > {FLOAT32_MAX:.3g} "
                                  "or inf), which training uses"))
    keep = np.setdiff1d(np.arange(len(table)), rows)
    return dataclasses.replace(
        table, records=[table.records[i] for i in keep], targets=y[keep], invalid=invalid,
        n_read=max(table.n_read, len(table) + len(table.invalid)),
        columns={k: np.asarray(v)[keep] for k, v in table.columns.items()})


def check_classes(table: MoleculeTable, source: str) -> None:
    """A binary classification target needs both classes: with one, nothing can be learned and ROC-AUC /
    PR-AUC are undefined (the run would report NaN metrics)."""
    if table.task != "classification":
        return
    for t, name in enumerate(table.target_names):
        y = table.targets[:, t]
        present = sorted({float(v) for v in y[~np.isnan(y)]})
        if len(present) == 1 and len(table.target_names) > 1:  # one task of several: its metrics are undefined
            import logging

            logging.getLogger("molgdl").warning(
                "classification target %r has only the class %g in its labelled rows: its metrics will be "
                "undefined", name, present[0])
        elif len(present) == 1:
            raise DataError(
                f"data source {source!r}: classification target {name!r} has only the class {present[0]:g} in its "
                f"{int((~np.isnan(y)).sum())} labelled rows: a classifier cannot be trained or scored on one class",
                hint="check target_columns and the data file; for a constant property use task: regression or "
                     "drop the column")
