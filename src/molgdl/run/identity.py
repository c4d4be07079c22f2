"""What a run was started with: its resolved config and a fingerprint of its data (``run_identity.json``).

``--resume`` compares both with what it would run now and refuses a mismatch, naming the changed config keys
or what changed in the data: resuming on another model size would leave checkpoints that no longer load, and
resuming on changed data would re-split it and move training molecules into the test set. A few keys that only
drive or observe the run (``MAY_CHANGE``) may differ; the change is written to run.log.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from molgdl.errors import ResumeMismatchError
from molgdl.run.folder import write_json

log = logging.getLogger("molgdl")
IDENTITY_FILE = "run_identity.json"
# keys that do not change what is trained: where files go, how many processes, progress display, how long to
# train, callbacks and analyses (they observe the run), and the `tune` section (ignored by `molgdl run`)
MAY_CHANGE = ("run.output_dir", "data.cache_dir", "data.num_workers", "data.progress", "data.storage",
              "data.disk_above", "trainer.progress_bar",
              "trainer.num_threads", "trainer.loader_workers", "trainer.max_epochs",
              "trainer.max_time_minutes", "callbacks", "analyses", "tune")


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a.b": 1, "descriptors[0].name": "x"}``; lists of scalars stay one value."""
    out: dict[str, Any] = {}
    if isinstance(node, dict):
        for k, v in node.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(node, list) and any(isinstance(v, (dict, list)) for v in node):
        out[f"{prefix}#len"] = len(node)
        for i, v in enumerate(node):
            out.update(flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = node
    return out


def config_changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(key, old value, new value) for every key that differs; a missing key is ``<unset>``."""
    a, b = flatten(old), flatten(new)
    missing = "<unset>"
    return [(k.replace("#len", " (number of entries)"), a.get(k, missing), b.get(k, missing))
            for k in sorted(set(a) | set(b), key=lambda k: (k.split(".")[0], k))
            if a.get(k, missing) != b.get(k, missing)]


def _may_change(key: str, extra: tuple[str, ...] = ()) -> bool:
    return any(key == p or key.startswith((p + ".", p + "[", p + " ")) for p in (*MAY_CHANGE, *extra))


def _trained(run_dir: Path) -> bool:
    """Whether a replicate folder exists, i.e. a resume would continue something already trained."""
    return any(p.is_dir() for p in Path(run_dir).glob("seed_*"))


def _read(run_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((run_dir / IDENTITY_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _recorded_config(run_dir: Path) -> dict[str, Any] | None:
    """The resolved config the run started with: run_identity.json, or config.yaml of an earlier molgdl."""
    recorded = _read(run_dir).get("config")
    if isinstance(recorded, dict):
        return recorded
    try:
        old = yaml.safe_load((run_dir / "config.yaml").read_text())
    except (OSError, yaml.YAMLError):
        return None
    return old if isinstance(old, dict) else None


def check_config(run_dir: Path, config: dict[str, Any], may_change: tuple[str, ...] = ()) -> None:
    """Before a resumed run writes anything: refuse a config that differs in a key outside ``MAY_CHANGE`` (and
    a task's own ``may_change`` keys)."""
    run_dir = Path(run_dir)
    old = _recorded_config(run_dir)
    if old is None:
        if not _trained(run_dir):
            return  # nothing was trained yet (e.g. `molgdl tune` opened the folder): nothing to compare
        log.warning("%s records no config (no %s or config.yaml): the config of --resume is not checked",
                    run_dir, IDENTITY_FILE)
        return
    changes = config_changes(old, config)
    refused = [c for c in changes if not _may_change(c[0], may_change)]
    if refused:
        shown = "; ".join(f"{k}: {a!r} -> {b!r}" for k, a, b in refused[:8])
        more = f" (and {len(refused) - 8} more)" if len(refused) > 8 else ""
        raise ResumeMismatchError(
            f"cannot resume {run_dir}: the config differs from the one the run started with in "
            f"{len(refused)} key(s): {shown}{more}; nothing was changed",
            hint=f"resume with the run's own config (`molgdl run {run_dir / 'config.yaml'} --resume`) or put "
                 "those values back; to train with the new values, change run.name (or pass --overwrite to "
                 "replace this run)",
        )
    if changes:
        log.info("resumed with changed settings: %s",
                 "; ".join(f"{k}: {a!r} -> {b!r}" for k, a, b in changes))


def record_config(run_dir: Path, config: dict[str, Any]) -> None:
    """Write the resolved config (and its sha256) into run_identity.json, keeping the data fingerprint."""
    text = json.dumps(config, sort_keys=True, default=str)
    write_json(Path(run_dir) / IDENTITY_FILE, {**_read(Path(run_dir)), "config": config,
                                               "config_sha256": hashlib.sha256(text.encode()).hexdigest()})


def data_fingerprint(table: Any) -> dict[str, Any]:
    """Counts and sha256 of the molecules (ids, SMILES, structures) and targets, and of the source file."""
    from molgdl.data.cache import sha256_file, table_fingerprint

    targets = np.ascontiguousarray(table.targets, dtype=np.float64)
    h = hashlib.sha256(json.dumps(list(table.target_names)).encode())
    h.update(targets.tobytes())
    cols = hashlib.sha256()
    for name in sorted(table.columns):
        cols.update(f"{name}\x1f{[str(v) for v in table.columns[name]]}\x1e".encode())
    out: dict[str, Any] = {"source": str(table.source), "n_molecules": len(table),
                           "n_rows_read": int(table.n_read), "molecules_sha256": table_fingerprint(table),
                           "targets_sha256": h.hexdigest(), "columns_sha256": cols.hexdigest()}
    path = Path(str(table.source))
    if path.is_file():
        out["file"] = {"path": str(path.resolve()), "size": path.stat().st_size, "sha256": sha256_file(path)}
    return out


def check_or_record_data(run_dir: Path, table: Any, *, resume: bool) -> None:
    """A new run records the data fingerprint; a resumed run refuses data that differ from the recorded."""
    run_dir = Path(run_dir)
    now = data_fingerprint(table)
    recorded = _read(run_dir).get("data")
    if resume and isinstance(recorded, dict):
        changes = data_changes(recorded, now)
        if any(not c.startswith("data file") for c in changes):
            raise ResumeMismatchError(
                f"cannot resume {run_dir}: the data changed since the run started: {'; '.join(changes)}; "
                "resuming would split the new data again and move training molecules into the test set, so "
                "nothing was changed",
                hint=f"restore the data the run was trained on (its fingerprint is in "
                     f"{run_dir / IDENTITY_FILE}), or train on the new data as a new run (change run.name, "
                     "or pass --overwrite)",
            )
        for change in changes:  # the file changed but what the run reads from it did not (a comment, ...)
            log.warning("%s; the molecules, targets and columns read from it are the same, so the run "
                        "resumes", change)
        return
    if resume and recorded is None and _trained(run_dir):
        log.warning("%s records no data fingerprint (started by an earlier molgdl, or stopped before reading "
                    "its data): the data of --resume is not checked", run_dir)
    write_json(run_dir / IDENTITY_FILE, {**_read(run_dir), "data": now})


def data_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between two data fingerprints, in words (empty when they match)."""
    out = []
    f_old, f_new = old.get("file") or {}, new.get("file") or {}
    if f_old and f_new and f_old.get("sha256") != f_new.get("sha256"):
        same = f_new.get("path") == f_old.get("path")
        where = f_new["path"] if same else f"{f_old.get('path')} -> {f_new['path']}"
        out.append(f"data file {where} changed ({f_old.get('size')} -> {f_new.get('size')} bytes, sha256 "
                   f"{str(f_old.get('sha256'))[:12]} -> {str(f_new.get('sha256'))[:12]})")
    elif old.get("source") != new.get("source"):
        out.append(f"data source {old.get('source')!r} -> {new.get('source')!r}")
    if old.get("n_molecules") != new.get("n_molecules"):
        out.append(f"{old.get('n_molecules')} -> {new.get('n_molecules')} molecules")
    if old.get("molecules_sha256") != new.get("molecules_sha256"):
        out.append("the molecules (ids, SMILES or structures) differ")
    if old.get("targets_sha256") != new.get("targets_sha256"):
        out.append("the targets differ")
    if old.get("columns_sha256") != new.get("columns_sha256"):
        out.append("the metadata columns (e.g. a split column) differ")
    return out
