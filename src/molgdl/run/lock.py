"""The run folder's lock: one writing process per run folder.

``<run>/.lock`` holds the PID, host, start time and command of the process that writes the folder (and, on
Linux, the kernel's start time of that PID). It is created atomically (written in full under a temporary name,
then hard-linked to ``.lock``, which fails when a lock is there), so a reader never sees half a lock. A lock
whose process no longer runs on this host (a dead PID, or a PID since reused by a process that started later)
is stale and is taken over with a warning; a lock of a live process, or of another host, refuses the second
writer with the way to break it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

from molgdl.errors import RunDirError

log = logging.getLogger("molgdl")
LOCK_FILE = ".lock"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user
        return True
    return True


def _proc_start(pid: int) -> str | None:
    """Start time of a process (clock ticks since boot, Linux ``/proc``), None where unknown: with it, a PID
    reused by an unrelated process after a kill is not mistaken for the run that held the lock."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) ": field 3 onwards
    return fields[19] if len(fields) > 19 else None


def _holder_alive(lock: dict[str, Any]) -> bool:
    pid = lock.get("pid")
    if not isinstance(pid, int) or not _pid_alive(pid):
        return False
    then, now = lock.get("proc_start"), _proc_start(pid)
    return then is None or now is None or then == now


def read_lock(folder: Path) -> dict[str, Any] | None:
    """The lock's content, ``{}`` when the file is unreadable, None when there is no lock."""
    try:
        data = json.loads((Path(folder) / LOCK_FILE).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _describe(lock: dict[str, Any]) -> str:
    return (f"PID {lock.get('pid', '?')} on host {lock.get('host', '?')}, started {lock.get('started', '?')}"
            + (f": {lock['command']}" if lock.get("command") else ""))


def acquire(folder: Path, command: str = "") -> None:
    """Create ``folder/.lock`` for this process, taking over a stale lock; RunDirError when another live
    process (or a process on another host) holds the folder."""
    folder = Path(folder)
    lock_path = folder / LOCK_FILE
    me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
          "command": command, "proc_start": _proc_start(os.getpid())}
    for _ in range(3):
        if _link_new(folder, me):
            return
        held = read_lock(folder)
        if held is None:  # released between our two looks: try again
            continue
        if held.get("pid") == me["pid"] and held.get("host") == me["host"]:
            _replace(folder, me)  # this process already holds it (an earlier stage of the same command)
            return
        pid = held.get("pid")
        if held and held.get("host") == me["host"] and not _holder_alive(held):
            log.warning("stale lock %s taken over: the process that held it (%s) is no longer running",
                        lock_path, _describe(held))
            _replace(folder, me)
            return
        if not held:
            raise RunDirError(f"run folder {folder} has an unreadable lock file {lock_path}; another molgdl "
                              "process may be writing it",
                              hint=f"if no molgdl process uses this folder, delete {lock_path} and retry")
        where = "on this host" if held.get("host") == me["host"] else "on another host"
        raise RunDirError(
            f"run folder {folder} is in use by another molgdl process ({_describe(held)}); two processes "
            "writing one run folder would corrupt it",
            hint=f"wait for that process to finish, or stop it (kill {pid}) {where} and then resume with "
                 f"--resume; if it is no longer running (e.g. its machine crashed), delete {lock_path} and "
                 "retry",
        )
    raise RunDirError(f"could not lock run folder {folder}: its lock file {lock_path} keeps changing",
                      hint="make sure no other molgdl process writes this run folder, then retry")


def release(folder: Path) -> None:
    """Remove the lock if this process holds it."""
    held = read_lock(folder)
    if held and held.get("pid") == os.getpid() and held.get("host") == socket.gethostname():
        try:
            (Path(folder) / LOCK_FILE).unlink()
        except FileNotFoundError:
            pass


def _link_new(folder: Path, content: dict[str, Any]) -> bool:
    """Write the lock under a temporary name and hard-link it to ``.lock``: False when a lock exists."""
    tmp = folder / f"{LOCK_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(content))
    try:
        os.link(tmp, folder / LOCK_FILE)
        return True
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: exclusive create (a reader may see it empty briefly)
        try:
            fd = os.open(folder / LOCK_FILE, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as fh:
            fh.write(json.dumps(content))
        return True
    finally:
        tmp.unlink(missing_ok=True)


def _replace(folder: Path, content: dict[str, Any]) -> None:
    tmp = folder / f"{LOCK_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(content))
    os.replace(tmp, folder / LOCK_FILE)
