"""The config schema. Core keys are strict (unknown keys rejected); component blocks hold a registered
``name`` plus that component's parameters, validated against the component's own params model."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from molgdl.ensemble.schema import EnsembleSection
from molgdl.tune.schema import TuneSection
from molgdl.uncertainty.schema import UncertaintySection


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())


class ComponentRef(BaseModel):
    """``{name: <registered name>, <param>: <value>, ...}``: the params are checked later against the
    component's params model (they are unknown until plugins are loaded)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(description="registered component name (see `molgdl components`)")

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def expand_home(v: Any) -> Any:
    """``~`` and ``~user`` in a path key, expanded once, here (the resolved config records the result)."""
    return Path(v).expanduser() if isinstance(v, (str, Path)) else v


class RunSection(Strict):
    name: str = Field("run", description="run folder name under output_dir")
    output_dir: Path = Field(Path("runs"), description="parent folder of run folders")
    seeds: list[int] = Field([0], min_length=1, description="one replicate per seed; >1 gives mean +/- std")

    _home = field_validator("output_dir", mode="before")(expand_home)

    @field_validator("name")
    @classmethod
    def _single_component(cls, v: str) -> str:
        """The run folder is ``output_dir/<name>``: a folder of its own, never a path out of output_dir."""
        name = v.strip()
        if name in ("", "."):
            what = "run.output_dir itself"
        elif name == "..":
            what = "the folder above run.output_dir"
        elif Path(v).is_absolute() or v.startswith("/"):
            what = "an absolute path outside run.output_dir"
        elif v.startswith("~"):
            what = "a path in a home folder"
        elif ".." in v.replace("\\", "/").split("/"):
            what = "a path outside run.output_dir"
        elif any(c in v for c in ("/", "\\", "\0")):
            what = "a path through several folders"
        else:
            return v
        raise ValueError(f"run.name must be one folder name inside run.output_dir, but {v!r} would be "
                         f"{what}; use a plain name such as 'esol_dmpnn' and put parent folders in "
                         "run.output_dir")

    @field_validator("seeds")
    @classmethod
    def _distinct(cls, v: list[int]) -> list[int]:
        repeated = sorted({s for s in v if v.count(s) > 1})
        if repeated:
            raise ValueError(f"seed(s) {repeated} listed more than once: each seed trains one replicate in "
                             f"its own folder seed_<s>; list each seed once, e.g. {list(dict.fromkeys(v))}")
        return v


class DataSection(Strict):
    source: ComponentRef = Field(description="data source: a bundled dataset or a file reader (csv/sdf/xyz)")
    max_invalid_fraction: float = Field(0.05, ge=0.0, le=1.0, description="fail when more rows are invalid")
    cache_dir: Path | None = Field(None, description="featurization cache; default ~/.cache/molgdl")

    _home = field_validator("cache_dir", mode="before")(expand_home)
    num_workers: int | Literal["auto"] = Field("auto", description="featurization processes")
    progress: bool = True
    storage: Literal["memory", "disk", "auto"] = Field(
        "auto", description="where featurized graphs live while training: memory, or disk (streamed into shards "
        "under cache_dir and read one graph at a time: for sets larger than memory, docs/screening.md); auto: "
        "disk from disk_above molecules on")
    disk_above: int = Field(500_000, ge=1, description="with storage: auto, the number of molecules from which "
                            "featurized graphs are kept on disk")


class HeadSection(Strict):
    hidden_dim: int = Field(300, ge=1)
    num_layers: int = Field(2, ge=1, description="linear layers in the MLP head (1 = linear)")
    dropout: float = Field(0.0, ge=0.0, lt=1.0)
    kind: Literal["mlp", "cosine"] = Field("mlp", description="'cosine': the last layer scores the (normalised) "
                                           "input against normalised weight rows times a learned scale "
                                           "(cosine-similarity head of two-stage few-shot fine-tuning)")


