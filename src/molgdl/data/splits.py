"""Generic splitters and the split file (``split.json``) that any run writes and any run can read back.

Split files hold 0-based *source data rows* (``record.row - 1``), so they stay valid when invalid rows are
skipped and can be handed to other tools (chemprop's ``--splits-file`` uses the same keys).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from molgdl.data.table import MoleculeTable
from molgdl.errors import ConfigError, DataError

SPLIT_NAMES = ("train", "val", "test")


def _sizes_to_counts(n: int, sizes: list[float]) -> tuple[int, int]:
    n_train = int(round(sizes[0] * n))
    n_val = int(round(sizes[1] * n))
    return n_train, min(n_val, n - n_train)


class RandomSplitter:
    """Seeded random permutation cut into train/val/test fractions."""

    def __init__(self, sizes: list[float]) -> None:
        self.sizes = sizes

    def split(self, table: MoleculeTable, seed: int) -> dict[str, np.ndarray]:
        n = len(table)
        perm = np.random.default_rng(seed).permutation(n)
        n_train, n_val = _sizes_to_counts(n, self.sizes)
        return {"train": perm[:n_train], "val": perm[n_train:n_train + n_val], "test": perm[n_train + n_val:]}


class KFoldSplitter:
    """Seeded k-fold: fold ``fold`` of ``n_folds`` is test; ``val_fraction`` of the rest is validation.
    ``fold="all"``: ``fold_splitters()`` gives one splitter per fold (``molgdl run`` trains them all)."""

    def __init__(self, n_folds: int, fold: int | str, val_fraction: float) -> None:
        self.n_folds, self.fold, self.val_fraction = n_folds, fold, val_fraction

    def fold_splitters(self) -> list["KFoldSplitter"]:
        """Every fold's splitter when ``fold == "all"``, else none (the run uses this splitter)."""
        if self.fold != "all":
            return []
        return [KFoldSplitter(self.n_folds, k, self.val_fraction) for k in range(self.n_folds)]

    def split(self, table: MoleculeTable, seed: int) -> dict[str, np.ndarray]:
        n = len(table)
        if n < self.n_folds:
            raise DataError(f"k-fold split needs at least n_folds={self.n_folds} molecules, got {n}")
        perm = np.random.default_rng(seed).permutation(n)
        if self.fold == "all":
            raise ConfigError("split.fold: 'all' names every fold; this split needs one fold",
                              hint="`molgdl run` trains every fold; elsewhere set split.fold to one fold number")
        folds = np.array_split(perm, self.n_folds)
        test = folds[self.fold]
        rest = np.concatenate([f for i, f in enumerate(folds) if i != self.fold])
        n_val = max(1, int(round(self.val_fraction * len(rest))))
        return {"train": rest[n_val:], "val": rest[:n_val], "test": test}


