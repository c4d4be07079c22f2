"""The typed objects that data sources hand to the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from molgdl.errors import DataError

Task = Literal["regression", "classification"]

#: ``MoleculeTable.columns`` key of a data-defined split (str values, e.g. "train"/"test"; the ``column`` splitter).
SPLIT_COLUMN = "split"
#: ``MoleculeTable.columns`` key of the activity-cliff flag (float64 0/1, NaN = unknown): enables ``cliff_rmse``.
CLIFF_COLUMN = "cliff"


@dataclass
class MoleculeRecord:
    """One molecule as read from a source.

    smiles: canonical-or-input SMILES (may be None for XYZ input without connectivity);
    z: atomic numbers ``[n_atoms]`` (int64), pos: coordinates ``[n_atoms, 3]`` in Å (float64), both
    set only when the source provides geometry (SDF, XYZ, QM9); molblock: the SDF block when read from SDF;
    row: 1-based position in the source file (data rows, header excluded) for error messages.
    energy (eV) and forces (``[n_atoms, 3]``, eV/Å) are set by trajectory sources.
    """

    id: str
    smiles: str | None
    row: int
    z: np.ndarray | None = None
    pos: np.ndarray | None = None
    molblock: str | None = None
    energy: float | None = None
    forces: np.ndarray | None = None


@dataclass(frozen=True)
class InvalidRow:
    """A source row that was skipped, with the reason (written to ``invalid_rows.csv``)."""

    row: int
    id: str
    smiles: str
    reason: str


@dataclass
class MoleculeTable:
    """Molecules with their targets.

    targets: ``[n_molecules, n_targets]`` float64, NaN marks a missing value (masked in the loss).
    task: "regression" or "classification" (binary 0/1 targets).
    n_read: rows read from the source (valid + invalid).
    columns: per-molecule metadata carried to the pipeline, each ``[n_molecules]`` (str values as a numpy str
    or object array, flags/numbers as float64); well-known keys: ``SPLIT_COLUMN``, ``CLIFF_COLUMN``.
    """

    records: list[MoleculeRecord]
    targets: np.ndarray
    target_names: list[str]
    task: Task
    source: str
    invalid: list[InvalidRow] = field(default_factory=list)
    n_read: int = 0
    units: dict[str, str] = field(default_factory=dict)
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.targets = np.asarray(self.targets, dtype=np.float64).reshape(len(self.records), -1)
        self.columns = {str(k): np.asarray(v) for k, v in self.columns.items()}
        for name, values in self.columns.items():
            if np.ndim(values) != 1 or len(values) != len(self.records):
                raise DataError(f"metadata column {name!r} of source {self.source!r} has shape {np.shape(values)}, "
                                f"expected ({len(self.records)},), one value per molecule",
                                hint="the data source must fill MoleculeTable.columns with one value per record")
        if not self.n_read:
            self.n_read = len(self.records) + len(self.invalid)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def smiles(self) -> list[str]:
        return [r.smiles or "" for r in self.records]

    def subset(self, indices: np.ndarray) -> "MoleculeTable":
        idx = np.asarray(indices, dtype=np.int64)
        return MoleculeTable(
            records=[self.records[i] for i in idx],
            targets=self.targets[idx],
            target_names=list(self.target_names),
            task=self.task,
            source=self.source,
            invalid=[],
            n_read=len(idx),
            units=dict(self.units),
            columns={k: np.asarray(v)[idx] for k, v in self.columns.items()},
        )
