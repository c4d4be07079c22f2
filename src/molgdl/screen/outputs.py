"""Append-only result files of a streaming job, one chunk at a time, durable before progress is recorded.

CSV: the chunk's rows appended (header with the first chunk). CSV.gz: each chunk a separate gzip member
(``mtime=0``, so the bytes do not depend on when it ran); a multi-member gzip file reads as one. Parquet: each
chunk a part file in ``<output>.parts/``, joined into one file (a row group per chunk) when the job completes.
``resume_to(size)`` cuts a file back to the length recorded after its last completed chunk.
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pandas as pd

from molgdl.errors import DataError

FAILURE_COLUMNS = ("row", "smiles", "reason")


def output_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    return "csv.gz" if name.endswith(".gz") else "csv"


def _durable_append(path: Path, data: bytes) -> int:
    """Append ``data``, flush and fsync; returns the new length of the file."""
    with open(path, "ab") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
        return fh.tell()


def _cut(path: Path, size: int, what: str) -> None:
    """Truncate ``path`` to ``size`` bytes, the length recorded after the last completed chunk."""
    have = path.stat().st_size if path.exists() else 0
    if have < size:
        raise DataError(f"{path} has {have} bytes but the progress file records {size} after the last completed "
                        f"chunk: the {what} was changed or replaced since the job stopped",
                        hint="delete the output and its .progress.json and start again without --resume")
    with open(path, "ab") as fh:
        fh.truncate(size)


class ChunkWriter:
    """Writes one chunk's frame at a time to ``path`` (CSV, CSV.gz or Parquet)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.kind = output_kind(self.path)
        self.parts = self.path.with_name(self.path.name + ".parts")

    def start(self) -> None:
        """A fresh job: remove what an earlier job left."""
        self.path.unlink(missing_ok=True)
        if self.parts.exists():
            shutil.rmtree(self.parts)

    def resume_to(self, size: int, chunks_written: int) -> None:
        if self.kind != "parquet":
            _cut(self.path, size, "output")
            return
        self.parts.mkdir(exist_ok=True)
        for part in self.parts.iterdir():  # parts after the last recorded chunk, or half-written ones
            if not part.name.endswith(".parquet") or int(part.stem) >= chunks_written:
                part.unlink()
        missing = [i for i in range(chunks_written) if not self._part(i).exists()]
        if missing:
            raise DataError(f"{self.parts} lacks the part of written chunk(s) {missing[:5]}",
                            hint="delete the output and its .progress.json and start again without --resume")

    def write(self, frame, chunk_number: int) -> int:
        """Write the ``chunk_number``-th written chunk; returns the output's length in bytes (CSV) or 0."""
        if self.kind == "parquet":
            self.parts.mkdir(exist_ok=True)
            tmp = self.parts / f"{chunk_number:09d}.tmp"
            if isinstance(frame, pd.DataFrame):
                frame.to_parquet(tmp, index=False)
            else:  # an Arrow table (a row group of a shard's output, `molgdl merge`)
                import pyarrow.parquet as pq

                pq.write_table(frame, tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, self._part(chunk_number))
            return 0
        data = frame.to_csv(index=False, header=chunk_number == 0).encode()
        if self.kind == "csv.gz":
            data = gzip.compress(data, mtime=0)
        return _durable_append(self.path, data)

    def finish(self, chunks_written: int) -> None:
        """Parquet: join the parts into the output (one row group per chunk), then remove them."""
        if self.kind != "parquet":
            if chunks_written == 0:
                self.path.write_bytes(b"")
            return
        import pyarrow.parquet as pq

        tmp = self.path.with_name(self.path.name + ".tmp")
        writer = None
        for i in range(chunks_written):
            table = pq.read_table(self._part(i))
            writer = writer or pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
        if writer is not None:
            writer.close()
            os.replace(tmp, self.path)
        shutil.rmtree(self.parts, ignore_errors=True)

    def _part(self, i: int) -> Path:
        return self.parts / f"{i:09d}.parquet"


class FailureLog:
    """``<output>.failures.csv``: input row (1-based), SMILES and reason of each molecule that failed."""

    def __init__(self, output: Path) -> None:
        self.path = Path(output).with_name(Path(output).name + ".failures.csv")

    def start(self) -> None:
        self.path.unlink(missing_ok=True)

    def resume_to(self, size: int) -> None:
        if size or self.path.exists():
            _cut(self.path, size, "failures file")

    def write(self, rows: list[tuple[int, str, str]], size: int) -> int:
        """Append ``rows``; returns the new length (``size`` unchanged when there are none)."""
        if not rows:
            return size
        frame = pd.DataFrame(rows, columns=list(FAILURE_COLUMNS))
        return _durable_append(self.path, frame.to_csv(index=False, header=size == 0).encode())

    def finish(self, size: int) -> None:
        if size == 0:
            self.path.unlink(missing_ok=True)