class FileSplitter:
    """Reads ``split.json`` (source rows) and maps it onto the table's positions."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    #: More than this fraction of the table's molecules missing from the file: it belongs to other data.
    MAX_LEFT_OUT = 0.1

    def split(self, table: MoleculeTable, seed: int) -> dict[str, np.ndarray]:
        rows = read_split_file(self.path)
        pos_of_row = {rec.row - 1: i for i, rec in enumerate(table.records)}
        n_rows = max(table.n_read, len(table) + len(table.invalid))
        named = [r for name in SPLIT_NAMES for r in rows[name]]
        foreign = sorted({r for r in named if r < 0 or r >= n_rows})
        if foreign:
            raise DataError(
                f"split file {self.path} names data row(s) {foreign[:5]}{' ...' if len(foreign) > 5 else ''} "
                f"(0-based), but data source {table.source!r} has only {n_rows} rows (0..{n_rows - 1}): the file "
                "was written for another dataset",
                hint="use the split.json of a run on this same data file, or another split (random, scaffold)")
        out = {}
        for name in SPLIT_NAMES:
            out[name] = np.array([pos_of_row[r] for r in rows[name] if r in pos_of_row], dtype=np.int64)
        assigned = len(set(np.concatenate([out[n] for n in SPLIT_NAMES]).tolist()))
        left_out = len(table) - assigned
        if left_out > self.MAX_LEFT_OUT * len(table):
            raise DataError(
                f"split file {self.path} assigns only {assigned} of the {len(table)} valid molecules of "
                f"{table.source!r} to train/val/test ({left_out} left out): it was written for another dataset "
                "or another version of this file",
                hint="use the split.json of a run on this same data file, or another split (random, scaffold)")
        return out


class ColumnSplitter:
    """Train/test (and optionally val) from a per-molecule column's values (``MoleculeTable.columns``).

    Without ``val_value``, validation is a seeded ``val_fraction`` of the train rows, drawn with
    ``val_seed`` (the same rows for every replicate) or, when ``val_seed`` is None, with the replicate seed.
    """

    def __init__(self, column: str, train_value: str, test_value: str, val_value: str | None,
                 val_fraction: float, val_seed: int | None) -> None:
        self.column, self.val_fraction, self.val_seed = column, val_fraction, val_seed
        self.values = {"train": train_value, "test": test_value, **({"val": val_value} if val_value else {})}

    def split(self, table: MoleculeTable, seed: int) -> dict[str, np.ndarray]:
        if self.column not in table.columns:
            raise DataError(f"split column {self.column!r} not found in data source {table.source!r}; the "
                            f"source carries columns {sorted(table.columns) or 'none'}",
                            hint="declare it in the source (e.g. csv `split_column: <name>`) or set split.column")
        labels = np.array([str(v).strip() for v in table.columns[self.column]], dtype=object)
        known = np.isin(labels, list(self.values.values()))
        if not known.all():
            bad = np.flatnonzero(~known)
            found = sorted({str(v) for v in labels[bad]})[:5]
            rows = ", ".join(str(table.records[i].row) for i in bad[:5])
            raise DataError(f"split column {self.column!r} of {table.source!r} holds unexpected value(s) {found} "
                            f"in {len(bad)} row(s) (data rows {rows}); expected {sorted(self.values.values())}",
                            hint="fix those rows, or set split.train_value / test_value / val_value to the "
                                 "column's labels")
        out = {name: np.flatnonzero(labels == value) for name, value in self.values.items()}
        for name in ("train", "test"):
            if len(out[name]) == 0:
                raise DataError(f"split column {self.column!r} of {table.source!r} has no row labelled "
                                f"{self.values[name]!r} (the {name} set)",
                                hint=f"set split.{name}_value to the column's {name} label")
        if "val" not in out:
            rng = np.random.default_rng(seed if self.val_seed is None else self.val_seed)
            train = rng.permutation(out["train"])
            n_val = max(1, int(round(self.val_fraction * len(train))))
            out["val"], out["train"] = np.sort(train[:n_val]), np.sort(train[n_val:])
        return {name: out[name] for name in SPLIT_NAMES}


def read_split_file(path: Path) -> dict[str, list[int]]:
    if not path.is_file():
        raise ConfigError(f"split file not found: {path.resolve()}", hint="point split.path at the split.json of an earlier run")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: the split file is not valid JSON ({exc})",
                        hint='point split.path at a split.json written by molgdl run: {"train": [...], "val": [...], '
                             '"test": [...]} with 0-based data rows') from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: the split file is not text", hint="point split.path at the split.json of a run") from None
    if isinstance(data, list) and data:  # chemprop's format: a list of split dicts
        data = data[0]
    missing = [k for k in SPLIT_NAMES if k not in data]
    if missing:
        raise DataError(f"{path}: split file lacks key(s) {missing}; it needs train, val and test lists of row indices",
                        hint='add the missing lists (an empty list is allowed for test: "test": [])')
    return {k: [int(i) for i in data[k]] for k in SPLIT_NAMES}


def write_split_file(path: Path, table: MoleculeTable, split: dict[str, np.ndarray]) -> None:
    rows = {name: sorted(int(table.records[i].row - 1) for i in split[name]) for name in SPLIT_NAMES}
    path.write_text(json.dumps(rows))


def check_split(split: dict[str, np.ndarray], n: int) -> None:
    """Disjoint, in range, non-empty train and val."""
    seen = np.concatenate([split[k] for k in SPLIT_NAMES])
    if len(np.unique(seen)) != len(seen) or (len(seen) and (seen.min() < 0 or seen.max() >= n)):
        raise DataError("split sets overlap or point outside the data", hint="regenerate the split file")
    for k in ("train", "val"):
        if len(split[k]) == 0:
            raise DataError(f"the {k} split is empty ({n} molecules)", hint="use more data or larger split fractions")
