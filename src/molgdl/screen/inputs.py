"""Molecule libraries read in chunks: CSV, CSV.gz, SMI(.gz), SDF(.gz) and Parquet, in file order.

``iter_chunks`` yields :class:`RawChunk`s, each of at most ``chunk_size`` records in their source form (SMILES
strings, or SDF record text); :meth:`RawChunk.smiles` turns one into SMILES only when the chunk is scored, so
skipping chunks (``--resume``, ``--shard``) costs no parsing. Memory is bounded by the chunk size.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from molgdl.errors import DataError

#: Suffixes read, for messages and the docs (a trailing ``.gz`` is allowed for csv, smi and sdf).
FORMATS = (".csv", ".csv.gz", ".smi", ".smi.gz", ".sdf", ".sdf.gz", ".parquet")


@dataclass
class RawChunk:
    """Records ``first_row`` .. ``first_row + len(items) - 1`` (1-based data rows) of the input, unparsed."""

    index: int
    first_row: int
    items: list[str]
    kind: str  # "smiles" or "sdf"
    source: str  # the input file, for messages

    def __len__(self) -> int:
        return len(self.items)

    def smiles(self) -> tuple[list[str], dict[int, str]]:
        """SMILES of each record (``""`` where a record could not be read) and ``{position: reason}``."""
        if self.kind == "smiles":
            return [s.strip() for s in self.items], {}
        return _sdf_smiles(self.items)


def input_kind(path: Path) -> str:
    """``csv``, ``smi``, ``sdf`` or ``parquet`` from the file name (a ``.gz`` suffix is read through gzip)."""
    name = path.name.lower()
    name = name[:-3] if name.endswith(".gz") else name
    for kind in ("csv", "smi", "sdf", "parquet"):
        if name.endswith("." + kind) or (kind == "parquet" and name.endswith(".pq")):
            return kind
    raise DataError(f"--input {path}: unknown file type (read: {', '.join(FORMATS)})",
                    hint="rename the file with the suffix of its format, e.g. library.csv or library.sdf")


def check_input(path: Path) -> None:
    if path.is_dir():
        raise DataError(f"--input {path.resolve()} is a folder, not a molecule file",
                        hint="pass a CSV file with a SMILES column (or SMI, SDF, Parquet), e.g. --input library.csv")
    if not path.is_file():
        raise DataError(f"input file not found: {path.resolve()}",
                        hint="check the --input path; a relative path is resolved against the current folder")
    input_kind(path)


def iter_chunks(path: Path, smiles_column: str, chunk_size: int) -> Iterator[RawChunk]:
    """The input's records in chunks of ``chunk_size``, in file order."""
    path = Path(path)
    check_input(path)
    kind = input_kind(path)
    items = {"csv": _csv_items, "smi": _smi_items, "sdf": _sdf_items, "parquet": _parquet_items}[kind]
    parsed = "sdf" if kind == "sdf" else "smiles"
    chunk: list[str] = []
    index = row = 0
    try:
        for item in items(path, smiles_column, chunk_size):
            chunk.append(item)
            if len(chunk) == chunk_size:
                yield RawChunk(index, row + 1, chunk, parsed, str(path))
                index, row, chunk = index + 1, row + len(chunk), []
    except (UnicodeDecodeError, OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise DataError(f"could not read {path} after its first {row + len(chunk)} records: {exc}",
                        hint=f"give a UTF-8 {kind.upper()} file; check for a truncated .gz") from None
    if chunk:
        yield RawChunk(index, row + 1, chunk, parsed, str(path))
    elif index == 0 and kind == "csv":
        raise DataError(f"{path} has a header but no molecules (no data rows)",
                        hint="add one SMILES per line below the header")
    elif index == 0:
        raise DataError(f"{path} holds no molecules", hint="add one molecule per record")


def count_records(path: Path) -> int | None:
    """The number of records (for the progress bar's ETA): a fast line count, Parquet's metadata; None when the
    file cannot be counted (the reader then says why)."""
    try:
        return _count(path, input_kind(path))
    except (OSError, EOFError, ValueError):
        return None


def _count(path: Path, kind: str) -> int:
    if kind == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    n = 0
    with _open_binary(path) as fh:
        if kind == "sdf":
            return sum(1 for line in fh if line.startswith(b"$$$$"))
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
    return max(0, n - (1 if kind == "csv" else 0))


def _pick_column(names: list[str], wanted: str) -> str | None:
    """``wanted``, else ``smiles``, else the one column named so in any case (``SMILES`` in MOSES, ZINC)."""
    for name in (wanted, "smiles"):
        if name in names:
            return name
    loose = [n for n in names if n.strip().lower() in (wanted.lower(), "smiles")]
    return loose[0] if len(loose) == 1 else None


def _open_binary(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _open_text(path: Path) -> IO[str]:
    return io.TextIOWrapper(_open_binary(path), encoding="utf-8-sig", newline="")


def _csv_items(path: Path, smiles_column: str, chunk_size: int) -> Iterator[str]:
    with _open_text(path) as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise DataError(f"{path} is empty", hint="give a CSV with a header row and a SMILES column") from None
        except (csv.Error, OSError, UnicodeDecodeError) as exc:  # gzip.BadGzipFile is an OSError
            raise DataError(f"could not read {path} as CSV: {exc}",
                            hint="give a UTF-8 CSV file with ',' delimiters, a header row and a SMILES column") from None
        repeated = sorted(n for n, k in Counter(header).items() if k > 1 and n.strip())
        if repeated:
            raise DataError(f"{path}: the header names column(s) {repeated} more than once",
                            hint="rename or remove the repeated columns in the header line")
        column = _pick_column(header, smiles_column)
        if column is None:
            raise DataError(f"{path}: no SMILES column {smiles_column!r}; columns found: {', '.join(header)}",
                            hint="rename the SMILES column or add one")
        at, line = header.index(column), 1
        try:
            for line, fields in enumerate(reader, start=2):
                if not fields:  # a blank line is no record (as pandas.read_csv skips it)
                    continue
                yield fields[at] if at < len(fields) else ""
        except (csv.Error, OSError, EOFError, UnicodeDecodeError) as exc:
            raise DataError(f"could not read {path} as CSV after line {line}: {exc}",
                            hint="give a UTF-8 CSV file with ',' delimiters; check for a truncated .gz") from None


def _smi_items(path: Path, smiles_column: str, chunk_size: int) -> Iterator[str]:
    """A SMILES file: the first whitespace-separated field of each non-empty line; an optional first line
    ``smiles ...`` (any case) is a header."""
    with _open_text(path) as fh:
        for number, line in enumerate(fh):
            fields = line.split()
            if not fields or (number == 0 and fields[0].lower() in ("smiles", smiles_column.lower())):
                continue
            yield fields[0]


def _sdf_items(path: Path, smiles_column: str, chunk_size: int) -> Iterator[str]:
    """The text of each SDF record (up to and including its ``$$$$`` line)."""
    lines: list[str] = []
    with _open_text(path) as fh:
        for line in fh:
            lines.append(line)
            if line.startswith("$$$$"):
                yield "".join(lines)
                lines = []
    if any(line.strip() for line in lines):  # a last record without its $$$$ terminator
        yield "".join(lines) + "$$$$\n"


@functools.lru_cache(maxsize=1)
def _plugins():
    from molgdl.plugins import create_plugin_manager

    return create_plugin_manager(autoload=True)


def _sdf_smiles(records: list[str]) -> tuple[list[str], dict[int, str]]:
    """SMILES of SDF records, read by the plugin that implements ``molgdl_sdf_to_smiles`` (molgdl-datasets)."""
    answer = _plugins().hook.molgdl_sdf_to_smiles(records=records)
    if answer is None:
        raise DataError("reading SDF input needs a plugin that reads SDF records (hook molgdl_sdf_to_smiles)",
                        hint="install molgdl-datasets, or convert the library to CSV/SMI with a SMILES column")
    return answer


def _parquet_items(path: Path, smiles_column: str, chunk_size: int) -> Iterator[str]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for a file that is not Parquet
        raise DataError(f"could not read {path} as Parquet: {exc}", hint="give a Parquet file") from None
    names = pf.schema_arrow.names
    column = _pick_column(names, smiles_column)
    if column is None:
        raise DataError(f"{path}: no SMILES column {smiles_column!r}; columns found: {', '.join(names)}",
                        hint="rename the SMILES column or add one")
    for batch in pf.iter_batches(batch_size=chunk_size, columns=[column]):
        for value in batch.column(0).to_pylist():
            yield value if isinstance(value, str) else ""
