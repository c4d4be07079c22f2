"""On-disk featurization cache: one file per (molecules, featurizer, params, versions) key, with a checksum.

Entries are plain tensors and lists, saved with ``torch.save`` and read back with ``weights_only=True``
(no code runs when a cache file is loaded). A file whose checksum or structure does not match is
reported as corrupted and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import torch

from molgdl.data.table import MoleculeTable

CACHE_FORMAT = 1


def default_cache_dir() -> Path:
    env = os.environ.get("MOLGDL_CACHE_DIR")
    if env:
        return Path(env).expanduser()  # `~` as in data.cache_dir (a quoted value reaches us unexpanded)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")).expanduser() / "molgdl"


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    out = {}
    for name in ("molgdl", "torch", "torch_geometric", "rdkit", "numpy", *extra):
        try:
            out[name] = version(name.replace("_", "-")) if name != "torch_geometric" else version("torch_geometric")
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def table_fingerprint(table: MoleculeTable) -> str:
    """sha256 of what a featurizer reads: ids, SMILES, atomic numbers, coordinates."""
    h = hashlib.sha256()
    for rec in table.records:
        h.update(f"{rec.id}\x1f{rec.smiles}\x1e".encode())
        if rec.z is not None:
            h.update(np.ascontiguousarray(rec.z, dtype=np.int64).tobytes())
        if rec.pos is not None:
            h.update(np.ascontiguousarray(rec.pos, dtype=np.float64).tobytes())
    return h.hexdigest()


def cache_key(table_hash: str, component: str, params: dict[str, Any], component_version: str, plugin: str) -> str:
    payload = json.dumps(
        {"table": table_hash, "component": component, "params": params, "component_version": component_version,
         "plugin": plugin, "versions": package_versions(), "format": CACHE_FORMAT},
        sort_keys=True, default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class FeatureCache:
    """``get(key) -> payload | None`` and ``put(key, payload)``; payload is a dict of tensors/lists/str."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.corrupted: list[str] = []
        self.unwritable: list[str] = []  # entries that could not be written (the run goes on without them)

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.root / f"{key}.pt", self.root / f"{key}.sha256"

    def get(self, key: str) -> dict[str, Any] | None:
        data_path, sum_path = self._paths(key)
        if not data_path.exists():
            return None
        try:
            if not sum_path.exists() or sum_path.read_text().strip() != sha256_file(data_path):
                raise ValueError("checksum mismatch")
            payload = torch.load(data_path, weights_only=True)
            if not isinstance(payload, dict) or payload.get("format") != CACHE_FORMAT:
                raise ValueError("unexpected structure")
            return payload
        except Exception as exc:  # any unreadable entry is rebuilt, never trusted
            self.corrupted.append(f"{data_path} ({exc})")
            data_path.unlink(missing_ok=True)
            sum_path.unlink(missing_ok=True)
            return None

    def put(self, key: str, payload: dict[str, Any]) -> Path | None:
        """Write an entry; when the folder cannot hold it (not a folder, read-only, disk full) nothing is
        left behind and the reason is added to ``unwritable``: the cache only saves time."""
        data_path, sum_path = self._paths(key)
        tmp = data_path.with_suffix(f".tmp{os.getpid()}")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            torch.save({**payload, "format": CACHE_FORMAT}, tmp)
            digest = sha256_file(tmp)
            os.replace(tmp, data_path)
            sum_path.write_text(digest)
        except (OSError, RuntimeError) as exc:  # torch.save reports a full disk as RuntimeError
            for leftover in (tmp, data_path, sum_path):
                try:
                    leftover.unlink(missing_ok=True)
                except OSError:
                    pass
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0]
            self.unwritable.append(f"featurization cache entry not written to {self.root} ({reason}); the run "
                                   "goes on without it: set data.cache_dir to a writable folder to reuse features")
            return None
        return data_path


class MemoryFeatureCache:
    """:class:`FeatureCache`'s interface for one job, in memory, never written: the members of an ensemble
    featurize a streamed chunk of new molecules once per distinct key (featurizer or descriptor set, with its
    params) instead of once per member. Drop it with the chunk (it holds that chunk's features)."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}
        self.corrupted: list[str] = []
        self.unwritable: list[str] = []

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def put(self, key: str, payload: dict[str, Any]) -> None:
        self.entries[key] = payload
