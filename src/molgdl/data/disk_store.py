"""On-disk featurized graphs (``data.storage: disk``): shards of raw arrays read back a graph or a batch at a time.

Format: a folder per cache key, ``<cache_dir>/disk/<key>/``, holding ``manifest.json``, one molecule-level
descriptor file ``extra.npy`` (float64 ``[M, D]``, NumPy's ``.npy`` format) and one folder per shard of
consecutive molecules, ``shard_00000/``: for every graph attribute ``<attr>.bin`` (the attribute of all the
shard's graphs concatenated along its PyG cat dimension, which is moved first, C order, the dtype in
``meta.json``), ``index.npz`` (graph sizes per attribute, owning molecule per graph) and ``meta.json`` (layout,
failures, missing-value counts, and the SHA-256 of every file and of the shard's ``extra.npy`` rows).

Why raw arrays and not Zarr, LMDB or Parquet: the graphs are ragged, and the in-memory store (PyG's
``InMemoryDataset``) already keeps them as concatenated arrays plus offsets; the same layout on disk gives one
``os.pread`` per attribute per graph (per run of consecutive graphs, for a batch) with no decoding, no compression
and no extra dependency, works with any number of reader processes (DDP ranks, loader workers: positional reads
share no file offset), and is checked by plain checksums. Reads go through ``pread`` rather than a memory map on
purpose: pages of a mapping that a process has touched count in its resident memory, so after an epoch a mapped
dataset looks as large as the file; ``pread`` leaves them in the kernel's page cache, which the process does not
hold. A shard folder is written under a temporary name and renamed when complete, so a killed featurization never
leaves half a shard.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch_geometric.data import Batch, Data, Dataset

from molgdl.errors import DataError

DISK_FORMAT = 1
#: molecules per shard: the unit of writing, of resuming a killed featurization and of rebuilding after damage;
#: featurization holds one shard in memory (about 12 kB per molecule with the graph2d featurizer)
SHARD_MOLECULES = 20_000
EXTRA_FILE = "extra.npy"


def shard_name(index: int) -> str:
    return f"shard_{index:05d}"


def file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def open_extra(folder: Path, n_molecules: int, width: int) -> np.memmap:
    """The store's ``extra.npy`` ``[M, D]`` float64 for writing (created, NaN-filled, when absent or misshapen)."""
    path = folder / EXTRA_FILE
    if path.exists():
        try:
            arr = np.load(path, mmap_mode="r+")
            if arr.shape == (n_molecules, width) and arr.dtype == np.float64:
                return arr
        except (ValueError, OSError):
            pass
        path.unlink()
    arr = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n_molecules, width))
    arr[:] = np.nan
    return arr


def _rows_sha256(extra: np.ndarray, first: int, n: int) -> str:
    return hashlib.sha256(np.ascontiguousarray(extra[first:first + n]).tobytes()).hexdigest()


def write_shard(folder: Path, index: int, first: int, n: int, graphs: dict[str, Any], owner: np.ndarray,
                extra: np.memmap, rows: np.ndarray, meta: dict[str, Any]) -> None:
    """Write shard ``index`` (molecules ``first .. first + n - 1``) atomically.

    graphs: ``{"arrays": {attr: array concatenated along dims[attr]}, "sizes": {attr: [G]}, "dims": {attr: int}}``;
    owner: table position of each graph ``[G]``; rows: sanitized descriptors of the shard's molecules ``[n, D]``
    (written into ``extra``); meta: failures and counts to keep with the shard.
    """
    final = folder / shard_name(index)
    tmp = folder / f"{shard_name(index)}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    layout = {}
    for attr, arr in graphs["arrays"].items():
        dim = graphs["dims"][attr] % arr.ndim
        moved = np.ascontiguousarray(np.moveaxis(arr, dim, 0))
        moved.tofile(tmp / f"{attr}.bin")
        layout[attr] = {"dtype": moved.dtype.str, "tail": list(moved.shape[1:]), "dim": dim, "ndim": arr.ndim}
    np.savez(tmp / "index.npz", owner=owner.astype(np.int64),
             **{f"sizes_{a}": np.asarray(s, dtype=np.int64) for a, s in graphs["sizes"].items()})
    extra[first:first + n] = rows
    extra.flush()
    files = {p.name: file_sha256(p) for p in sorted(tmp.iterdir())}
    info = {"format": DISK_FORMAT, "first": first, "n": n, "graphs": int(len(owner)), "layout": layout,
            "files": files, "extra_rows_sha256": _rows_sha256(extra, first, n), **meta}
    (tmp / "meta.json").write_text(json.dumps(info))
    for path in tmp.iterdir():
        with path.open("rb") as fh:
            os.fsync(fh.fileno())
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)


