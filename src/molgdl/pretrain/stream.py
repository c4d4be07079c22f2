"""Molecules streamed from a CSV(.gz) in chunks, featurized on the fly, with standardised descriptor targets."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from molgdl.data.table import MoleculeRecord
from molgdl.errors import DataError, MolgdlError

log = logging.getLogger("molgdl")
TARGET_CLIP = 6.0  # standardised targets clipped to +/- 6 std (heavy-tailed descriptors such as Ipc)


def read_chunks(path: Path, column: str, chunk_size: int, start: int = 0,
                stop: int | None = None) -> Iterator[tuple[int, list[str]]]:
    """``(first row, SMILES)`` chunks of rows ``[start, stop)`` (0-based data rows, header excluded)."""
    import pandas as pd

    if not Path(path).is_file():
        raise DataError(f"pretraining data {path} does not exist", hint="set data.path to a CSV(.gz) file")
    row = 0
    reader = pd.read_csv(path, usecols=lambda c: c == column, chunksize=chunk_size, dtype=str)
    for frame in reader:
        if column not in frame.columns:
            raise DataError(f"{path} has no column {column!r}", hint="set data.smiles_column")
        smiles = frame[column].fillna("").tolist()
        lo, hi = max(start - row, 0), len(smiles) if stop is None else min(len(smiles), stop - row)
        if hi > lo:
            yield row + lo, smiles[lo:hi]
        row += len(smiles)
        if stop is not None and row >= stop:
            return


def describe(targets: Sequence[Any], record: MoleculeRecord) -> np.ndarray:
    """The concatenated descriptor vector ``[D]`` (float64, NaN allowed)."""
    return np.concatenate([np.asarray(t.compute(record), dtype=np.float64).ravel() for t in targets])


@dataclass(frozen=True)
class Standardiser:
    """Descriptor mean and std ``[D]`` (from the held-out rows); ``apply`` gives float32 z-scores clipped to
    +/- TARGET_CLIP, NaN where the descriptor is missing or non-finite (masked in the loss)."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray) -> "Standardiser":
        v = np.where(np.isfinite(values), values, np.nan)
        with np.errstate(all="ignore"):
            mean = np.nanmean(v, axis=0)
            std = np.nanstd(v, axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        std = np.where(np.isfinite(std) & (std > 1e-6), std, 1.0)
        return cls(mean, std)

    def apply(self, values: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            z = (values - self.mean) / self.std
        z = np.where(np.isfinite(z), np.clip(z, -TARGET_CLIP, TARGET_CLIP), np.nan)
        return z.astype(np.float32)


def example(featurizer: Any, targets: Sequence[Any], smiles: str, row: int) -> tuple[Any, np.ndarray] | None:
    """(graph, raw descriptor vector) of one molecule, or None when it cannot be featurized."""
    record = MoleculeRecord(id=f"row{row + 1}", smiles=smiles.strip(), row=row + 1)
    try:
        graphs = featurizer.featurize(record)
        values = describe(targets, record)
    except MolgdlError:
        return None
    if not graphs:
        return None
    return graphs[0], values


class StreamProgress:
    """Which rows of the stream have been trained on this epoch, per chunk of the file (``row // chunk_size``):
    the last row trained of every chunk seen. Each loader worker reads its chunks in order, so the rows of a chunk
    trained so far are exactly those up to that row, however many workers deal the chunks and however far they have
    read ahead; a resumed stream skips those rows and no others, so every row is trained once per epoch."""

    def __init__(self, chunk_size: int, last: dict[int, int] | None = None) -> None:
        self.chunk_size = chunk_size
        self.last: dict[int, int] = dict(last or {})

    def update(self, rows: torch.Tensor) -> None:
        """Record a trained batch's data rows ``[B]``."""
        chunks = torch.div(rows, self.chunk_size, rounding_mode="floor")
        for c in torch.unique(chunks).tolist():
            self.last[c] = max(self.last.get(c, -1), int(rows[chunks == c].max()))

    def trained(self, row: int) -> bool:
        return row <= self.last.get(row // self.chunk_size, -1)

    def state(self) -> list[list[int]]:
        """``[[chunk, last row], ...]`` (what a checkpoint keeps)."""
        return [[c, r] for c, r in sorted(self.last.items())]

    @classmethod
    def from_state(cls, chunk_size: int, state: list[list[int]]) -> "StreamProgress":
        return cls(chunk_size, {int(c): int(r) for c, r in state})


class DescriptorStream(IterableDataset):
    """Graphs with ``y`` ``[1, D]`` (standardised descriptors), ``extra`` ``[1, 0]`` and ``src_row`` ``[1]``
    (the 0-based data row), in file order. A resumed epoch skips, once, the rows ``resume`` (a
    :class:`StreamProgress`) says were trained, or with a checkpoint of an older format the rows
    ``<= resume_after``; with DataLoader workers, chunk k goes to worker ``k % num_workers``."""

    def __init__(self, path: Path, column: str, start: int, stop: int | None, chunk_size: int, featurizer: Any,
                 targets: Sequence[Any], standardiser: Standardiser) -> None:
        self.path, self.column, self.start, self.stop = path, column, start, stop
        self.chunk_size, self.featurizer, self.targets, self.standardiser = chunk_size, featurizer, targets, standardiser
        self.resume_after = -1
        self.resume: StreamProgress | None = None

    def __iter__(self):
        info = get_worker_info()
        skip, self.resume_after = self.resume_after, -1
        done, self.resume = self.resume, None
        for k, (first, smiles) in enumerate(read_chunks(self.path, self.column, self.chunk_size, self.start,
                                                        self.stop)):
            if info is not None and k % info.num_workers != info.id:
                continue
            if first + len(smiles) - 1 <= skip:
                continue
            for i, smi in enumerate(smiles):
                row = first + i
                if row <= skip or (done is not None and done.trained(row)):
                    continue
                item = example(self.featurizer, self.targets, smi, row)
                if item is None:
                    continue
                graph, values = item
                graph.y = torch.from_numpy(self.standardiser.apply(values)).unsqueeze(0)
                graph.extra = torch.zeros(1, 0)
                graph.src_row = torch.tensor([row])
                yield graph
