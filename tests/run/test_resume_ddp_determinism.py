"""End-to-end process-level behaviour: SIGKILL + resume, same-seed determinism, 2-process CPU DDP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

MOLGDL = [sys.executable, "-m", "molgdl.cli"]


def _config(tmp_path: Path, name: str, **trainer) -> Path:
    cfg = {
        "run": {"name": name, "output_dir": str(tmp_path / "runs"), "seeds": [0]},
        "data": {"source": {"name": "esol", "limit": 240}, "cache_dir": str(tmp_path / "cache"), "progress": False},
        "featurizer": {"name": "graph2d"},
        "model": {"name": "dmpnn", "hidden_dim": 48, "depth": 2},
        "head": {"hidden_dim": 48},
        "trainer": {"max_epochs": 3, "batch_size": 24, "progress_bar": False, "accelerator": "cpu",
                    "early_stopping": None, **trainer},
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _run(args: list[str], **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(MOLGDL + args, capture_output=True, text=True, env=env, timeout=600, **kw)


def _metrics(run_dir: Path) -> dict:
    return json.loads((run_dir / "seed_0" / "metrics.json").read_text())["metrics"]


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_completes(tmp_path):
    cfg = _config(tmp_path, "killed", max_epochs=8)
    run_dir = tmp_path / "runs" / "killed"
    last = run_dir / "seed_0" / "checkpoints" / "last.ckpt"
    proc = subprocess.Popen(MOLGDL + ["run", str(cfg)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while not last.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert last.exists(), "no checkpoint appeared before the deadline"
    time.sleep(0.3)  # into the next epoch
    assert proc.poll() is None, "training finished before it could be killed; make the run longer"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (run_dir / "seed_0" / "metrics.json").exists()
    assert json.loads((run_dir / "status.json").read_text())["state"] == "running"

    again = _run(["run", str(cfg)])  # without --resume: refused, nothing lost
    assert again.returncode == 2 and "--resume" in again.stderr and "Traceback" not in again.stderr
    assert last.exists()

    resumed = _run(["run", str(cfg), "--resume"])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming from" in (run_dir / "run.log").read_text()
    assert json.loads((run_dir / "status.json").read_text())["state"] == "completed"
    metrics = _metrics(run_dir)
    assert metrics["test"]["overall"]["rmse"] > 0
    epochs = [row for row in (run_dir / "seed_0" / "logs" / "metrics.csv").read_text().splitlines()[1:]]
    assert epochs, "the resumed run wrote no training log"


@pytest.mark.slow
def test_same_seed_gives_identical_metrics_on_cpu(tmp_path):
    a = _run(["run", str(_config(tmp_path, "a"))])
    b = _run(["run", str(_config(tmp_path, "b"))])
    assert a.returncode == 0 and b.returncode == 0, (a.stderr[-2000:], b.stderr[-2000:])
    ma, mb = _metrics(tmp_path / "runs" / "a"), _metrics(tmp_path / "runs" / "b")
    assert ma == mb
    pa = (tmp_path / "runs" / "a" / "seed_0" / "predictions.csv").read_text()
    pb = (tmp_path / "runs" / "b" / "seed_0" / "predictions.csv").read_text()
    assert pa == pb


@pytest.mark.slow
def test_init_seed_offset_changes_the_weights_but_not_the_split(tmp_path):
    """trainer.init_seed_offset (chemprop's pytorch_seed): another initialisation on the same seed's split."""
    a = _run(["run", str(_config(tmp_path, "a"))])
    c = _run(["run", str(_config(tmp_path, "c", init_seed_offset=1))])
    assert a.returncode == 0 and c.returncode == 0, (a.stderr[-2000:], c.stderr[-2000:])
    runs = tmp_path / "runs"
    assert (runs / "a" / "seed_0" / "split.json").read_text() == (runs / "c" / "seed_0" / "split.json").read_text()
    pa = pd.read_csv(runs / "a" / "seed_0" / "predictions.csv")
    pc = pd.read_csv(runs / "c" / "seed_0" / "predictions.csv")
    assert (pa["split"] == pc["split"]).all()
    assert (pa["measured log solubility in mols per litre_pred"]
            != pc["measured log solubility in mols per litre_pred"]).mean() > 0.9


@pytest.mark.slow
def test_two_process_cpu_ddp_trains_and_writes_metrics(tmp_path):
    cfg = _config(tmp_path, "ddp", strategy="ddp", devices=2, max_epochs=2)
    out = _run(["run", str(cfg)])
    assert out.returncode == 0, out.stderr[-3000:]
    run_dir = tmp_path / "runs" / "ddp"
    assert _metrics(run_dir)["test"]["overall"]["rmse"] > 0
    assert json.loads((run_dir / "status.json").read_text())["state"] == "completed"
