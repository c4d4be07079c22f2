"""Two real processes on one run folder (issue 19): the lock refuses a second writer while the first trains;
after kill -9, --resume takes the stale lock over and metrics.csv keeps every epoch exactly once. A plain
``kill`` (SIGTERM, what schedulers send at a time limit) ends a run like Ctrl-C: status ``interrupted``, the
lock released, the resume hint printed."""

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


def _live_config(tmp_path: Path, model: dict | None = None) -> Path:
    cfg = {
        "run": {"name": "live", "output_dir": str(tmp_path / "runs"), "seeds": [0]},
        "data": {"source": {"name": "esol", "limit": 120}, "cache_dir": str(tmp_path / "cache"), "progress": False,
                 "num_workers": 1},
        "model": model or {"name": "dmpnn", "hidden_dim": 32, "depth": 2},
        "head": {"hidden_dim": 16},
        "trainer": {"max_epochs": 1000, "batch_size": 16, "progress_bar": False, "accelerator": "cpu",
                    "devices": 1, "early_stopping": None, "num_threads": 1},
    }
    path = tmp_path / "live.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.mark.slow
def test_second_writer_refused_then_kill_9_and_resume_keep_the_history(tmp_path):
    path = _live_config(tmp_path)
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
    result = json.loads((folder / "seed_0" / "metrics.json").read_text())
    assert 0 < result["seconds_before_resume"] < result["train_seconds"]  # the first attempt's time is counted


@pytest.mark.slow
def test_sigterm_ends_a_run_as_interrupted_with_the_lock_released(tmp_path):
    path = _live_config(tmp_path)
    folder = tmp_path / "runs" / "live"
    last = folder / "seed_0" / "checkpoints" / "last.ckpt"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "1000"}
    first = subprocess.Popen(MOLGDL + ["run", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env, cwd=tmp_path)
    try:
        deadline = time.time() + 240
        while not last.exists() and time.time() < deadline and first.poll() is None:
            time.sleep(0.1)
        assert last.exists() and first.poll() is None, "the run did not reach its first checkpoint"
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 128 + signal.SIGTERM, err[-2000:]
    text = " ".join((out + err).split())
    assert "terminated (SIGTERM): resume with `molgdl run CONFIG --resume`" in text
    assert "Traceback" not in err
    assert json.loads((folder / "status.json").read_text())["state"] == "interrupted"
    assert not (folder / ".lock").exists()
    assert last.exists()


def test_sigterm_outside_training_raises_terminated_and_forked_children_die_by_default():
    """In-process: the handler raises Terminated in the owner, a forked child ends with SIGTERM's default action
    (so ``Pool.terminate()`` still stops workers), and the previous handler is back after the block."""
    from molgdl.run.signals import Terminated, sigterm_interrupts

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated), sigterm_interrupts():
        ready, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: say it runs, wait for the parent's SIGTERM; os._exit(0) would mean it was swallowed
            os.write(ready_w, b"1")
            time.sleep(30)
            os._exit(0)
        assert os.read(ready, 1) == b"1"  # a signal before the child's interpreter is set up would be lost
        os.kill(pid, signal.SIGTERM)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this returns
    assert signal.getsignal(signal.SIGTERM) is before