def check_shard(folder: Path, index: int, first: int, n: int, extra: np.ndarray) -> tuple[dict | None, str | None]:
    """(meta, None) for a complete, undamaged shard; (None, reason) when it is missing or damaged."""
    shard = folder / shard_name(index)
    if not shard.is_dir():
        return None, "missing"
    try:
        meta = json.loads((shard / "meta.json").read_text())
    except (OSError, ValueError) as exc:
        return None, f"meta.json unreadable ({exc})"
    if meta.get("format") != DISK_FORMAT or meta.get("first") != first or meta.get("n") != n:
        return None, "written for another layout"
    for name, digest in meta["files"].items():
        path = shard / name
        if not path.exists():
            return None, f"{name} is missing"
        if file_sha256(path) != digest:
            return None, f"{name} does not match its checksum"
    if _rows_sha256(extra, first, n) != meta["extra_rows_sha256"]:
        return None, f"its rows of {EXTRA_FILE} do not match their checksum"
    return meta, None


@dataclass
class _Shard:
    """Read-side index of one shard: per attribute its file, dtype, trailing shape and graph offsets ``[g + 1]``."""

    path: Path
    layout: dict[str, dict]
    starts: dict[str, np.ndarray]


class DiskGraphDataset(Dataset):
    """Map-style PyG dataset over a disk store: ``dataset[i]`` reads graph ``i`` from its shard with one
    positional read per attribute and returns the same ``Data`` as the in-memory store (``x``, ``edge_index``, ...,
    ``y`` [1, T], ``extra`` [1, D], ``mol_index`` [1]). In memory it keeps only offsets, targets and owners
    (O(graphs) integers), never graph tensors. Works with ``DistributedSampler`` (each DDP rank reads only its
    indices) and with loader worker processes (files are opened per process)."""

    def __init__(self, folder: Path, shards: list[_Shard], graph_counts: list[int], y: np.ndarray,
                 mol_index: np.ndarray, extra_width: int) -> None:
        super().__init__(None, log=False)
        self.folder = Path(folder)
        self._shards = shards
        self._first_graph = np.concatenate([[0], np.cumsum(graph_counts)]).astype(np.int64)
        self._y = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32))
        self._mol = np.ascontiguousarray(mol_index, dtype=np.int64)
        self._width = extra_width
        self._extra_offset = _npy_data_offset(self.folder / EXTRA_FILE)
        self._files: dict[str, int] = {}
        self._pid = -1
        self.bytes_read = 0  # bytes read by this process through this object (for tests and benchmarks)

    def len(self) -> int:
        return int(self._first_graph[-1])

    def get(self, idx: int) -> Data:
        idx = int(idx)
        s = int(np.searchsorted(self._first_graph, idx, side="right")) - 1
        local = idx - int(self._first_graph[s])
        shard = self._shards[s]
        attrs = {}
        for attr, lay in shard.layout.items():
            a, b = int(shard.starts[attr][local]), int(shard.starts[attr][local + 1])
            dtype = np.dtype(lay["dtype"])
            row = dtype.itemsize * int(np.prod(lay["tail"], dtype=np.int64))
            buf = self._read(shard.path / f"{attr}.bin", a * row, (b - a) * row)
            arr = np.frombuffer(buf, dtype=dtype).reshape([b - a, *lay["tail"]])
            attrs[attr] = torch.from_numpy(np.ascontiguousarray(np.moveaxis(arr, 0, lay["dim"])))
        mol = int(self._mol[idx])
        data = Data(**attrs)
        data.y = self._y[idx:idx + 1].clone()
        data.extra = torch.from_numpy(self._extra_rows(np.array([mol])).astype(np.float32))
        data.mol_index = torch.tensor([mol], dtype=torch.long)
        return data

    def read_batch(self, positions: torch.Tensor) -> Batch:
        """The batch of stored graphs ``positions`` ``[B]`` (indices into the whole store, in batch order), equal to
        PyG's collation of ``[self.get(i) for i in positions]``: one positional read per attribute and run of
        graphs stored next to each other, straight into the batch's arrays."""
        from molgdl.data.batches import NODE_KEYS, batch_of_parts

        pos = np.asarray(positions, dtype=np.int64)
        shard_of = np.searchsorted(self._first_graph, pos, side="right") - 1
        local = pos - self._first_graph[shard_of]
        breaks = np.nonzero((np.diff(pos) != 1) | (np.diff(shard_of) != 0))[0] + 1
        firsts, lasts = np.concatenate([[0], breaks]), np.concatenate([breaks, [len(pos)]]) - 1
        layout = self._shards[int(shard_of[0])].layout
        groups = [(int(s), shard_of == s) for s in np.unique(shard_of)]  # the batch's graphs in each shard
        parts = {}
        for attr, lay in layout.items():
            bounds = np.empty((len(pos), 2), dtype=np.int64)  # first and end element of each graph in its file
            for s, here in groups:
                starts = self._shards[s].starts[attr]
                bounds[here, 0], bounds[here, 1] = starts[local[here]], starts[local[here] + 1]
            sizes = bounds[:, 1] - bounds[:, 0]
            dtype = np.dtype(lay["dtype"])
            out = np.empty([int(sizes.sum()), *lay["tail"]], dtype=dtype)
            row = out.itemsize * int(np.prod(lay["tail"], dtype=np.int64))
            view, at = memoryview(out.reshape(-1).view(np.uint8)), 0
            for first, last in zip(firsts.tolist(), lasts.tolist()):
                path = self._shards[int(shard_of[first])].path / f"{attr}.bin"
                a, b = int(bounds[first, 0]), int(bounds[last, 1])
                self._read_into(path, a * row, view[at:at + (b - a) * row])
                at += (b - a) * row
            values = torch.from_numpy(out)
            if lay["dim"]:
                values = values.movedim(0, lay["dim"]).contiguous()
            parts[attr] = (values, torch.from_numpy(sizes), lay["dim"])
        ones = torch.ones(len(pos), dtype=torch.long)
        mol = self._mol[pos]
        parts["y"] = (self._y[torch.from_numpy(pos)], ones, 0)
        parts["extra"] = (torch.from_numpy(self._extra_rows(mol).astype(np.float32)), ones, 0)
        parts["mol_index"] = (torch.from_numpy(mol), ones, 0)
        return batch_of_parts(parts, next(k for k in NODE_KEYS if k in layout))

    @property
    def batch_readable(self) -> bool:
        """Whether :meth:`read_batch` applies (a non-empty store whose graphs have a node key and no key that PyG
        batches specially)."""
        from molgdl.data.batches import NODE_KEYS, shiftable

        keys = self.graph_keys
        return len(self) > 0 and any(k in keys for k in NODE_KEYS) and shiftable(keys)

    def graph_rows(self, key: str) -> torch.Tensor:
        """Per-graph ``y`` ``[G', T]``, ``extra`` ``[G', D]`` or ``mol_index`` ``[G']`` of this (sub)dataset's
        graphs, as the in-memory store gives them."""
        idx = np.asarray(list(self.indices()), dtype=np.int64)
        if key == "y":
            return self._y[torch.from_numpy(idx)]
        if key == "mol_index":
            return torch.from_numpy(self._mol[idx])
        if key == "extra":
            return torch.from_numpy(self._extra_rows(self._mol[idx]).astype(np.float32))
        raise KeyError(key)

    @property
    def graph_keys(self) -> set[str]:
        """Graph attributes stored per atom or bond (``x``, ``edge_index``, ``z``, ...)."""
        return {attr for shard in self._shards for attr in shard.layout}

    def _extra_rows(self, molecules: np.ndarray) -> np.ndarray:
        """Descriptor rows ``[len(molecules), D]`` float64 of ``extra.npy``, read in runs of consecutive rows."""
        out = np.empty((len(molecules), self._width), dtype=np.float64)
        if self._width == 0 or len(molecules) == 0:
            return out
        row = 8 * self._width
        order = np.argsort(molecules, kind="stable")
        sorted_mol = molecules[order]
        breaks = np.nonzero(np.diff(sorted_mol) != 1)[0] + 1
        for run in np.split(np.arange(len(sorted_mol)), breaks):
            first, count = int(sorted_mol[run[0]]), len(run)
            buf = self._read(self.folder / EXTRA_FILE, self._extra_offset + first * row, count * row)
            out[order[run]] = np.frombuffer(buf, dtype=np.float64).reshape(count, self._width)
        return out

    def _read(self, path: Path, offset: int, nbytes: int) -> bytearray:
        buf = bytearray(nbytes)
        self._read_into(path, offset, memoryview(buf))
        return buf

    def _read_into(self, path: Path, offset: int, buf: memoryview) -> None:
        """Fill ``buf`` with the bytes of ``path`` from ``offset``."""
        nbytes = len(buf)
        if self._pid != os.getpid():  # a forked loader worker or DDP rank opens its own descriptors
            self._files, self._pid = {}, os.getpid()
        fd = self._files.get(str(path))
        if fd is None:
            fd = self._files[str(path)] = os.open(path, os.O_RDONLY)
        got = os.preadv(fd, [buf], offset) if nbytes else 0
        if got != nbytes:
            raise DataError(f"featurized store {self.folder}: {path.name} is shorter than its index says "
                            f"({got} of {nbytes} bytes at offset {offset})",
                            hint="the store was changed after it was checked; run again and it is rebuilt")
        self.bytes_read += nbytes

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_files"], state["_pid"] = {}, -1  # descriptors never cross a process boundary
        state["bytes_read"] = 0
        return state

    def __del__(self) -> None:
        if getattr(self, "_pid", -1) == os.getpid():
            for fd in self._files.values():
                try:
                    os.close(fd)
                except OSError:
                    pass


def _npy_data_offset(path: Path) -> int:
    """Byte offset of the array data in a ``.npy`` file."""
    arr = np.load(path, mmap_mode="r")
    try:
        return int(arr.offset)
    finally:
        arr._mmap.close()


def open_dataset(folder: Path, metas: list[dict], owner: np.ndarray, y: np.ndarray, extra_width: int
                 ) -> DiskGraphDataset:
    """The dataset over checked shards (``metas`` in shard order); ``owner`` ``[G]`` and ``y`` ``[G, T]`` are
    those of the graphs of all shards, in order."""
    shards, counts = [], []
    for i, meta in enumerate(metas):
        path = folder / shard_name(i)
        with np.load(path / "index.npz") as index:
            starts = {a: np.concatenate([[0], np.cumsum(index[f"sizes_{a}"])]).astype(np.int64)
                      for a in meta["layout"]}
        shards.append(_Shard(path, meta["layout"], starts))
        counts.append(meta["graphs"])
    return DiskGraphDataset(folder, shards, counts, y, owner, extra_width)
