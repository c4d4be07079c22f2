"""Featurize a MoleculeTable in parallel (with a progress bar) through the cache.

Output: a ``GraphSet``: the collated graphs of every featurizable molecule (one graph per conformer),
their owning molecule positions, molecule-level descriptors, and the molecules that failed, with reasons.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch
from torch_geometric.data import Data, InMemoryDataset

from molgdl.data.cache import FeatureCache, cache_key, table_fingerprint
from molgdl.data.plugin_bugs import bug_reason, check_width, raise_plugin_bugs
from molgdl.data.descriptor_values import describe_missing, sanitize
from molgdl.data.table import MoleculeRecord, MoleculeTable
from molgdl.errors import DataError, MolgdlError


class GraphDataset(InMemoryDataset):
    """An in-memory PyG dataset made from already-collated tensors."""

    def __init__(self, data: Data, slices: dict[str, torch.Tensor]) -> None:
        super().__init__(None)
        self._data = data
        self.slices = slices


@dataclass
class GraphSet:
    """Featurized molecules.

    dataset: graphs, each with ``mol_index`` (position in the table), ``y`` [1, T], ``extra`` [1, D];
    extra: descriptor matrix ``[n_molecules, D]``, float64 and float32-safe: NaN where a descriptor failed or
    gave inf or a value beyond float32's range (counted in ``notes``, :mod:`molgdl.data.descriptor_values`);
    failures: ``{table position: reason}`` for molecules that could not be featurized;
    seconds: wall time of this featurization (cache hit or not); from_cache: whether all parts were cached.
    """

    dataset: GraphDataset
    graph_owner: np.ndarray
    extra: np.ndarray
    extra_names: list[str]
    failures: dict[int, str]
    seconds: float
    from_cache: bool
    notes: list[str] = field(default_factory=list)


_WORKER: dict[str, Any] = {}


def _init_worker(featurizer: Any, descriptors: Sequence[Any]) -> None:
    # Ctrl+C reaches the whole process group: the parent stops the pool, the workers must not print tracebacks
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(1)
    _WORKER["featurizer"] = featurizer
    _WORKER["descriptors"] = descriptors


def _featurize_one(featurizer: Any, record: MoleculeRecord) -> tuple[list[Data] | None, str | None]:
    try:
        return featurizer.featurize(record), None
    except MolgdlError as exc:
        return None, str(exc).split("\n")[0]
    except Exception as exc:  # not a molecule error: a plugin bug, reported once by featurize_table
        return None, bug_reason(exc)


def _describe_one(descriptors: Sequence[Any], record: MoleculeRecord) -> tuple[np.ndarray | None, str | None]:
    try:
        parts = [np.asarray(d.compute(record), dtype=np.float64).ravel() for d in descriptors]
        return (np.concatenate(parts) if parts else np.zeros(0)), None
    except MolgdlError as exc:
        return None, str(exc).split("\n")[0]
    except Exception as exc:  # a plugin bug (see molgdl.data.plugin_bugs)
        return None, bug_reason(exc)


def _graphs_chunk(records: list[MoleculeRecord]) -> bytes:
    """Featurize a chunk and collate it into numpy arrays, so that one chunk crosses the process boundary as
    a handful of arrays instead of thousands of tensors (pickling Data objects costs ~3 ms each)."""
    results = [_featurize_one(_WORKER["featurizer"], r) for r in records]
    graphs, owner, fails = [], [], []
    for i, (gs, reason) in enumerate(results):
        if not gs:
            fails.append((i, reason or "featurizer returned no graph"))
            continue
        graphs.extend(gs)
        owner.extend([i] * len(gs))
    arrays: dict[str, np.ndarray] = {}
    sizes: dict[str, np.ndarray] = {}
    dims: dict[str, int] = {}
    for key in (graphs[0].keys() if graphs else []):
        values = [g[key] for g in graphs]
        dim = graphs[0].__cat_dim__(key, values[0])
        dims[key] = dim
        arrays[key] = torch.cat(values, dim=dim).numpy()
        sizes[key] = np.array([v.size(dim) for v in values], dtype=np.int64)
    return _pack({"n": len(records), "arrays": arrays, "sizes": sizes, "dims": dims,
                  "owner": np.asarray(owner, dtype=np.int64), "fails": fails})


def _descr_chunk(records: list[MoleculeRecord]) -> bytes:
    return _pack([_describe_one(_WORKER["descriptors"], r) for r in records])


def _pack(results: Any) -> bytes:
    """Plain pickle bytes: torch's multiprocessing reducers would pass every tensor as a shared-memory file
    descriptor, which runs out of descriptors ("received 0 items of ancdata") on large datasets."""
    return pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)


def resolve_workers(num_workers: int | str, n: int) -> int:
    if num_workers == "auto":
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return 1 if n < 400 else max(1, min(cpus, 16))
    return max(1, int(num_workers))


def _map(fn, init_args, records: list[MoleculeRecord], workers: int, label: str, progress: bool) -> list:
    """Apply a chunk function over records, in a process pool when workers > 1, with a rich progress bar.
    Returns the chunk results in order."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    chunk = max(16, min(256, len(records) // (workers * 8) + 1))
    chunks = [records[i:i + chunk] for i in range(0, len(records), chunk)]
    out: list = []
    columns = (TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=not progress, transient=True) as bar:
        task = bar.add_task(label, total=len(records))
        if workers <= 1:
            _WORKER["featurizer"], _WORKER["descriptors"] = init_args
            for c in chunks:
                out.append(pickle.loads(fn(c)))
                bar.advance(task, len(c))
        else:
            threads = torch.get_num_threads()
            results = _pool_map(fn, init_args, chunks, workers, label)
            try:
                for c, packed in zip(chunks, results):
                    out.append(pickle.loads(packed))
                    bar.advance(task, len(c))
            finally:
                results.close()  # stops the pool now, also on Ctrl+C or an error here
                torch.set_num_threads(threads)
    return out


