"""Streaming SMILES from a (gzipped) CSV on disk: the 1.6 M MOSES rows are never all in memory.

``SmilesStream`` is a torch ``IterableDataset`` yielding encoded id lists; a shuffle buffer of
``buffer`` rows mixes neighbouring rows. ``skip`` rows are read and dropped first (resume inside an epoch).
"""

from __future__ import annotations

import csv
import gzip
import io
import random
from pathlib import Path
from typing import Iterator

import torch
from torch.utils.data import IterableDataset

from molgdl.errors import DataError

from .tokenizers import Vocabulary


def open_text(path: Path) -> io.TextIOBase:
    """A text handle on a CSV or CSV.gz file (or a bundled slice's name, molgdl_generate.bundled)."""
    from .bundled import resolve_data

    path = resolve_data(path)
    if not path.exists():
        raise DataError(f"SMILES file {path} does not exist", hint="check data.train / data.path in the config")
    return gzip.open(path, "rt", newline="") if path.suffix == ".gz" else open(path, newline="")


def iter_smiles(path: str | Path, column: str = "SMILES", limit: int | None = None) -> Iterator[str]:
    """SMILES of one column, row by row (column name matched case-insensitively)."""
    path = Path(path)
    with open_text(path) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise DataError(f"{path} is empty", hint="give a CSV with a header line and a SMILES column")
        lower = [h.strip().lower() for h in header]
        if column.lower() not in lower:
            raise DataError(f"{path} has no column {column!r} (columns: {', '.join(header)})",
                            hint="set data.column to the SMILES column's name")
        col = lower.index(column.lower())
        for i, row in enumerate(reader):
            if limit is not None and i >= limit:
                return
            if len(row) > col and row[col]:
                yield row[col].strip()


def read_smiles(path: str | Path, column: str = "SMILES", limit: int | None = None) -> list[str]:
    return list(iter_smiles(path, column, limit))


class SmilesStream(IterableDataset):
    """Encoded molecules ([bos, ..., eos] id lists) from a CSV file, shuffled within a buffer.

    Rows longer than ``max_tokens`` or that fail to tokenize are skipped (counted in ``skipped``)."""

    def __init__(self, path: str | Path, vocab: Vocabulary, column: str = "SMILES", buffer: int = 20_000,
                 seed: int = 0, skip: int = 0, limit: int | None = None, max_tokens: int = 120) -> None:
        self.path, self.vocab, self.column = Path(path), vocab, column
        self.buffer, self.seed, self.skip, self.limit, self.max_tokens = buffer, seed, skip, limit, max_tokens
        self.skipped = 0

    def _encoded(self) -> Iterator[list[int]]:
        for i, smiles in enumerate(iter_smiles(self.path, self.column, self.limit)):
            if i < self.skip:
                continue
            try:
                ids = self.vocab.encode(smiles)
            except DataError:
                self.skipped += 1
                continue
            if len(ids) > self.max_tokens:
                self.skipped += 1
                continue
            yield ids

    def __iter__(self) -> Iterator[list[int]]:
        rng = random.Random(self.seed)
        pool: list[list[int]] = []
        for ids in self._encoded():
            if len(pool) < self.buffer:
                pool.append(ids)
                continue
            j = rng.randrange(len(pool))
            yield pool[j]
            pool[j] = ids
        rng.shuffle(pool)
        yield from pool


def pad_batch(batch: list[list[int]], pad: int = 0) -> torch.Tensor:
    """Id lists -> int64 [B, T_max] padded with ``pad``."""
    T = max(len(b) for b in batch)
    out = torch.full((len(batch), T), pad, dtype=torch.long)
    for i, ids in enumerate(batch):
        out[i, : len(ids)] = torch.tensor(ids)
    return out
