"""Langevin posterior samples as an uncertainty estimator: weight snapshots along one SGLD/QSGD/QAdam trajectory at
the low-temperature end of its schedule (``molgdl.uncertainty.plan.SnapshotPlan``); predictions are averaged over
the snapshots and their spread is the uncertainty (pydantic only here; the plan is built lazily)."""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from molgdl.specs import Params

SAMPLERS = ("sgld", "qsgd", "qadam", "quantized")


class LangevinPosteriorParams(Params):
    snapshots: int = Field(10, ge=2, description="weight snapshots kept (evenly spaced over the sampling epochs)")
    start_fraction: float = Field(0.5, ge=0.0, lt=1.0,
                                  description="snapshots only after this fraction of trainer.max_epochs (or of "
                                              "each cycle): the low-temperature end of the schedule")
    cycle_epochs: Optional[int] = Field(None, ge=1, description="period of a cyclical schedule in epochs: snapshots "
                                                                "at the end of every cycle (Zhang et al. 2020)")
    head: str = Field("point", pattern="^(point|mve)$",
                      description="point: spread of the snapshots only; mve: each snapshot also predicts a variance")


def langevin_plan(params: LangevinPosteriorParams):
    from molgdl.uncertainty.plan import EstimatorPlan, SnapshotPlan

    return EstimatorPlan(head=params.head, snapshots=SnapshotPlan(params.start_fraction, params.snapshots,
                                                                  params.cycle_epochs),
                         optimizers=SAMPLERS,
                         tasks=("regression",) if params.head == "mve" else ("regression", "classification"))
