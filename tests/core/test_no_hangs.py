"""No hangs: a featurization worker that dies, Ctrl+C during featurization, a stuck conformer.

Each case must end within seconds with a clear message (and, in a run, a correct status.json); the old
``multiprocessing.Pool`` waited forever for a SIGKILLed worker.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import types

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from core_helpers import csv_source, good_rows, read_json, run_dir, tiny_config, write_config, write_csv

from molgdl.data.featurize import featurize_table
from molgdl.data.table import MoleculeRecord, MoleculeTable
from molgdl.errors import DataError
from molgdl.specs import FeatureDims


class _Featurizer:
    """A one-atom graph per molecule; SMILES ``KILL`` SIGKILLs the worker process (what the OOM killer does),
    SMILES ``SLOW`` sleeps for a minute (a stuck molecule)."""

    dims = FeatureDims(atom_dim=1, bond_dim=1, is_3d=False)
    version = "1"

    def __init__(self, params=None) -> None:
        self.parent = os.getpid()

    def featurize(self, record: MoleculeRecord) -> list[Data]:
        if record.smiles == "KILL" and os.getpid() != self.parent:
            os.kill(os.getpid(), signal.SIGKILL)
        if record.smiles == "SLOW":
            marker = os.environ.get("MOLGDL_TEST_SLOW_MARKER")
            if marker:
                open(marker, "a").close()
            time.sleep(60)
        return [Data(x=torch.ones(1, 1), edge_index=torch.zeros(2, 0, dtype=torch.long),
                     edge_attr=torch.zeros(0, 1))]


@pytest.fixture
def interruptible():
    """Python's Ctrl+C handler installed for the test: a shell's background job (`bash .ci/run &`) starts with
    SIGINT ignored, and Python then installs none, so the simulated Ctrl+C would be lost."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _ctrl_c_when_slow(marker) -> threading.Thread:
    """A thread that presses Ctrl+C (SIGINT to this process) once a worker sits on a SLOW molecule."""
    def wait_and_press():
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=wait_and_press, daemon=True)
    thread.start()
    return thread


def _table(smiles: list[str]) -> MoleculeTable:
    records = [MoleculeRecord(id=f"m{i}", smiles=s, row=i + 1) for i, s in enumerate(smiles)]
    return MoleculeTable(records, np.zeros((len(records), 1)), ["y"], "regression", "test")


def test_a_killed_worker_stops_featurization_with_a_message():
    smiles = ["C"] * 40 + ["KILL"] + ["C"] * 40
    t0 = time.monotonic()
    with pytest.raises(DataError) as info:
        featurize_table(_table(smiles), _Featurizer(), ("f", {}, "test"), [], None, num_workers=2, progress=False)
    assert time.monotonic() - t0 < 20
    msg = str(info.value)
    assert msg.startswith("featurizing (f): a worker process died (killed by a signal, e.g. by the out-of-memory "
                          "killer) while featurizing the chunk of 16 molecules from data row 33 (id 'm32')")
    assert "fix: lower data.num_workers" in msg


def test_the_same_featurizer_with_one_process_is_not_affected():
    smiles = ["C"] * 10 + ["KILL"]  # only a worker process kills itself
    gs = featurize_table(_table(smiles), _Featurizer(), ("f", {}, "test"), [], None, num_workers=1, progress=False)
    assert len(gs.dataset) == 11 and not gs.failures


def test_ctrl_c_during_parallel_featurization_stops_the_workers_within_seconds(tmp_path, monkeypatch,
                                                                              interruptible):
    smiles = ["C"] * 16 + ["SLOW"] * 64
    monkeypatch.setenv("MOLGDL_TEST_SLOW_MARKER", str(tmp_path / "slow"))
    before = set(_children())
    t0 = time.monotonic()
    thread = _ctrl_c_when_slow(tmp_path / "slow")
    with pytest.raises(KeyboardInterrupt):
        featurize_table(_table(smiles), _Featurizer(), ("f", {}, "test"), [], None, num_workers=2,
                        progress=False)
    thread.join()
    assert time.monotonic() - t0 < 30
    time.sleep(0.2)
    assert set(_children()) <= before  # no worker is left sleeping