def _pool_map(fn, init_args, chunks: list[list[MoleculeRecord]], workers: int, label: str):
    """Chunk results in order from a pool of forked processes. A worker that dies (the out-of-memory killer's
    SIGKILL, a crash in C code) stops the whole map with a ``DataError`` instead of waiting forever, as
    ``multiprocessing.Pool`` would; Ctrl+C stops the workers at once and propagates."""
    pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"), initializer=_init_worker,
                               initargs=init_args)
    try:
        futures = [pool.submit(fn, c) for c in chunks]
        for i, fut in enumerate(futures):
            try:
                yield fut.result()
            except BrokenProcessPool:
                first = chunks[i][0]
                raise DataError(
                    f"{label}: a worker process died (killed by a signal, e.g. by the out-of-memory killer) "
                    f"while featurizing the chunk of {len(chunks[i])} molecules from data row {first.row} "
                    f"(id {first.id!r}); featurization stopped",
                    hint="lower data.num_workers (each worker holds its molecules in memory), or free memory; "
                         "with data.num_workers: 1 a crash in one molecule shows its traceback",
                ) from None
    finally:
        _stop_pool(pool)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Shut the pool down without waiting for queued chunks; kill workers that are still busy."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        if proc.is_alive():
            proc.kill()
    for proc in procs:
        proc.join(timeout=5)


def featurize_table(
    table: MoleculeTable,
    featurizer: Any,
    featurizer_id: tuple[str, dict[str, Any], str],
    descriptors: Sequence[tuple[Any, tuple[str, dict[str, Any], str]]],
    cache: FeatureCache | None,
    num_workers: int | str = "auto",
    progress: bool = True,
) -> GraphSet:
    """Featurize (or load from cache) graphs and descriptors for every molecule of ``table``.

    featurizer_id / descriptor ids are ``(name, params dict, provider)``: they form the cache key with a
    hash of the molecules and the package versions.
    """
    t0 = time.perf_counter()
    records = table.records
    workers = resolve_workers(num_workers, len(records))
    thash = table_fingerprint(table)
    notes: list[str] = []
    from_cache = True

    name, params, provider = featurizer_id
    gkey = cache_key(thash, name, params, getattr(featurizer, "version", "0"), provider)
    payload = cache.get(gkey) if cache else None
    if payload is None:
        from_cache = False
        results = _map(_graphs_chunk, (featurizer, ()), records, workers, f"featurizing ({name})", progress)
        payload = _collate_graphs(results)
        raise_plugin_bugs(dict(zip(payload["fail_pos"], payload["fail_reason"])), records, "featurizer", featurizer_id)
        if cache:
            cache.put(gkey, payload)

    extra_parts, extra_names, extra_fail = [], [], {}
    for desc, (dname, dparams, dprov) in descriptors:
        dkey = cache_key(thash, dname, dparams, getattr(desc, "version", "0"), dprov)
        dpay = cache.get(dkey) if cache else None
        if dpay is None:
            from_cache = False
            chunks = _map(_descr_chunk, (None, (desc,)), records, workers, f"descriptors ({dname})", progress)
            mat = np.full((len(records), len(desc.names)), np.nan)
            fails = {}
            i = 0
            for c in range(len(chunks)):  # each chunk's vectors freed once copied: one matrix in memory, not two
                for vec, reason in chunks[c]:
                    if vec is None:
                        fails[i] = reason
                    else:
                        check_width(vec, desc.names, records[i], (dname, dparams, dprov), type(desc).compute)
                        mat[i] = vec
                    i += 1
                chunks[c] = None
            raise_plugin_bugs(fails, records, "descriptor", (dname, dparams, dprov))
            dpay = {"matrix": torch.from_numpy(mat), "fail_pos": list(fails), "fail_reason": list(fails.values())}
            if cache:
                cache.put(dkey, dpay)
        extra_parts.append(dpay["matrix"].numpy())
        extra_names += [f"{dname}:{n}" for n in desc.names]
        extra_fail.update(dict(zip(dpay["fail_pos"], dpay["fail_reason"])))
    raw = np.concatenate(extra_parts, axis=1) if extra_parts else np.zeros((len(records), 0))
    described = np.ones(len(records), dtype=bool)
    described[list(extra_fail)] = False  # molecules whose descriptors failed as a whole are invalid rows
    extra, missing, too_large = sanitize(raw, rows=described, inplace=True)  # raw: a fresh concatenation
    missing_note = describe_missing(extra_names, missing, too_large, int(described.sum()))
    if missing_note:
        notes.append(missing_note)

    if cache and cache.corrupted:
        notes += [f"corrupted cache entry rebuilt: {c}" for c in cache.corrupted]
    if cache and cache.unwritable:
        notes += list(dict.fromkeys(cache.unwritable))
    failures = dict(zip(payload["fail_pos"], payload["fail_reason"]))
    for pos, reason in extra_fail.items():
        failures.setdefault(pos, f"descriptor: {reason}")
    data = Data.from_dict(payload["data"])
    slices = payload["slices"]
    owner = payload["owner"].numpy().astype(np.int64)
    keep = ~np.isin(owner, np.fromiter(failures, dtype=np.int64, count=len(failures)))
    dataset = _attach_targets(data, slices, owner, table, extra)
    if not keep.all():
        dataset = dataset.index_select(torch.from_numpy(np.nonzero(keep)[0]))
        owner = owner[keep]
    return GraphSet(dataset, owner, extra, extra_names, failures, time.perf_counter() - t0, from_cache, notes)


