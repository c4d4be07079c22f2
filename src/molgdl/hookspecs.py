"""The hook specifications of molgdl. Arguments may be added later, never removed or renamed.

Registration hooks return an iterable of specs (see ``molgdl.specs``); lifecycle hooks are
notifications named for events and return nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import pluggy

from molgdl.specs import (
    AnalysisSpec,
    CalibratorSpec,
    CallbackSpec,
    DatasetSpec,
    DescriptorSpec,
    FeaturizerSpec,
    ModelSpec,
    OptimizerSpec,
    ReadoutSpec,
    SchedulerSpec,
    SolverSpec,
    SplitterSpec,
    TaskSpec,
    UncertaintySpec,
)

PROJECT = "molgdl"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def molgdl_datasets() -> Iterable[DatasetSpec]:
    """Data sources: bundled datasets and file readers."""


@hookspec
def molgdl_featurizers() -> Iterable[FeaturizerSpec]:
    """Molecule -> graph featurizers."""


@hookspec
def molgdl_descriptors() -> Iterable[DescriptorSpec]:
    """Molecule-level descriptors and fingerprints."""


@hookspec
def molgdl_splitters() -> Iterable[SplitterSpec]:
    """Dataset splitters."""


@hookspec
def molgdl_models() -> Iterable[ModelSpec]:
    """Encoders and classical models."""


@hookspec
def molgdl_readouts() -> Iterable[ReadoutSpec]:
    """Node -> molecule readouts."""


@hookspec
def molgdl_optimizers() -> Iterable[OptimizerSpec]:
    """Optimizers."""


@hookspec
def molgdl_schedulers() -> Iterable[SchedulerSpec]:
    """Learning-rate schedulers."""


@hookspec
def molgdl_analyses() -> Iterable[AnalysisSpec]:
    """Post-training analyses."""


@hookspec
def molgdl_callbacks() -> Iterable[CallbackSpec]:
    """Lightning training callbacks."""


@hookspec
def molgdl_uncertainty_estimators() -> Iterable[UncertaintySpec]:
    """Uncertainty estimators (``uncertainty.estimator`` of a config, docs/uncertainty.md)."""


@hookspec
def molgdl_calibrators() -> Iterable[CalibratorSpec]:
    """Uncertainty calibrators fitted on the validation split (``uncertainty.calibrator``)."""


@hookspec
def molgdl_solvers() -> Iterable[SolverSpec]:
    """Physical cores (time steppers, possibly not differentiable) for hybrid physics + neural models."""


@hookspec
def molgdl_tasks() -> Iterable[TaskSpec]:
    """Kinds of run other than property prediction (``task: <name>`` in a config): dynamics, generation..."""


@hookspec(firstresult=True)
def molgdl_sdf_to_smiles(records: list[str]) -> tuple[list[str], dict[int, str]] | None:
    """SMILES of SDF record texts (each ending with its ``$$$$`` line), hydrogens implicit: ``(smiles,
    {position: reason})`` with ``""`` where a record cannot be read, its chemistry toolkit's messages sent to
    the Python logger ``rdkit``. Streaming ``predict``/``embed`` read SDF input through it (the first plugin
    that answers wins; molgdl-datasets does)."""


@hookspec
def molgdl_run_start(run_dir: Path, config: dict[str, Any]) -> None:
    """Called once a run folder exists and the resolved config is written, before data loading."""


@hookspec
def molgdl_epoch_end(run_dir: Path, epoch: int, metrics: dict[str, float]) -> None:
    """Called after each validation epoch with the logged metrics."""


@hookspec
def molgdl_run_end(run_dir: Path, metrics: dict[str, Any]) -> None:
    """Called after evaluation and analyses, with the final metrics."""


REGISTRATION_HOOKS: dict[str, str] = {
    "dataset": "molgdl_datasets",
    "featurizer": "molgdl_featurizers",
    "descriptor": "molgdl_descriptors",
    "splitter": "molgdl_splitters",
    "model": "molgdl_models",
    "readout": "molgdl_readouts",
    "optimizer": "molgdl_optimizers",
    "scheduler": "molgdl_schedulers",
    "analysis": "molgdl_analyses",
    "callback": "molgdl_callbacks",
    "uncertainty": "molgdl_uncertainty_estimators",
    "calibrator": "molgdl_calibrators",
    "solver": "molgdl_solvers",
    "task": "molgdl_tasks",
}