def _children() -> list[int]:
    path = f"/proc/{os.getpid()}/task/{os.getpid()}/children"
    try:
        return [int(p) for p in open(path).read().split()]
    except OSError:
        return []


# ---------------------------------------------------------------- in a run: status.json


def _plugin():
    from molgdl import hookimpl
    from molgdl.specs import FeaturizerSpec

    plug = types.ModuleType("killer_featurizer_plugin")
    plug.molgdl_featurizers = hookimpl(lambda: [FeaturizerSpec("killer", "kills its worker on KILL", _Featurizer)])
    return plug


def test_a_killed_worker_fails_the_run_with_status_failed(tmp_path, monkeypatch):
    from molgdl.config import load_config
    from molgdl.plugins import create_plugin_manager
    from molgdl.run.pipeline import run_pipeline
    from molgdl.run.resolve import resolve

    monkeypatch.chdir(tmp_path)
    rows = good_rows(40) + [("KILL", 1.0)] + good_rows(40)
    cfg = tiny_config(tmp_path, featurizer={"name": "killer"},
                      data={"source": csv_source(write_csv(tmp_path / "d.csv", rows)), "num_workers": 2})
    res = resolve(load_config(write_config(tmp_path / "cfg.yaml", cfg)),
                  pm=create_plugin_manager(extra_plugins=[_plugin()]))
    t0 = time.monotonic()
    with pytest.raises(DataError, match="a worker process died"):
        run_pipeline(res)
    assert time.monotonic() - t0 < 30
    status = read_json(run_dir(cfg) / "status.json")
    assert status["state"] == "failed"
    assert status["error"].startswith("featurizing (killer): a worker process died")


def test_ctrl_c_during_parallel_featurization_in_a_run_marks_it_interrupted(run_cli, tmp_path, monkeypatch,
                                                                            interruptible):
    from molgdl.run import resolve as resolve_module

    real = resolve_module.create_plugin_manager
    monkeypatch.setattr(resolve_module, "create_plugin_manager", lambda **kw: real(extra_plugins=[_plugin()], **kw))
    rows = good_rows(20) + [("SLOW", 1.0)] * 40
    cfg = tiny_config(tmp_path, featurizer={"name": "killer"},
                      data={"source": csv_source(write_csv(tmp_path / "d.csv", rows)), "num_workers": 2})
    monkeypatch.setenv("MOLGDL_TEST_SLOW_MARKER", str(tmp_path / "slow"))
    t0 = time.monotonic()
    thread = _ctrl_c_when_slow(tmp_path / "slow")
    code, out, err = run_cli("run", write_config(tmp_path / "cfg.yaml", cfg))
    thread.join()
    assert time.monotonic() - t0 < 60
    assert code == 130
    assert "interrupted: resume with `molgdl run CONFIG --resume`" in " ".join(err.split())
    assert read_json(run_dir(cfg) / "status.json")["state"] == "interrupted"


def test_predict_shares_the_pool_a_killed_worker_stops_it_with_a_message(run_cli, tmp_path, monkeypatch):
    from molgdl import predict

    cfg = tiny_config(tmp_path)
    code, out, err = run_cli("run", write_config(tmp_path / "cfg.yaml", cfg))
    assert code == 0, err
    (tmp_path / "new.csv").write_text("smiles\n" + "C\n" * 40 + "KILL\n" + "C\n" * 40)
    real = predict.featurize_table

    def with_killer(table, featurizer, ident, descriptors, cache, num_workers, progress):
        return real(table, _Featurizer(), ident, descriptors, None, 2, progress)  # the run's code, two workers

    monkeypatch.setattr(predict, "featurize_table", with_killer)
    t0 = time.monotonic()
    code, out, err = run_cli("predict", "--run", run_dir(cfg), "--input", "new.csv", "--output", "p.csv")
    assert time.monotonic() - t0 < 30
    assert code == 2
    assert "error: featurizing (graph2d): a worker process died (killed by a signal, e.g. by the out-of-memory " \
           "killer) while featurizing the chunk of 16 molecules from data row 33 (id '32')" in " ".join(err.split())
    assert not (tmp_path / "p.csv").exists()
