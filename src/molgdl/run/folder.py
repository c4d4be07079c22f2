"""The run folder: creation rules (no silent overwrite), status file, run log."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import traceback
from pathlib import Path
from typing import Any

from molgdl.errors import RunDirError

STATUS_FILE = "status.json"


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
        path = Path(path)
        folder = cls(path)
        if is_worker_process():
            return folder
        if path.exists() and any(path.iterdir()):
            if resume:
                if not (path / STATUS_FILE).exists():
                    raise RunDirError(f"{path} is not a molgdl run folder (no {STATUS_FILE})",
                                      hint="point run.output_dir/run.name at the interrupted run")
                return folder
            if not overwrite:
                state = folder.status().get("state", "unknown")
                raise RunDirError(
                    f"run folder {path} already exists (state: {state}); nothing was overwritten",
                    hint="pass --resume to continue an interrupted run, --overwrite to replace it, "
                         "or change run.name",
                )
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
        return folder

    def status(self) -> dict[str, Any]:
        try:
            return json.loads((self.path / STATUS_FILE).read_text())
        except (OSError, json.JSONDecodeError):
            return {}

    def set_status(self, state: str, **extra: Any) -> None:
        if is_worker_process():
            return
        data = {**self.status(), "state": state, "updated": time.strftime("%Y-%m-%dT%H:%M:%S"), **extra}
        write_json(self.path / STATUS_FILE, data)

    def attach_log(self) -> logging.Handler:
        handler = logging.FileHandler(self.path / "run.log")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logging.getLogger("molgdl").addHandler(handler)
        return handler

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
