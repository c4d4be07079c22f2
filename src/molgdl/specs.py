"""Typed, frozen component specs returned by the registration hooks (conda's pattern).

A spec is plain data: ``name``, a one-line ``summary``, a ``factory`` and a pydantic ``params`` model
(``extra="forbid"``) that validates the component's config block. Factories receive the validated
params object first; what else they receive depends on the kind (see each class docstring).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Params(BaseModel):
    """Base class for component parameter models: unknown keys are rejected, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())


class NoParams(Params):
    """For components without parameters."""


class WrapperParams(Params):
    """Params of an optimizer that wraps another registered optimizer (``molgdl.train.wrapper``):
    ``base: {name: <registered optimizer>, <its params>}``. A subclass lists in ``refused_bases`` the names
    that cannot be wrapped (e.g. its own), with the reason in ``refused_reason``."""

    refused_bases: ClassVar[tuple[str, ...]] = ()
    refused_reason: ClassVar[str] = "it cannot be wrapped"

    base: dict[str, Any] = Field(
        default_factory=lambda: {"name": "adam"},
        description="The base optimizer as a component reference: {name: <registered optimizer>, <its params>}. "
        "Its name and params are checked when the optimizer is built.",
    )

    @field_validator("base")
    @classmethod
    def _base(cls, v: dict[str, Any]) -> dict[str, Any]:
        name = v.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError("base needs a name, e.g. base: {name: adam, lr: 0.001}")
        if name in cls.refused_bases:
            raise ValueError(f"base {name!r}: {cls.refused_reason}")
        return v


@dataclass(frozen=True)
class FeatureDims:
    """Sizes the featurizer produces, handed to model factories.

    atom_dim: width of ``data.x`` (0 for 3D models that only use ``z``);
    bond_dim: width of ``data.edge_attr``; extra_dim: molecule-level descriptor width;
    is_3d: whether ``data.pos`` (Å) is present.
    """

    atom_dim: int
    bond_dim: int
    extra_dim: int = 0
    is_3d: bool = False


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    summary: str
    factory: Callable[..., Any]
    params: type[Params] = NoParams
    kind: ClassVar[str] = "component"

    def build_params(self, values: dict[str, Any] | None = None) -> Params:
        return self.params(**(values or {}))


@dataclass(frozen=True)
class DatasetSpec(ComponentSpec):
    """A data source. ``factory(params) -> molgdl.data.MoleculeTable``."""

    kind: ClassVar[str] = "dataset"


@dataclass(frozen=True)
class FeaturizerSpec(ComponentSpec):
    """``factory(params) -> Featurizer``: picklable, with ``dims: FeatureDims`` and
    ``featurize(record: MoleculeRecord) -> list[torch_geometric.data.Data]`` (one Data per conformer;
    raises ``FeaturizationError`` with the reason for a molecule it cannot handle) and ``version: str``
    (part of the cache key)."""

    kind: ClassVar[str] = "featurizer"


@dataclass(frozen=True)
class DescriptorSpec(ComponentSpec):
    """``factory(params) -> Descriptor`` with ``names: list[str]`` and
    ``compute(record: MoleculeRecord) -> np.ndarray`` of shape ``[len(names)]`` (float, NaN allowed)."""

    kind: ClassVar[str] = "descriptor"


@dataclass(frozen=True)
class SplitterSpec(ComponentSpec):
    """``factory(params) -> Splitter`` with
    ``split(table: MoleculeTable, seed: int) -> dict[str, np.ndarray]`` (keys train/val/test, row indices)."""

    kind: ClassVar[str] = "splitter"


@dataclass(frozen=True)
class ModelSpec(ComponentSpec):
    """A model.

    family ``encoder``: ``factory(params, dims: FeatureDims) -> nn.Module`` with ``out_dim: int`` and
    ``forward(batch) -> Tensor[num_nodes, out_dim]`` (node embeddings fed to a readout).
    family ``classical``: ``factory(params, task: str) -> sklearn estimator`` trained on descriptors.
    symmetry: what the model claims, for ``molgdl.testing`` contracts (e.g. ``{"E3", "permutation"}``).
    """

    family: Literal["encoder", "classical"] = "encoder"
    symmetry: frozenset[str] = field(default_factory=lambda: frozenset({"permutation"}))
    kind: ClassVar[str] = "model"


