"""``<output>.progress.json``: how far a streaming job got, and what it was, so ``--resume`` continues it exactly.

Written atomically (temporary file, fsync, rename) after each chunk's rows are durable in the output. It names
the job by fingerprints of the input file (SHA-256 of its bytes) and of the run (its config, weights and
calibration files), and by the options that decide the output's bytes (command, chunk size, shard, coverage).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from molgdl.errors import DataError

FORMAT = 1
#: Files of a run folder that decide its predictions (searched in the run and its ensemble members).
RUN_FILES = ("config.yaml", "model.pt", "model.pkl", "calibration.json", "ensemble.json", "*.pt")


def progress_path(output: Path) -> Path:
    return Path(output).with_name(Path(output).name + ".progress.json")


def file_digest(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def run_digest(run_dir: Path) -> str:
    """SHA-256 over the relative paths and bytes of the files that decide the run's outputs."""
    run_dir = Path(run_dir)
    h = hashlib.sha256()
    files = sorted({p for pattern in RUN_FILES for p in run_dir.rglob(pattern) if p.is_file()})
    for p in files:
        h.update(str(p.relative_to(run_dir)).encode() + b"\0" + file_digest(p).encode())
    return h.hexdigest()


@dataclass
class Progress:
    """The job (``job``: what must match to resume) and its progress after the last completed chunk."""

    job: dict[str, Any]
    chunks_done: int = 0  # chunks of the input passed (scored or, with --shard, left to other shards)
    chunks_written: int = 0
    rows_read: int = 0
    rows_written: int = 0
    failed: int = 0
    output_bytes: int = 0
    failures_bytes: int = 0
    complete: bool = False
    notes: list[str] = field(default_factory=list)

    def save(self, output: Path) -> None:
        path = progress_path(output)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w") as fh:
            json.dump({"format": FORMAT, **asdict(self)}, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)


def load_progress(output: Path) -> Progress | None:
    path = progress_path(output)
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text())
        if raw.pop("format") != FORMAT:
            raise ValueError(f"format {raw.get('format')}")
        return Progress(**raw)
    except (ValueError, TypeError, KeyError) as exc:
        raise DataError(f"{path} is not a progress file this version of molgdl can read ({exc})",
                        hint="delete it and the output, and start the job again without --resume") from None


def job_mismatch(saved: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What differs between the recorded job and this one, in words."""
    words = {"input_sha256": "the input file's content", "run_sha256": "the run (config or weights)",
             "input": "the input path", "run": "the run folder"}
    return [f"{words.get(k, k)}: recorded {saved.get(k)!r}, now {now.get(k)!r}"
            for k in sorted(set(saved) | set(now)) if saved.get(k) != now.get(k)]
