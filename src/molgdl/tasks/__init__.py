"""Runs of a registered task (``task: <name>`` at the top of a config): dynamics, generation, pretraining...

The core owns what every run shares: the ``run`` section (name, folder, seeds), the run folder rules
(no silent overwrite, ``--resume``, lock, status), ``config.yaml`` with every default filled in,
``versions.json``, the run log, lifecycle hooks and the refusal to call a run "completed" with NaN results.
The task's factory (``molgdl.specs.TaskSpec``) does the science inside ``context.run_dir``.
"""

from __future__ import annotations

from molgdl.tasks.context import TaskContext
from molgdl.tasks.pipeline import PROPERTY_TASK, TaskRun, resolve_task, run_task, task_name

__all__ = ["PROPERTY_TASK", "TaskContext", "TaskRun", "resolve_task", "run_task", "task_name"]
