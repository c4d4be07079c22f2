"""The ``dynamics`` task of molgdl-hybrid end to end: config file, artifacts, resume, errors, npz data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import molgdl
from molgdl.errors import ConfigError, DataError, TrainingError

CONFIG = Path(__file__).resolve().parents[3] / "configs" / "hybrid_lorenz.yaml"

SMALL = {"data": {"duration": 6.0}, "training": {"epochs": 2, "max_windows": 64},
         "evaluation": {"horizons": [1, 20], "max_windows": 10}}


def lorenz(tmp_path, **sections) -> dict:
    config = {"task": "dynamics", "run": {"name": "l", "output_dir": str(tmp_path)}, **SMALL}
    for key, value in sections.items():
        config[key] = {**config.get(key, {}), **value}
    return config


def test_the_shipped_config_runs_end_to_end(tmp_path, capsys):
    from molgdl.cli import main

    assert main(["run", str(CONFIG), "--set", f"run.output_dir={tmp_path}"]) == 0
    seed = tmp_path / "hybrid_lorenz" / "seed_0"
    for name in ("metrics.json", "history.json", "history_offline.json", "correction.pt", "correction_offline.pt",
                 "rollout.png"):
        assert (seed / name).is_file(), name
    metrics = json.loads((seed / "metrics.json").read_text())["test"]
    summary = json.loads((tmp_path / "hybrid_lorenz" / "summary.json").read_text())
    assert summary["test"] == metrics and summary["mode"] == "static"
    # the trained corrections learn part of the missing -beta*u3 term: better one-step forecasts than the core
    assert metrics["hybrid"]["rmse_at_1"] < 0.5 * metrics["core"]["rmse_at_1"]
    assert metrics["offline"]["rmse_at_1"] < 0.5 * metrics["core"]["rmse_at_1"]
    history = json.loads((seed / "history.json").read_text())["loss"]
    assert len(history) == 10 and history[-1] < history[0]


def test_the_saved_correction_reproduces_the_reported_error(tmp_path):
    from molgdl_hybrid.corrections import CorrectionInputs, correction_spec
    from molgdl_hybrid.data import load_trajectories, windows
    from molgdl_hybrid.evaluation import free_rollout, rmse_by_step
    from molgdl_hybrid.params import Lorenz63Params
    from molgdl_hybrid.solvers.build import build_lorenz63
    from molgdl_hybrid.task_params import DataParams

    config = lorenz(tmp_path, evaluation={"horizons": [5], "max_windows": 1000})
    run = molgdl.run(config)
    saved = torch.load(run.path / "seed_0" / "correction.pt")
    data = load_trajectories(DataParams(**config["data"]))
    solver = build_lorenz63(Lorenz63Params())
    spec = correction_spec(saved["correction"]["name"])
    net = spec.factory(spec.params(), CorrectionInputs(solver, data.dt, np.concatenate(data.train)))
    net.load_state_dict(saved["state_dict"])
    truth = torch.as_tensor(windows(data.test, 6), dtype=torch.float32).transpose(0, 1)
    err = rmse_by_step(free_rollout(solver, truth[0], data.dt, 5, net), truth)[5]
    reported = json.loads((run.path / "seed_0" / "metrics.json").read_text())["test"]["hybrid"]["rmse_at_5"]
    assert err == pytest.approx(reported, rel=1e-6)


def test_resume_skips_a_finished_seed(tmp_path):
    config = lorenz(tmp_path, training={"offline": False})
    config["run"]["seeds"] = [0, 1]
    first = molgdl.run(config)
    metrics = first.path / "seed_1" / "metrics.json"
    stamp = metrics.stat().st_mtime_ns
    (first.path / "seed_0" / "metrics.json").unlink()  # as if the run had stopped during seed 0
    again = molgdl.run(config, resume=True)
    assert metrics.stat().st_mtime_ns == stamp
    assert (again.path / "seed_0" / "metrics.json").is_file()
    assert "seed 1: metrics.json exists, skipped" in (again.path / "run.log").read_text()


@pytest.mark.parametrize("section, value, message", [
    ("training", {"epoch": 3}, r"training\.epoch.*did you mean 'epochs'"),
    ("training", {"mode": "statc"}, r"training\.mode: unknown gradient mode .statc. \(did you mean .static.\?\)"),
    ("correction", {"name": "mpl"}, r"unknown correction 'mpl' \(did you mean 'mlp'\?\)"),
    ("correction", {"name": "mlp", "hiden": [4]}, r"correction: hiden: unknown key \(did you mean 'hidden'\?\)"),
    ("solver", {"name": "lorenz36"}, r"unknown solver 'lorenz36' \(did you mean 'lorenz63'\?\)"),
])
def test_bad_config_keys_say_what_and_suggest(tmp_path, section, value, message):
    config = lorenz(tmp_path)
    config[section] = value
    with pytest.raises(ConfigError, match=message):
        molgdl.run(config)


def test_exact_mode_with_a_black_box_solver_is_refused_before_training(tmp_path):
    config = {**lorenz(tmp_path, training={"mode": "exact"}), "solver": {"name": "lorenz63_scipy"}}
    with pytest.raises(ConfigError, match="'exact' needs a differentiable solver"):
        molgdl.run(config)
    assert not (tmp_path / "l" / "seed_0" / "history.json").exists()


def test_nan_loss_stops_with_a_message_and_keeps_the_files(tmp_path):
    config = lorenz(tmp_path, training={"lr": 1e8, "epochs": 3, "offline": False})
    with pytest.raises(TrainingError, match=r"online training: the loss is (nan|inf)") as info:
        molgdl.run(config)
    assert "training.lr" in str(info.value)
    history = tmp_path / "l" / "seed_0" / "history.json"
    assert history.is_file() and json.loads(history.read_text())["kind"] == "online"
    assert json.loads((tmp_path / "l" / "status.json").read_text())["state"] == "failed"


def test_npz_trajectories_and_a_constant_closure_recover_the_missing_forcing(tmp_path):
    """Truth: Euler steps of du/dt = A u + c; core: A u (linear solver, Euler); correction: a learned constant.
    Both the online (first-order EGA, exact here) and the offline fit must find c."""
    a = np.array([[-0.5, 1.0], [-1.0, -0.5]])
    c = np.array([0.7, -0.4])
    dt, states = 0.05, [np.array([[2.0, -1.0]]), np.array([[-1.5, 0.5]])]
    for _ in range(199):
        states = [np.vstack([s, s[-1] + dt * (a @ s[-1] + c)]) for s in states]
    path = tmp_path / "linear.npz"
    np.savez(path, states=np.stack(states), dt=dt)
    config = {"task": "dynamics", "run": {"name": "lin", "output_dir": str(tmp_path)},
              "solver": {"name": "linear", "matrix": a.tolist(), "integrator": "euler"},
              "data": {"source": "npz", "path": str(path)}, "correction": {"name": "constant"},
              "training": {"mode": "first_order", "rollout": 5, "epochs": 60, "lr": 0.05, "dtype": "float64"},
              "evaluation": {"horizons": [1, 10], "max_windows": 20}}
    run = molgdl.run(config)
    for name in ("correction.pt", "correction_offline.pt"):
        theta = torch.load(run.path / "seed_0" / name)["state_dict"]["theta"].numpy()
        assert np.allclose(theta, c, atol=1e-3), (name, theta)
    test = json.loads((run.path / "summary.json").read_text())["test"]
    assert test["hybrid"]["rmse_at_10"] < 1e-2 < test["core"]["rmse_at_10"]


def test_npz_without_the_named_array_is_a_data_error(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, x=np.zeros((10, 3)), dt=0.1)
    config = {**lorenz(tmp_path), "data": {"source": "npz", "path": str(path)}}
    with pytest.raises(DataError, match=r"no array 'states' \(arrays: x, dt\)"):
        molgdl.run(config)


def test_the_config_knows_every_gradient_mode():
    from molgdl_hybrid.gradients import MODES
    from molgdl_hybrid.task_params import MODE_NAMES

    assert MODE_NAMES == MODES
