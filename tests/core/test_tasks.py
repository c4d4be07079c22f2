"""``task: <name>`` configs: a registered task runs inside the core's run-folder discipline (molgdl.tasks)."""

from __future__ import annotations

import json
import math

import pytest
import yaml
from pydantic import Field

import molgdl
from molgdl.errors import ConfigError, ResumeMismatchError, TrainingError
from molgdl.hookspecs import hookimpl
from molgdl.plugins import register_session_plugin, unregister_session_plugin
from molgdl.specs import Params, TaskSpec


class CountParams(Params):
    steps: int = Field(3, ge=1)
    value: float = 1.0


def count_task(params: CountParams, context) -> dict:
    """Writes one file per seed; the summary is a closed form of the params."""
    for seed in context.seeds:
        (context.seed_dir(seed) / "trace.txt").write_text("\n".join(str(i) for i in range(params.steps)))
    return {"test": {"sum": params.value * params.steps}, "seeds": list(context.seeds)}


class TaskPlugin:
    @hookimpl
    def molgdl_tasks(self):
        return [TaskSpec("count", "writes a trace per seed", count_task, CountParams)]


@pytest.fixture()
def plugin():
    register_session_plugin(TaskPlugin(), "count-task")
    yield
    unregister_session_plugin("count-task")


def test_task_run_writes_config_summary_and_status(plugin, tmp_path):
    run = molgdl.run({"task": "count", "steps": 4, "value": 0.5,
                      "run": {"name": "c", "output_dir": str(tmp_path), "seeds": [0, 2]}})
    assert run.status == "completed"
    assert json.loads((run.path / "summary.json").read_text())["test"] == {"sum": 2.0}
    config = yaml.safe_load((run.path / "config.yaml").read_text())
    assert config["task"] == "count" and config["steps"] == 4 and config["run"]["seeds"] == [0, 2]
    assert (run.path / "seed_2" / "trace.txt").read_text().splitlines() == ["0", "1", "2", "3"]
    assert json.loads((run.path / "versions.json").read_text())["task"] == "count"


def test_unknown_key_names_the_path_and_a_suggestion(plugin, tmp_path):
    with pytest.raises(ConfigError, match=r"step.*did you mean 'steps'"):
        molgdl.run({"task": "count", "step": 4, "run": {"output_dir": str(tmp_path)}})
    assert not (tmp_path / "run").exists()


def test_unknown_task_lists_the_installed_ones(plugin, tmp_path):
    with pytest.raises(ConfigError, match=r"unknown task 'cont' \(did you mean 'count'\?\)"):
        molgdl.run({"task": "cont", "run": {"output_dir": str(tmp_path)}})


def test_task_property_is_the_default_pipeline(tmp_path):
    with pytest.raises(ConfigError, match="data: required key is missing"):
        molgdl.run({"task": "property", "model": {"name": "dmpnn"}, "run": {"output_dir": str(tmp_path)}})


def test_nan_results_are_never_completed(tmp_path):
    class NanPlugin:
        @hookimpl
        def molgdl_tasks(self):
            return [TaskSpec("nan", "returns NaN", lambda params, context: {"test": {"rmse": math.nan}})]

    register_session_plugin(NanPlugin(), "nan-task")
    try:
        with pytest.raises(TrainingError, match=r"non-finite results at test\.rmse"):
            molgdl.run({"task": "nan", "run": {"output_dir": str(tmp_path)}})
    finally:
        unregister_session_plugin("nan-task")
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    assert status["state"] == "failed"
    assert json.loads((tmp_path / "run" / "summary.json").read_text()) == {"test": {"rmse": None}}


def test_resume_refuses_a_changed_config(plugin, tmp_path):
    base = {"task": "count", "steps": 2, "run": {"name": "r", "output_dir": str(tmp_path)}}
    molgdl.run(base)
    with pytest.raises(ResumeMismatchError, match="steps: 2 -> 5"):
        molgdl.run({**base, "steps": 5}, resume=True)
    assert json.loads((tmp_path / "r" / "status.json").read_text())["state"] == "completed"
    assert molgdl.run(base, resume=True).status == "completed"


def test_cli_validate_and_run(plugin, tmp_path, capsys):
    from molgdl.cli import main

    path = tmp_path / "count.yaml"
    path.write_text(yaml.safe_dump({"task": "count", "run": {"name": "cli", "output_dir": str(tmp_path)}}))
    assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()  # the console may write to stderr; rich wraps long lines
    assert "is valid (task 'count')" in " ".join((captured.out + captured.err).split())
    assert main(["run", str(path)]) == 0
    captured = capsys.readouterr()
    assert "sum" in captured.out + captured.err and (tmp_path / "cli" / "seed_0" / "trace.txt").is_file()
