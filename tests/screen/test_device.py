"""``molgdl predict --device`` / ``embed --device``: the device a user names is resolved once (a device the machine
lacks is refused before any output exists) and reaches every model that runs: the replicates' forward passes,
the uncertainty estimator's passes and the embedding. A GPU itself is exercised where one is lent
(benchmarks/gpu_predict_check.sh); here torch's "cpu:0" stands in for a named device."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest
import torch

from screen_helpers import library, write_csv
from molgdl.errors import ConfigError
from molgdl.run.device import resolve_device


def test_auto_is_the_cpu_without_a_gpu_and_the_first_gpu_with_one(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == resolve_device("CPU") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("auto") == resolve_device("cuda") == resolve_device("gpu") == "cuda:0"
    assert resolve_device("cuda:1") == "cuda:1"
    with pytest.raises(ConfigError, match="has 2 CUDA GPUs, numbered 0 to 1") as err:
        resolve_device("cuda:2")
    assert "cuda:0 ... cuda:1" in err.value.hint


def test_a_device_the_machine_lacks_or_a_typo_is_refused(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="torch sees no CUDA GPU") as err:
        resolve_device("cuda")
    assert "--device cpu" in err.value.hint
    with pytest.raises(ConfigError, match="'tpu' is not a device; valid: auto, cpu, cuda, cuda:N"):
        resolve_device("tpu")


def test_the_cli_refuses_a_missing_gpu_before_writing(dmpnn_run, run_cli, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    inp = write_csv(tmp_path / "lib.csv", library(5))
    code, _, err = run_cli("predict", "--run", dmpnn_run, "--input", inp, "--output", tmp_path / "o.csv",
                           "--device", "cuda:0")
    assert code != 0 and "torch sees no CUDA GPU" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [inp]


@pytest.fixture()
def seen_devices(monkeypatch) -> list[tuple[str, str]]:
    """(where, device) of every model call of molgdl's predict path; the user's device resolves to "cpu:0"."""
    import molgdl.predict as predict
    import molgdl.run.device as device
    import molgdl.run.evaluate as evaluate
    import molgdl.uncertainty.stage as stage

    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(device, "resolve_device", lambda name: "cpu:0" if name == "mine" else "cpu")

    def spy(module, name):
        real = getattr(module, name)

        def wrapped(*args, **kwargs):
            given = inspect.signature(real).bind(*args, **kwargs).arguments
            seen.append((name, str(given.get("device", "not given"))))
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, wrapped)

    spy(predict, "predict_graphs")
    spy(stage, "pass_moments")
    spy(evaluate, "embed_graphs")
    return seen


def test_the_named_device_reaches_every_model(dmpnn_run, run_cli, tmp_path, seen_devices):
    smiles = library(30, invalid={3: "C1CC"})
    inp = write_csv(tmp_path / "lib.csv", smiles)
    code, _, err = run_cli("predict", "--run", dmpnn_run, "--input", inp, "--output", tmp_path / "o.csv",
                           "--chunk-size", 16, "--device", "mine")
    assert code == 0, err
    # two chunks x two replicates: the point predictions and the mean-variance passes
    assert sorted(set(seen_devices)) == [("pass_moments", "cpu:0"), ("predict_graphs", "cpu:0")]
    assert len(seen_devices) == 8
    default = pd.read_csv(tmp_path / "o.csv")
    seen_devices.clear()
    code, _, err = run_cli("embed", "--run", dmpnn_run, "--input", inp, "--output", tmp_path / "e.csv",
                           "--device", "mine")
    assert code == 0, err
    assert seen_devices == [("embed_graphs", "cpu:0")]
    seen_devices.clear()
    code, _, err = run_cli("predict", "--run", dmpnn_run, "--input", inp, "--output", tmp_path / "c.csv",
                           "--chunk-size", 16)
    assert code == 0, err
    assert {d for _, d in seen_devices} == {"cpu"}  # auto, on this machine
    assert pd.read_csv(tmp_path / "c.csv").equals(default)  # the same numbers: "cpu:0" is the CPU
