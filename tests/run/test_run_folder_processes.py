"""Two real processes on one run folder (issue 19): the lock refuses a second writer while the first trains;
after kill -9, --resume takes the stale lock over and metrics.csv keeps every epoch exactly once."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

MOLGDL = [sys.executable, "-m", "molgdl.cli"]


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "1000", "OMP_NUM_THREADS": "1"}
    return subprocess.run(MOLGDL + args, capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)


@pytest.mark.slow
def test_second_writer_refused_then_kill_9_and_resume_keep_the_history(tmp_path):
    cfg = {
        "run": {"name": "live", "output_dir": str(tmp_path / "runs"), "seeds": [0]},
        "data": {"source": {"name": "esol", "limit": 120}, "cache_dir": str(tmp_path / "cache"), "progress": False,
                 "num_workers": 1},
        "model": {"name": "dmpnn", "hidden_dim": 32, "depth": 2},
        "head": {"hidden_dim": 16},
        "trainer": {"max_epochs": 1000, "batch_size": 16, "progress_bar": False, "accelerator": "cpu",
                    "devices": 1, "early_stopping": None, "num_threads": 1},
    }
    path = tmp_path / "live.yaml"
    path.write_text(yaml.safe_dump(cfg))
    folder = tmp_path / "runs" / "live"
    last = folder / "seed_0" / "checkpoints" / "last.ckpt"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    first = subprocess.Popen(MOLGDL + ["run", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=env, cwd=tmp_path)
    try:
        deadline = time.time() + 240
        while not last.exists() and time.time() < deadline and first.poll() is None:
            time.sleep(0.1)
        assert last.exists() and first.poll() is None, "the first run did not reach its first checkpoint"
        lock = json.loads((folder / ".lock").read_text())
        assert lock["pid"] == first.pid

        for flag in ("--resume", "--overwrite"):
            second = _run(["run", str(path), flag], tmp_path)
            assert second.returncode == 2, second.stderr[-2000:]
            assert "Traceback" not in second.stderr
            assert f"is in use by another molgdl process (PID {first.pid} on host" in " ".join(second.stderr.split())
        assert first.poll() is None, "the first run stopped: the second process disturbed it"
        assert last.exists() and (folder / "status.json").exists()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert json.loads((folder / "status.json").read_text())["state"] == "running"

    import torch

    from molgdl.train.checkpoint_io import resume_checkpoint

    _, epoch = resume_checkpoint(last.parent, "seed 0")
    assert epoch >= 0
    target = epoch + 3  # two more epochs than the checkpoint holds (max_epochs may change on resume)
    resumed = _run(["run", str(path), "--resume", "--set", f"trainer.max_epochs={target}"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    err = " ".join(resumed.stderr.split())
    assert f"stale lock {folder / '.lock'} taken over: the process that held it (PID {first.pid} on host" in err
    assert json.loads((folder / "status.json").read_text())["state"] == "completed"
    assert not (folder / ".lock").exists()
    with (folder / "seed_0" / "logs" / "metrics.csv").open() as fh:
        val_epochs = [int(r["epoch"]) for r in csv.DictReader(fh) if r.get("val/loss")]
    assert val_epochs == list(range(target))  # every epoch once: before the kill, and after the resume
    assert torch.load(last, map_location="cpu", weights_only=True)["epoch"] == target - 1
