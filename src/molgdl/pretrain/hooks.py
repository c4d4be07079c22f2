"""The core's ``pretrain`` task (registered by ``molgdl.builtin``; no torch import here)."""

from __future__ import annotations

from typing import Iterable

from molgdl.hookspecs import hookimpl
from molgdl.pretrain.schema import PretrainConfig
from molgdl.specs import TaskSpec


def _pretrain(params, context):
    from molgdl.pretrain.task import pretrain_task

    return pretrain_task(params, context)


@hookimpl
def molgdl_tasks() -> Iterable[TaskSpec]:
    return [TaskSpec("pretrain", "pretrain an encoder on a streamed library to predict standardised descriptors "
                     "(molgdl pretrain CONFIG; fine-tune with a `pretrained:` section)", _pretrain, PretrainConfig)]
