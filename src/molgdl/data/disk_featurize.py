"""Streaming featurization into the disk store (``data.storage: disk``, :mod:`molgdl.data.disk_store`).

The table is featurized one shard of molecules at a time (graphs and descriptors, in the same process pool as
in-memory featurization), and each shard is written as soon as it is done, so memory holds one shard, never the
whole set. The store is keyed like the in-memory cache (molecules, featurizer, descriptors, their parameters
and versions, package versions): a second run reuses it; a killed featurization resumes at the first missing
shard; a damaged shard (checksum mismatch) is reported and rebuilt.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from molgdl.data.cache import cache_key, table_fingerprint
from molgdl.data.descriptor_values import describe_missing, sanitize
from molgdl.data import disk_store
from molgdl.data.disk_store import DISK_FORMAT, check_shard, open_dataset, open_extra, shard_name, write_shard
from molgdl.data.featurize import GraphSet, _descr_chunk, _graphs_chunk, _map, resolve_workers
from molgdl.data.plugin_bugs import check_width, raise_plugin_bugs
from molgdl.data.table import MoleculeRecord, MoleculeTable
from molgdl.errors import DataError

ComponentId = tuple[str, dict[str, Any], str]


def store_key(table_hash: str, featurizer: Any, featurizer_id: ComponentId,
              descriptors: Sequence[tuple[Any, ComponentId]], shard_molecules: int) -> str:
    """Cache key of a disk store: :func:`molgdl.data.cache.cache_key` of the featurizer, with the descriptor
    identities (name, params, provider, version) and the shard size as part of its parameters."""
    name, params, provider = featurizer_id
    described = [[d, p, prov, getattr(desc, "version", "0")] for desc, (d, p, prov) in descriptors]
    return cache_key(table_hash, name, {"featurizer": params, "descriptors": described, "storage": "disk",
                                        "shard_molecules": shard_molecules},
                     getattr(featurizer, "version", "0"), provider)


def featurize_to_disk(table: MoleculeTable, featurizer: Any, featurizer_id: ComponentId,
                      descriptors: Sequence[tuple[Any, ComponentId]], cache_root: Path,
                      num_workers: int | str = "auto", progress: bool = True,
                      shard_molecules: int | None = None) -> GraphSet:
    """Featurize ``table`` into (or reuse) the disk store under ``cache_root/disk/<key>`` and return a
    ``GraphSet`` whose ``dataset`` reads graphs lazily and whose ``extra`` ``[M, D]`` is a read-only memory map.
    ``shard_molecules``: molecules per shard (default ``disk_store.SHARD_MOLECULES``)."""
    t0 = time.perf_counter()
    shard_molecules = shard_molecules or disk_store.SHARD_MOLECULES
    records = table.records
    key = store_key(table_fingerprint(table), featurizer, featurizer_id, descriptors, shard_molecules)
    folder = Path(cache_root) / "disk" / key
    extra_names = [f"{d}:{n}" for desc, (d, _, _) in descriptors for n in desc.names]
    try:
        metas, notes, built = _fill(folder, key, records, featurizer, featurizer_id, descriptors, extra_names,
                                    num_workers, progress, shard_molecules)
    except OSError as exc:
        raise DataError(f"the featurized store cannot be written to {folder}: {exc.strerror or exc}",
                        hint="set data.cache_dir to a writable folder with room for the featurized set, or use "
                             "data.storage: memory") from None
    return _graph_set(folder, metas, table, extra_names, notes, time.perf_counter() - t0, built == 0)


def _fill(folder: Path, key: str, records: list[MoleculeRecord], featurizer: Any, featurizer_id: ComponentId,
          descriptors: Sequence[tuple[Any, ComponentId]], extra_names: list[str], num_workers: int | str,
          progress: bool, shard_molecules: int) -> tuple[list[dict], list[str], int]:
    """Check every shard, build the missing or damaged ones; returns (shard metas, notes, shards built)."""
    _check_manifest(folder, key, len(records), extra_names, shard_molecules)
    extra = open_extra(folder, len(records), len(extra_names))
    workers = resolve_workers(num_workers, min(len(records), shard_molecules))
    n_shards = max(1, -(-len(records) // shard_molecules))
    metas, notes, built = [], [], 0
    for s in range(n_shards):
        first = s * shard_molecules
        n = min(shard_molecules, len(records) - first)
        meta, why = check_shard(folder, s, first, n, extra)
        if meta is None:
            if why != "missing":
                notes.append(f"featurized store {folder}: {shard_name(s)} (molecules {first}..{first + n - 1}) "
                             f"is damaged ({why}); rebuilt it")
            shutil.rmtree(folder / shard_name(s), ignore_errors=True)
            label = f" {s + 1}/{n_shards}" if n_shards > 1 else ""
            _build_shard(folder, s, first, records[first:first + n], featurizer, featurizer_id, descriptors,
                         extra, workers, progress, label)
            built += 1
            meta, why = check_shard(folder, s, first, n, extra)
            if meta is None:
                raise DataError(f"featurized store {folder}: {shard_name(s)} failed its check right after it was "
                                f"written ({why})", hint="check the disk (full, or changed by another process)")
        metas.append(meta)
    return metas, notes, built


def _check_manifest(folder: Path, key: str, n: int, extra_names: list[str], shard_molecules: int) -> None:
    """Write ``manifest.json``; a folder whose manifest records another layout is emptied first."""
    manifest = {"format": DISK_FORMAT, "key": key, "molecules": n, "extra_names": extra_names,
                "shard_molecules": shard_molecules}
    path = folder / "manifest.json"
    try:
        same = json.loads(path.read_text()) == manifest
    except (OSError, ValueError):
        same = False
    if not same:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        path.write_text(json.dumps(manifest))


def _build_shard(folder: Path, index: int, first: int, records: list[MoleculeRecord], featurizer: Any,
                 featurizer_id: ComponentId, descriptors: Sequence[tuple[Any, ComponentId]], extra: np.memmap,
                 workers: int, progress: bool, label: str) -> None:
    """Featurize one shard's molecules (graphs, then each descriptor set) and write it."""
    name = featurizer_id[0]
    chunks = _map(_graphs_chunk, (featurizer, ()), records, workers, f"featurizing ({name}){label}", progress)
    fails: dict[int, str] = {}
    owner_parts, arrays, sizes, dims, offset = [], {}, {}, {}, 0
    for chunk in chunks:
        owner_parts.append(chunk["owner"] + offset)
        fails.update({i + offset: reason for i, reason in chunk["fails"]})
        for attr, arr in chunk["arrays"].items():
            arrays.setdefault(attr, []).append(arr)
            sizes.setdefault(attr, []).append(chunk["sizes"][attr])
            dims[attr] = chunk["dims"][attr]
        offset += chunk["n"]
    raise_plugin_bugs(fails, records, "featurizer", featurizer_id)

    parts, desc_fails = [], {}
    for desc, ident in descriptors:
        res = [r for c in _map(_descr_chunk, (None, (desc,)), records, workers, f"descriptors ({ident[0]}){label}",
                               progress) for r in c]
        mat = np.full((len(records), len(desc.names)), np.nan)
        these = {}
        for i, (vec, reason) in enumerate(res):
            if vec is None:
                these[i] = reason
            else:
                check_width(vec, desc.names, records[i], ident, type(desc).compute)
                mat[i] = vec
        raise_plugin_bugs(these, records, "descriptor", ident)
        parts.append(mat)
        for i, reason in these.items():
            desc_fails.setdefault(i, reason)
    raw = np.concatenate(parts, axis=1) if parts else np.zeros((len(records), 0))
    described = np.ones(len(records), dtype=bool)
    described[list(desc_fails)] = False
    rows, missing, too_large = sanitize(raw, rows=described, inplace=True)  # raw: a fresh concatenation

    failures = dict(fails)
    for i, reason in desc_fails.items():
        failures.setdefault(i, f"descriptor: {reason}")
    owner = np.concatenate(owner_parts) if owner_parts else np.zeros(0, dtype=np.int64)
    keep = ~np.isin(owner, np.fromiter(failures, dtype=np.int64, count=len(failures)))
    graphs = _keep_graphs(arrays, sizes, dims, keep)
    meta = {"failures": {str(first + i): r for i, r in sorted(failures.items())},
            "missing": missing.tolist(), "too_large": too_large.tolist(), "described": int(described.sum())}
    write_shard(folder, index, first, len(records), graphs, owner[keep] + first, extra, rows, meta)


