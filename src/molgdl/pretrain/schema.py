"""Config sections of ``task: pretrain`` (the ``run`` and ``plugins`` sections are the core's)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from molgdl.config.schema import ComponentRef, HeadSection, Strict, expand_home
from molgdl.specs import Params


class PretrainData(Strict):
    """A molecule library read in chunks: the first ``val_molecules`` rows are held out (validation and the
    descriptor standardisation), the next ``max_molecules`` rows are streamed for training."""

    path: Path = Field(description="CSV or CSV.gz with a SMILES column (e.g. MOSES train.csv.gz)")
    smiles_column: str = Field("SMILES", description="name of the SMILES column")
    val_molecules: int = Field(1000, ge=10, description="first rows: validation set and descriptor mean/std")
    max_molecules: int | None = Field(None, ge=1, description="training rows after them (None: the rest of "
                                      "the file)")
    chunk_size: int = Field(2000, ge=1, description="rows read from disk at a time")

    _home = field_validator("path", mode="before")(expand_home)


class PretrainTrainer(Strict):
    max_epochs: int = Field(1, ge=1, description="passes over the streamed rows")
    max_time_minutes: float | None = Field(None, gt=0, description="stop after this wall time")
    batch_size: int = Field(64, ge=1)
    checkpoint_every_n_steps: int = Field(200, ge=1, description="checkpoints/last.ckpt every N optimizer steps "
                                          "(what --resume continues from)")
    num_threads: int | None = Field(None, ge=1, description="torch intra-op CPU threads")
    loader_workers: int = Field(0, ge=0, description="processes featurizing the stream (rows split by chunk)")
    accelerator: str = Field("auto", description="cpu, gpu, auto")
    progress_bar: bool = False
    seed: int = Field(0, description="weights and the order of nothing else: the stream is read in file order")


class PretrainConfig(Params):
    """``task: pretrain``: encoder + readout + head trained to predict standardised descriptors."""

    data: PretrainData
    featurizer: ComponentRef = ComponentRef(name="graph2d")
    targets: list[ComponentRef] = Field(default_factory=lambda: [ComponentRef(name="rdkit2d")], min_length=1,
                                        description="registered descriptors whose concatenated vector is predicted")
    model: ComponentRef
    readout: ComponentRef = ComponentRef(name="mean")
    head: HeadSection = HeadSection()
    optimizer: ComponentRef = ComponentRef(name="adam", lr=1e-3)
    trainer: PretrainTrainer = PretrainTrainer()
