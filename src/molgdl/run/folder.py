"""The run folder: creation rules (no silent overwrite), status file, run log."""

from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from molgdl.errors import RunDirError

STATUS_FILE = "status.json"
MARKER_FILE = ".molgdl-run"  # written when molgdl creates a run folder: --overwrite removes only these
log = logging.getLogger("molgdl")


def is_worker_process() -> bool:
    """True inside a DDP child process started by Lightning (it re-runs the command with LOCAL_RANK>0)."""
    return os.environ.get("LOCAL_RANK", "0") != "0" or os.environ.get("NODE_RANK", "0") != "0"


class RunFolder:
    """``runs/<name>/``: top-level config, versions, logs, summary; ``seed_<s>/`` per replicate."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def seed_dir(self, seed: int) -> Path:
        return self.path / f"seed_{seed}"

    @classmethod
    def open(cls, path: Path, *, overwrite: bool, resume: bool) -> "RunFolder":
        """Create (or, with ``resume``, reopen; with ``overwrite``, replace) the run folder and lock it for
        this process. ``--overwrite`` only removes a folder that holds molgdl's marker file, never through a
        symbolic link, and never one that another live process writes."""
        path = Path(path)
        folder = cls(path)
        if is_worker_process():
            return folder
        if path.name in ("", ".", ".."):
            raise RunDirError(f"run folder {path} does not name a folder of its own",
                              hint="set run.name to a plain folder name such as 'esol_dmpnn'")
        if path.exists() and not path.is_dir():
            raise RunDirError(f"run folder {path} exists and is not a folder; nothing was changed",
                              hint="change run.name, or move that file away")
        if path.exists() and any(path.iterdir()):
            if resume:
                if not (path / STATUS_FILE).exists():
                    raise RunDirError(f"{path} is not a molgdl run folder (no {STATUS_FILE})",
                                      hint="point run.output_dir/run.name at the interrupted run")
                folder._lock()
                if not (path / MARKER_FILE).exists() and (path / "config.yaml").is_file():
                    folder._write_marker()  # a run of an earlier molgdl (status.json, config.yaml)
                return folder
            if not overwrite:
                state = folder.status().get("state", "unknown")
                raise RunDirError(
                    f"run folder {path} already exists (state: {state}); nothing was overwritten",
                    hint="pass --resume to continue an interrupted run, --overwrite to replace it, "
                         "or change run.name",
                )
            folder._check_removable()
            folder._lock()  # refuses while another process writes the folder
            try:
                shutil.rmtree(path)  # symbolic links inside are removed, never followed
            except OSError as exc:
                folder.release()
                raise RunDirError(f"--overwrite could not remove {path}: {exc.strerror or exc} "
                                  f"({exc.filename or path}); part of it may be gone",
                                  hint="check the permissions of that folder and retry, or change run.name"
                                  ) from exc
            log.info("removed the previous run folder %s (--overwrite)", path)
        try:
            path.mkdir(parents=True, exist_ok=True)
            if not (path / MARKER_FILE).exists():
                folder._write_marker()
        except OSError as exc:
            raise RunDirError(
                f"cannot create run folder {path}: {exc.strerror or exc} ({exc.filename or path})",
                hint="set run.output_dir to a folder you can write to (every part of the path a folder, on a "
                     "disk with free space)") from exc
        folder._lock()
        return folder

    def _check_removable(self) -> None:
        """``--overwrite`` removes only a real folder (not a link) that molgdl created (marker file)."""
        path = self.path
        if path.is_symlink():
            raise RunDirError(f"run folder {path} is a symbolic link (to {os.readlink(path)}); --overwrite "
                              "never removes through a link, nothing was changed",
                              hint=f"remove the link yourself (rm {path}) or change run.name")
        marker = path / MARKER_FILE
        if marker.is_symlink() or not marker.is_file():
            raise RunDirError(f"{path} was not created by `molgdl run` (no {MARKER_FILE} marker file); "
                              "--overwrite only replaces run folders molgdl created, nothing was changed",
                              hint=f"change run.name, or check what {path} holds and delete it yourself")

    def _write_marker(self) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            made_by = version("molgdl")
        except PackageNotFoundError:
            made_by = "?"
        created = time.strftime("%Y-%m-%dT%H:%M:%S")
        write_json(self.path / MARKER_FILE, {"created": created, "molgdl": made_by})

    def _lock(self) -> None:
        from molgdl.run import lock

        lock.acquire(self.path, command=" ".join(sys.argv))
        atexit.register(lock.release, self.path)  # also when a pipeline never calls release()

    def release(self) -> None:
        """Remove this process's lock (the run is over, or was refused before it started)."""
        if not is_worker_process():
            from molgdl.run import lock

            lock.release(self.path)

    def status(self) -> dict[str, Any]:
        try:
            return json.loads((self.path / STATUS_FILE).read_text())
        except (OSError, json.JSONDecodeError):
            return {}

    def set_status(self, state: str, **extra: Any) -> None:
        """Write ``state`` with ``extra``, keeping the other fields; the error of an earlier attempt goes (a
        resumed run that completes does not carry the message of the attempt that failed)."""
        if is_worker_process():
            return
        kept = {k: v for k, v in self.status().items() if k != "error"}
        data = {**kept, "state": state, "updated": time.strftime("%Y-%m-%dT%H:%M:%S"), **extra}
        write_json(self.path / STATUS_FILE, data)

    def restore_status(self, data: dict[str, Any]) -> None:
        """Put back a status read earlier (a refused --resume leaves the run as it was)."""
        if data and not is_worker_process():
            write_json(self.path / STATUS_FILE, data)

    def attach_log(self) -> logging.Handler:
        handler = logging.FileHandler(self.path / "run.log")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logging.getLogger("molgdl").addHandler(handler)
        return handler

    def record_failure(self, exc: BaseException, handler: logging.Handler | None = None,
                       previous_status: dict[str, Any] | None = None) -> None:
        """Status ``failed`` (``interrupted`` for Ctrl-C) with the message's first line, and the reason in run.log
        when ``handler`` is given; a refused ``--resume`` puts back ``previous_status`` (it changed nothing)."""
        from molgdl.errors import ResumeMismatchError

        if isinstance(exc, ResumeMismatchError) and previous_status is not None:
            self.restore_status(previous_status)
        else:
            self.set_status("failed" if not isinstance(exc, KeyboardInterrupt) else "interrupted",
                            error=str(exc).split("\n")[0])
        if handler is not None and not isinstance(exc, KeyboardInterrupt):
            self.log_failure(handler, exc)

    @staticmethod
    def log_failure(handler: logging.Handler, exc: BaseException) -> None:
        """Write why the run stopped into run.log only (the console shows the short message): the message
        and, for a plugin bug or an unexpected error, the traceback of the code that raised."""
        from molgdl.errors import MolgdlError

        cause = exc.__cause__ if isinstance(exc, MolgdlError) else exc
        text = f"run failed: {exc}"
        if cause is not None:
            text += "\n" + "".join(traceback.format_exception(type(cause), cause, cause.__traceback__)).rstrip()
        handler.handle(logging.LogRecord("molgdl", logging.ERROR, __file__, 0, text, None, None))


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    from molgdl.run.json_values import finite_json

    tmp.write_text(json.dumps(finite_json(data), indent=2, default=_jsonable, allow_nan=False))  # NaN -> null
    os.replace(tmp, path)


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)