class PretrainedSection(Strict):
    """Start the encoder (and readout) from a `molgdl pretrain` run (docs/fewshot.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True)

    source: Path = Field(alias="from", description="run folder of `molgdl pretrain` (holds pretrained/), or "
                         "molgdl:NAME for an encoder shipped with molgdl (molgdl:moses_1m)")
    freeze: Literal["none", "all"] | int = Field("none", description="'all': encoder and readout fixed; 'none': all "
                                                 "trained; k: the encoder's first k parameterised submodules fixed")
    lr_multiplier: float = Field(1.0, gt=0, description="learning rate of the pretrained (unfrozen) weights / "
                                 "the optimizer's lr (discriminative learning rates via parameter groups)")

    _home = field_validator("source", mode="before")(expand_home)

    @field_validator("freeze")
    @classmethod
    def _k(cls, v: Any) -> Any:
        if isinstance(v, int) and v < 0:
            raise ValueError(f"freeze: {v} is negative; use 'none', 'all' or a count k >= 0")
        return v


class EarlyStopping(Strict):
    patience: int = Field(20, ge=1, description="epochs without val improvement before stopping")
    monitor: str = "val/loss"


class TrainerSection(Strict):
    max_epochs: int = Field(50, ge=1)
    init_seed_offset: int = Field(0, ge=0, description="added to the replicate's seed for weight initialisation, "
                                  "batch order and a classical model's random_state; the split keeps the seed "
                                  "(chemprop's pytorch_seed). Ensemble members that differ only by it are "
                                  "independent replicates of one model on the same split")
    max_time_minutes: float | None = Field(None, gt=0, description="stop training after this wall time "
                                           "(equal-time comparisons); the best checkpoint so far is used")
    batch_size: int = Field(50, ge=1)
    accelerator: str = Field("auto", description="cpu, gpu, auto")
    devices: int | str = Field("auto", description="number of devices or 'auto'")
    strategy: str = Field("auto", description="Lightning strategy: auto, ddp, ddp_spawn, ...")
    num_nodes: int = Field(1, ge=1)
    precision: str = Field("32-true", description="Lightning precision, e.g. 32-true, bf16-mixed, 16-mixed")
    early_stopping: EarlyStopping | None = EarlyStopping()
    gradient_clip_val: float | None = None
    deterministic: bool = True
    loader_workers: int = Field(0, ge=0, description="DataLoader worker processes")
    num_threads: int | None = Field(None, ge=1, description="torch intra-op CPU threads (None: torch's default)")
    progress_bar: bool = True


class LossSection(Strict):
    """The training loss. Energy + force training (NequIP / SchNetPack style): forces are predicted as
    ``-dE/dpos`` of the model's energy and weighted against the energy error, both in standardised units."""

    energy_weight: float = Field(1.0, ge=0.0, description="weight of the (standardised) target MSE")
    force_weight: float = Field(0.0, ge=0.0, description="weight of the force MSE; > 0 trains forces = -dE/dpos "
                                "(needs a 3D featurizer, one energy target and a data source with forces)")


class ScalingSection(Strict):
    """How regression targets (always undone for predictions and metrics) and descriptors are scaled."""

    descriptors: Literal["standard", "cdf"] = Field(
        "standard",
        description="molecule descriptors before the head: 'standard' (z-score with training mean/std, clipped "
                    "to +/-6) or 'cdf' (each column through its training-set empirical CDF to [0, 1], like "
                    "descriptastorus' rdkit_2d_normalized); both fitted on the training split, stored in model.pt",
    )

    element_shift: list[str] = Field(
        default_factory=list,
        description="targets fitted first as a sum of per-element values (least squares on the training "
                    "molecules; SchNetPack atomrefs / NequIP per_species_shift): the model learns the residual. "
                    "For extensive targets such as energies, e.g. [U0_atom]",
    )


class RunConfig(Strict):
    """A whole ``molgdl run`` config. Only ``data`` and ``model`` are required."""

    run: RunSection = RunSection()
    data: DataSection
    featurizer: ComponentRef = ComponentRef(name="graph2d")
    descriptors: list[ComponentRef] = Field(default_factory=list, description="molecule-level features")
    split: ComponentRef = ComponentRef(name="random")
    model: ComponentRef
    readout: ComponentRef = ComponentRef(name="mean")
    head: HeadSection = HeadSection()
    optimizer: ComponentRef = ComponentRef(name="adam", lr=1e-3)
    scheduler: ComponentRef | None = None
    trainer: TrainerSection = TrainerSection()
    loss: LossSection = LossSection()
    scaling: ScalingSection = ScalingSection()
    callbacks: list[ComponentRef] = Field(default_factory=list)
    analyses: list[ComponentRef] = Field(default_factory=list)
    plugins: dict[str, list[str]] = Field(default_factory=dict, description="{'disable': [entry-point names]}")
    tune: TuneSection | None = Field(None, description="search space of `molgdl tune` (ignored by `molgdl run`)")
    ensemble: EnsembleSection | None = Field(None, description="members (partial configs) combined by stacking "
                                             "weights fitted by inner CV (docs/ensembles.md)")
    uncertainty: UncertaintySection | None = Field(None, description="uncertainty estimator and calibration "
                                                   "(docs/uncertainty.md)")
    pretrained: PretrainedSection | None = Field(None, description="fine-tune from a pretrained encoder "
                                                 "(`molgdl pretrain`, docs/fewshot.md)")

    @field_validator("plugins")
    @classmethod
    def _plugins_keys(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        bad = set(v) - {"disable"}
        if bad:
            raise ValueError(f"unknown key(s) {sorted(bad)}; allowed: ['disable']")
        return v

    def component_refs(self) -> list[tuple[str, str, ComponentRef]]:
        """(kind, key path, ref) for every component named in the config."""
        refs: list[tuple[str, str, ComponentRef]] = [
            ("dataset", "data.source", self.data.source),
            ("featurizer", "featurizer", self.featurizer),
            ("splitter", "split", self.split),
            ("model", "model", self.model),
            ("readout", "readout", self.readout),
            ("optimizer", "optimizer", self.optimizer),
        ]
        if self.scheduler is not None:
            refs.append(("scheduler", "scheduler", self.scheduler))
        refs += [("descriptor", f"descriptors[{i}]", r) for i, r in enumerate(self.descriptors)]
        refs += [("callback", f"callbacks[{i}]", r) for i, r in enumerate(self.callbacks)]
        refs += [("analysis", f"analyses[{i}]", r) for i, r in enumerate(self.analyses)]
        if self.uncertainty is not None:
            refs += [("uncertainty", "uncertainty.estimator", self.uncertainty.estimator),
                     ("calibrator", "uncertainty.calibrator", self.uncertainty.calibrator)]
        return refs
