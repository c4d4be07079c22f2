"""Streaming SMILES from a (gzipped) CSV on disk: the 1.6 M MOSES rows are never all in memory.

``SmilesStream`` is a torch ``IterableDataset`` yielding encoded id lists; a shuffle buffer of
``buffer`` rows mixes neighbouring rows. ``skip`` rows are read and dropped first (resume inside an epoch).
A buffer only mixes neighbours, and files such as MOSES train are ordered by chemical series, so
``shuffled_copy`` writes a whole-file permutation to disk with memory bounded by one bucket.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import random
import shutil
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


def shuffled_copy(source: str | Path, column: str, dest: Path, seed: int, limit: int | None = None,
                  buckets: int = 64) -> Path:
    """Write the SMILES of ``source`` (its first ``limit`` rows) to ``dest`` (a one-column CSV headed ``column``)
    in a uniformly random order drawn from ``seed``; returns ``dest``.

    Two passes on disk: each row goes to one of ``buckets`` temporary files chosen at random, then each bucket
    is shuffled in memory and appended. Memory holds one bucket (rows / buckets SMILES). ``dest`` is written
    under a temporary name and renamed, so it is always complete; the same seed gives the same order."""
    dest = Path(dest)
    rng = random.Random(seed)
    scratch = dest.with_name(dest.name + ".buckets")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    files = [open(scratch / f"{k}.txt", "w") for k in range(buckets)]
    try:
        for smiles in iter_smiles(source, column, limit):
            files[rng.randrange(buckets)].write(smiles + "\n")
    finally:
        for f in files:
            f.close()
    tmp = dest.with_name(dest.name + ".tmp")
    with open(tmp, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([column])
        for k in range(buckets):
            rows = (scratch / f"{k}.txt").read_text().splitlines()
            rng.shuffle(rows)
            writer.writerows([r] for r in rows)
    os.replace(tmp, dest)
    shutil.rmtree(scratch)
    return dest


def pad_batch(batch: list[list[int]], pad: int = 0) -> torch.Tensor:
    """Id lists -> int64 [B, T_max] padded with ``pad``."""
    T = max(len(b) for b in batch)
    out = torch.full((len(batch), T), pad, dtype=torch.long)
    for i, ids in enumerate(batch):
        out[i, : len(ids)] = torch.tensor(ids)
    return out
