"""Crash-safe checkpoints: atomic writes, and a readable checkpoint to resume from.

A checkpoint is written to a temporary file in its own folder, flushed and fsync'ed, then renamed over the
old one (a rename within a folder is atomic), so a kill or a full disk leaves either the old or the new file,
never half of one. A new ``last.ckpt`` keeps its predecessor as ``last.prev.ckpt``. A write that fails
(ENOSPC, ...) removes its temporary file, keeps the previous checkpoint and raises a ``StorageError``.
``resume_checkpoint`` picks the newest checkpoint that loads (``last.ckpt``, ``last.prev.ckpt``,
``best.ckpt``) and says when it had to fall back.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from lightning_fabric.plugins.io.torch_io import TorchCheckpointIO

from molgdl.errors import StorageError

log = logging.getLogger("molgdl")
KEEP_PREVIOUS = {"last.ckpt": "last.prev.ckpt"}
RESUME_ORDER = ("last.ckpt", "last.prev.ckpt", "best.ckpt")


def _dump(checkpoint: dict[str, Any], fh: Any) -> None:
    """Serialise ``checkpoint`` into the open file ``fh`` (one function, so tests can make the disk full)."""
    torch.save(checkpoint, fh)


def atomic_save(checkpoint: dict[str, Any], path: Path) -> None:
    """Write ``checkpoint`` to ``path`` atomically (temporary file in the same folder, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            _dump(checkpoint, fh)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        kept = f"the previous {path.name} is kept" if path.exists() else f"no {path.name} was written"
        raise StorageError(f"could not write checkpoint {path}: {exc.strerror or exc} ({kept})",
                           hint=f"free space on the disk of {path.parent} (df -h) or point run.output_dir at "
                                "another disk, then continue with `molgdl run CONFIG --resume`") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    previous = KEEP_PREVIOUS.get(path.name)
    if previous and path.exists():
        _keep_copy(path, path.with_name(previous))
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _keep_copy(path: Path, keep: Path) -> None:
    """Make ``keep`` the current ``path`` (a hard link, or a copy where links are not supported) without
    ``path`` ever being absent: a kill at any moment leaves a loadable ``path``."""
    tmp = keep.with_name(f".{keep.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        try:
            os.link(path, tmp)
        except OSError:
            shutil.copyfile(path, tmp)
        os.replace(tmp, keep)
    except OSError as exc:  # the previous copy is a convenience: never fail a save for it
        tmp.unlink(missing_ok=True)
        log.warning("could not keep %s as %s: %s", path, keep, exc)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's checkpoint IO with atomic, fsync'ed writes (``atomic_save``)."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None) -> None:
        if storage_options is not None:
            raise TypeError("AtomicCheckpointIO does not take storage_options")
        atomic_save(checkpoint, Path(path))


def readable_checkpoint(path: Path) -> tuple[int, int] | str:
    """(epoch, global step) of a checkpoint that loads, or why it does not load."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated, garbage, wrong format: every failure means "do not resume from it"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'unreadable'}"
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt or "epoch" not in ckpt:
        return "not a Lightning checkpoint (no state_dict/epoch)"
    return int(ckpt["epoch"]), int(ckpt.get("global_step", 0))


def resume_checkpoint(ckpt_dir: Path, label: str) -> tuple[Path | None, int]:
    """The newest readable checkpoint of ``ckpt_dir`` and its epoch (None, -1 when there is none); a warning
    names every checkpoint skipped because it does not load."""
    ckpt_dir = Path(ckpt_dir)
    for partial in ckpt_dir.glob(".*.tmp"):  # half-written by a killed run (this process holds the run's lock)
        partial.unlink(missing_ok=True)
    found: list[tuple[tuple[int, int], Path]] = []
    bad: list[str] = []
    for name in RESUME_ORDER:
        path = ckpt_dir / name
        if not path.exists():
            continue
        state = readable_checkpoint(path)
        if isinstance(state, str):
            bad.append(f"{path} ({state})")
        else:
            found.append((state, path))
    if not found:
        if bad:
            log.warning("%s: no checkpoint loads (%s): training starts again from epoch 0", label,
                        "; ".join(bad))
        return None, -1
    # the newest epoch wins; among equal epochs the order of RESUME_ORDER (max keeps the first maximum)
    (epoch, _), path = max(found, key=lambda f: f[0])
    if bad:
        log.warning("%s: checkpoint %s is unreadable (truncated or corrupted?), so training resumes from %s "
                    "(epoch %d) instead", label, "; ".join(bad), path, epoch)
    return path, epoch