@dataclass(frozen=True)
class ReadoutSpec(ComponentSpec):
    """``factory(params, in_dim: int) -> nn.Module`` with ``out_dim`` and
    ``forward(h: Tensor[N, in_dim], batch) -> Tensor[B, out_dim]``. A readout may expose
    ``auxiliary_losses: dict[str, Tensor]`` after forward; they are added to the training loss
    and logged (``val/loss``, which selects the checkpoint, is the task loss alone)."""

    kind: ClassVar[str] = "readout"


@dataclass(frozen=True)
class OptimizerSpec(ComponentSpec):
    """``factory(params, parameters: Iterable[nn.Parameter]) -> torch.optim.Optimizer``."""

    kind: ClassVar[str] = "optimizer"


@dataclass(frozen=True)
class SchedulerSpec(ComponentSpec):
    """``factory(params, optimizer, steps_per_epoch: int, max_epochs: int) -> LRScheduler``,
    stepped once per optimizer step."""

    kind: ClassVar[str] = "scheduler"


@dataclass(frozen=True)
class AnalysisSpec(ComponentSpec):
    """``factory(params) -> callable(context: molgdl.run.AnalysisContext) -> dict`` (a JSON-able summary);
    the analysis writes its files under ``context.out_dir``."""

    kind: ClassVar[str] = "analysis"


@dataclass(frozen=True)
class CallbackSpec(ComponentSpec):
    """``factory(params) -> lightning.pytorch.Callback``."""

    kind: ClassVar[str] = "callback"


@dataclass(frozen=True)
class UncertaintySpec(ComponentSpec):
    """An uncertainty estimator. ``factory(params) -> molgdl.uncertainty.plan.EstimatorPlan`` (what training
    and prediction do: head kind, members, snapshots, forward passes)."""

    kind: ClassVar[str] = "uncertainty"


@dataclass(frozen=True)
class CalibratorSpec(ComponentSpec):
    """A calibrator fitted on the validation split. ``factory(params) -> molgdl.uncertainty.calibration``
    ``RegressionCalibrator`` or ``ProbabilityCalibrator`` (JSON-able fitted state)."""

    kind: ClassVar[str] = "calibrator"


@dataclass(frozen=True)
class SolverSpec(ComponentSpec):
    """A physical core: a time stepper that autograd need not see through (a C++ force field, a black-box
    integrator). ``factory(params) -> Solver`` with ``dim: int`` (state width), ``differentiable: bool`` and
    ``step(u: Tensor[B, dim], h: float, correction: Callable[[Tensor], Tensor] | None) -> Tensor[B, dim]``:
    one step of size ``h`` of ``du/dt = F(u) + correction(u)``. A solver with ``rhs(u) -> F(u)`` (torch,
    differentiable) also supports the first-order-Jacobian gradient of ``molgdl-hybrid``."""

    kind: ClassVar[str] = "solver"


@dataclass(frozen=True)
class TaskSpec(ComponentSpec):
    """A kind of run other than property prediction, chosen by ``task: <name>`` at the top of a config.

    ``params``: the pydantic model of the config's other sections (``run`` and ``plugins`` are the core's).
    ``factory(params, context: molgdl.tasks.TaskContext) -> dict``: runs the task, writes its artifacts under
    ``context.run_dir`` and returns the JSON-able summary (metrics under ``"test"``, ``"val"``...), which must
    not hold NaN. ``resume_may_change``: dotted config keys that ``--resume`` may change besides the core's
    (how long to train, threads: e.g. ``"training.max_minutes"``); any other change is refused."""

    resume_may_change: tuple[str, ...] = ()
    kind: ClassVar[str] = "task"


SPEC_KINDS: dict[str, type[ComponentSpec]] = {
    cls.kind: cls
    for cls in (
        DatasetSpec,
        FeaturizerSpec,
        DescriptorSpec,
        SplitterSpec,
        ModelSpec,
        ReadoutSpec,
        OptimizerSpec,
        SchedulerSpec,
        AnalysisSpec,
        CallbackSpec,
        UncertaintySpec,
        CalibratorSpec,
        SolverSpec,
        TaskSpec,
    )
}
