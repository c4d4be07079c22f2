"""Hook implementations of molgdl-fewshot (no torch import: the task imports lazily)."""

from __future__ import annotations

from molgdl import hookimpl
from molgdl.specs import TaskSpec

from .params import FewShotConfig


def _fewshot(params, context):
    from .protocol import fewshot_task

    return fewshot_task(params, context)


@hookimpl
def molgdl_tasks() -> list[TaskSpec]:
    return [TaskSpec("fewshot", "few-shot protocol: supports of k train molecules, the test split as query; "
                     "protonet / knn over a pretrained embedding, fine-tuned and from-scratch encoders, "
                     "SVM and RF on fingerprints", _fewshot, FewShotConfig)]
