"""Resolve and run a config with ``task: <name>``: the shared run-folder discipline around a task's factory."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml
from pydantic import BaseModel, ValidationError

from molgdl.config.schema import RunSection
from molgdl.errors import ConfigError, TrainingError
from molgdl.lifecycle import call_lifecycle
from molgdl.plugins import MolgdlPluginManager, create_plugin_manager, failed_plugins
from molgdl.registry import Registry
from molgdl.specs import TaskSpec
from molgdl.tasks.context import TaskContext

log = logging.getLogger("molgdl")

PROPERTY_TASK = "property"  # the default: the molecular property pipeline (molgdl.run.pipeline)
CORE_SECTIONS = ("task", "run", "plugins")


def task_name(raw: dict[str, Any], where: str = "") -> str:
    """The config's ``task`` (``"property"`` when absent)."""
    name = raw.get("task", PROPERTY_TASK)
    if not isinstance(name, str) or not name:
        raise ConfigError(f"invalid config {where}: task must be a registered task name, got {name!r}".replace("  ", " "),
                          hint="leave task out for property prediction, or run `molgdl components --kind task`")
    return name


@dataclass(frozen=True)
class ResolvedTask:
    """A task config checked against the installed plugins: nothing heavy built yet."""

    spec: TaskSpec
    params: BaseModel
    run: RunSection
    plugins: dict[str, list[str]]
    pm: MolgdlPluginManager
    registry: Registry
    warnings: tuple[str, ...]

    def resolved_config(self) -> dict[str, Any]:
        """The config with every default filled in (what ``config.yaml`` records)."""
        return {"task": self.spec.name, "run": self.run.model_dump(mode="json"), "plugins": self.plugins,
                **self.params.model_dump(mode="json")}


def _validate(model: type[BaseModel], value: Any, prefix: str, where: str) -> Any:
    from molgdl.config.load import format_validation_error

    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, model, prefix=prefix, where=where),
                          hint="`molgdl components --kind task NAME` lists the task's keys") from None


def resolve_task(raw: dict[str, Any], *, where: str = "", strict: bool = False,
                 disabled: Iterable[str] = ()) -> ResolvedTask:
    """Check ``run``, ``plugins`` and the task's own sections (key paths, choices, did-you-mean in errors)."""
    name = task_name(raw, where)
    run = _validate(RunSection, raw.get("run") or {}, "run", where)
    plugins = raw.get("plugins") or {}
    if not isinstance(plugins, dict) or set(plugins) - {"disable"}:
        raise ConfigError(f"invalid config {where}: plugins may only hold 'disable: [entry-point names]'",
                          hint="e.g. plugins: {disable: [molgdl-diffpool]}")
    pm = create_plugin_manager(strict=strict, disabled=[*disabled, *plugins.get("disable", [])])
    registry = Registry(pm)
    warnings = tuple(f"plugin {i.name} ({i.distribution} {i.version}) failed to load: {i.error}"
                     for i in failed_plugins(pm))
    try:
        spec = registry.get("task", name, where="task")
    except ConfigError as exc:
        notes = "".join(f"\n  note: {w}" for w in warnings)
        raise ConfigError(f"{exc.args[0]}{notes}", hint=exc.hint) from None
    rest = {k: v for k, v in raw.items() if k not in CORE_SECTIONS}
    params = _validate(spec.params, rest, "", where)
    return ResolvedTask(spec, params, run, dict(plugins), pm, registry, warnings)


@dataclass(frozen=True)
class TaskRun:
    run_dir: Path
    summary: dict[str, Any]


def non_finite_paths(node: Any, prefix: str = "") -> list[str]:
    """Key paths of NaN/inf floats in a summary (a run with any is not "completed")."""
    if isinstance(node, float):
        return [] if math.isfinite(node) else [prefix or "(value)"]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in non_finite_paths(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(node, (list, tuple)):
        return [p for i, v in enumerate(node) for p in non_finite_paths(v, f"{prefix}[{i}]")]
    return []


def run_task(task: ResolvedTask, *, overwrite: bool = False, resume: bool = False) -> TaskRun:
    """Open the run folder, record config and versions, call the task's factory, write ``summary.json``."""
    from molgdl.data.cache import package_versions
    from molgdl.run.folder import RunFolder, write_json
    from molgdl.run.identity import check_config, record_config
    from molgdl.run.json_values import finite_json

    folder = RunFolder.open(task.run.output_dir / task.run.name, overwrite=overwrite, resume=resume)
    previous_status = folder.status()
    handler = folder.attach_log()
    config = task.resolved_config()
    try:
        if resume:
            check_config(folder.path, config, task.spec.resume_may_change)
        (folder.path / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        record_config(folder.path, config)
        plugins = [{"name": i.name, "distribution": i.distribution, "version": i.version, "status": i.status}
                   for i in task.pm.infos]
        write_json(folder.path / "versions.json", {"packages": package_versions(("pytorch_lightning", "e3nn", "pluggy")),
                                                   "plugins": plugins, "seeds": task.run.seeds,
                                                   "task": task.spec.name,
                                                   "task_provider": task.registry.provider("task", task.spec.name)})
        folder.set_status("running", seeds=task.run.seeds, task=task.spec.name)
        for w in task.warnings:
            log.warning(w)
        call_lifecycle(task.pm, "molgdl_run_start", run_dir=folder.path, config=config)
        context = TaskContext(folder.path, tuple(task.run.seeds), resume, task.registry)
        summary = task.spec.factory(task.params, context)
        if not isinstance(summary, dict):
            raise TrainingError(f"task {task.spec.name!r} returned {type(summary).__name__}, not a summary dict",
                                hint=f"a bug in the plugin {task.registry.provider('task', task.spec.name)}")
        bad = non_finite_paths(summary)
        write_json(folder.path / "summary.json", finite_json(summary))
        if bad:
            raise TrainingError(f"task {task.spec.name!r} finished with non-finite results at {', '.join(bad[:6])}"
                                f"{' ...' if len(bad) > 6 else ''} (written as null in {folder.path / 'summary.json'})",
                                hint="lower the learning rate or the time step, or check the data for NaN; "
                                     "the run folder keeps what was written")
        call_lifecycle(task.pm, "molgdl_run_end", run_dir=folder.path, metrics=summary)
        folder.set_status("completed")
        return TaskRun(folder.path, summary)
    except BaseException as exc:
        folder.record_failure(exc, handler, previous_status)
        raise
    finally:
        logging.getLogger("molgdl").removeHandler(handler)
        handler.close()
        folder.release()