def _keep_graphs(arrays: dict[str, list[np.ndarray]], sizes: dict[str, list[np.ndarray]], dims: dict[str, int],
                 keep: np.ndarray) -> dict[str, Any]:
    """Concatenate the chunk arrays and drop the graphs not in ``keep`` ``[G]``."""
    out = {"arrays": {}, "sizes": {}, "dims": dims}
    for attr, parts in arrays.items():
        arr = np.concatenate(parts, axis=dims[attr])
        size = np.concatenate(sizes[attr])
        if not keep.all():
            bounds = np.concatenate([[0], np.cumsum(size)])
            take = np.concatenate([np.arange(bounds[g], bounds[g + 1]) for g in np.nonzero(keep)[0]]
                                  or [np.zeros(0, dtype=np.int64)])
            arr = np.take(arr, take, axis=dims[attr])
            size = size[keep]
        out["arrays"][attr], out["sizes"][attr] = arr, size
    return out


def _graph_set(folder: Path, metas: list[dict], table: MoleculeTable, extra_names: list[str], notes: list[str],
               seconds: float, from_cache: bool) -> GraphSet:
    failures: dict[int, str] = {}
    owners = []
    width = len(extra_names)
    missing, too_large, described = np.zeros(width, dtype=np.int64), np.zeros(width, dtype=np.int64), 0
    for i, meta in enumerate(metas):
        failures.update({int(p): r for p, r in meta["failures"].items()})
        with np.load(folder / shard_name(i) / "index.npz") as index:
            owners.append(index["owner"])
        missing += np.asarray(meta["missing"], dtype=np.int64)
        too_large += np.asarray(meta["too_large"], dtype=np.int64)
        described += meta["described"]
    missing_note = describe_missing(extra_names, missing, too_large, described)
    owner = np.concatenate(owners).astype(np.int64) if owners else np.zeros(0, dtype=np.int64)
    y = table.targets[owner].astype(np.float32).reshape(len(owner), table.targets.shape[1])
    dataset = open_dataset(folder, metas, owner, y, width)
    extra = np.load(folder / "extra.npy", mmap_mode="r")
    return GraphSet(dataset, owner, extra, extra_names, failures, seconds, from_cache,
                    ([missing_note] if missing_note else []) + notes)