def _collate_graphs(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge the per-chunk arrays into one collated store: ``data`` (key -> tensor, concatenated along each
    key's cat dim, indices not incremented) and ``slices`` (key -> graph boundaries), as InMemoryDataset keeps."""
    owner, fail_pos, fail_reason, offset = [], [], [], 0
    arrays: dict[str, list[np.ndarray]] = {}
    sizes: dict[str, list[np.ndarray]] = {}
    dims: dict[str, int] = {}
    for chunk in chunks:
        owner.append(chunk["owner"] + offset)
        for i, reason in chunk["fails"]:
            fail_pos.append(i + offset)
            fail_reason.append(reason)
        for key, arr in chunk["arrays"].items():
            arrays.setdefault(key, []).append(arr)
            sizes.setdefault(key, []).append(chunk["sizes"][key])
            dims[key] = chunk["dims"][key]
        offset += chunk["n"]
    data_dict = {k: torch.from_numpy(np.concatenate(v, axis=dims[k])) for k, v in arrays.items()}
    slices = {k: torch.from_numpy(np.concatenate([[0], np.cumsum(np.concatenate(v))])) for k, v in sizes.items()}
    own = np.concatenate(owner) if owner else np.zeros(0, dtype=np.int64)
    return {"data": data_dict, "slices": slices, "owner": torch.from_numpy(own.astype(np.int64)),
            "fail_pos": fail_pos, "fail_reason": fail_reason}


def _attach_targets(data: Data, slices: dict, owner: np.ndarray, table: MoleculeTable, extra: np.ndarray) -> GraphDataset:
    """Add per-graph ``y`` [1, T], ``extra`` [1, D] and ``mol_index`` [1] to the collated store."""
    n = len(owner)
    own = torch.from_numpy(owner.astype(np.int64))
    per_graph = torch.arange(n + 1)
    data.y = torch.from_numpy(table.targets[owner].astype(np.float32)).reshape(n, table.targets.shape[1])
    extra32 = extra.astype(np.float32)
    whole = n == len(extra) and bool((owner == np.arange(n)).all())  # one graph per molecule, none failed
    data.extra = torch.from_numpy(extra32 if whole else extra32[owner]).reshape(n, extra.shape[1])
    data.mol_index = own
    slices = dict(slices)
    for key in ("y", "extra", "mol_index"):
        slices[key] = per_graph
    if any(r.forces is not None for r in table.records) and "z" in slices:
        data.forces = _per_atom_forces(slices["z"], owner, table)
        slices["forces"] = slices["z"]
    return GraphDataset(data, slices)


def _per_atom_forces(atom_slices: torch.Tensor, owner: np.ndarray, table: MoleculeTable) -> torch.Tensor:
    """Reference forces ``[N_atoms, 3]`` (float32, source units, e.g. eV/Å) in the graphs' atom order, which
    must be the record's (3D featurizers keep given coordinates as they are); NaN for a record without forces."""
    counts = (atom_slices[1:] - atom_slices[:-1]).tolist()
    parts = []
    for g, (o, n) in enumerate(zip(owner.tolist(), counts)):
        rec = table.records[o]
        if rec.forces is None:
            parts.append(np.full((n, 3), np.nan, dtype=np.float32))
            continue
        if rec.forces.shape != (n, 3):
            raise DataError(
                f"molecule {rec.id!r} (row {rec.row}) has forces for {rec.forces.shape[0]} atoms but its graph has "
                f"{n} atoms: the featurizer must keep every atom of the given geometry, in order",
                hint="use the conformer3d featurizer (it keeps the given coordinates and hydrogens) for force data")
        parts.append(np.asarray(rec.forces, dtype=np.float32))
    return torch.from_numpy(np.concatenate(parts) if parts else np.zeros((0, 3), dtype=np.float32))
