"""Params of the ``language_model`` task (validated before torch is imported)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from molgdl.specs import Params


class LMData(Params):
    train: Path = Field(..., description="CSV or CSV.gz with a SMILES column (read as a stream, never all at "
                        "once), or a bundled slice: moses_train_2000, moses_test_500")
    validation: Path | None = Field(None, description="CSV(.gz) whose first `validation_rows` rows give the "
                                                      "held-out loss logged at each checkpoint")
    column: str = Field("SMILES", description="name of the SMILES column (case-insensitive)")
    validation_rows: int = Field(2000, ge=1, description="rows of `validation` used for the held-out loss")
    vocab_rows: int | None = Field(None, ge=1, description="rows of `train` scanned to build the vocabulary "
                                                           "(null: all); tokens not seen become <unk>")
    limit: int | None = Field(None, ge=1, description="use only the first `limit` rows of `train` (CI-sized runs)")


class GRUOptions(Params):
    name: Literal["gru"] = "gru"
    embed_dim: int = Field(64, ge=1, description="token embedding size")
    hidden_dim: int = Field(256, ge=1, description="GRU hidden size")
    num_layers: int = Field(2, ge=1, description="stacked GRU layers")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout between GRU layers")


class TransformerOptions(Params):
    name: Literal["transformer"] = "transformer"
    embed_dim: int = Field(128, ge=8, description="model width")
    num_heads: int = Field(4, ge=1, description="attention heads (must divide embed_dim)")
    num_layers: int = Field(3, ge=1, description="transformer blocks")
    ff_dim: int = Field(256, ge=1, description="feed-forward width")
    max_len: int = Field(128, ge=8, description="longest token sequence (positions)")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout")


ModelOptions = Annotated[Union[GRUOptions, TransformerOptions], Field(discriminator="name")]


class LMTraining(Params):
    batch_size: int = Field(128, ge=1, description="molecules per step")
    lr: float = Field(1e-3, gt=0, description="Adam learning rate")
    epochs: int = Field(1, ge=1, description="passes over `data.train`")
    max_steps: int | None = Field(None, ge=1, description="stop after this many steps (null: no limit)")
    max_minutes: float | None = Field(None, gt=0, description="wall-clock budget for training, resumes included")
    checkpoint_every_s: float = Field(120.0, gt=0, description="seconds between checkpoints (and validation)")
    shuffle: Literal["disk", "buffer"] = Field(
        "disk", description="disk: each epoch reads a whole-file random permutation written once to the run folder "
        "(seed_<s>/shuffled/, about 40 bytes per molecule, memory bounded); buffer: read the file in its own "
        "order through the shuffle buffer only (mixes neighbouring rows; for files already in random order)")
    shuffle_buffer: int = Field(20_000, ge=1, description="rows in the streaming shuffle buffer")
    lr_schedule: Literal["constant", "cosine"] = Field(
        "constant", description="cosine: decay from `lr` to `lr_min` over the training section (from the start, "
        "or from resuming a finished run with a larger budget, to the end of `max_minutes` or `max_steps`)")
    lr_min: float = Field(0.0, ge=0, description="learning rate at the end of a cosine schedule")
    max_tokens: int = Field(120, ge=4, description="longer molecules are skipped")
    grad_clip: float = Field(1.0, gt=0, description="gradient-norm clip")
    threads: int = Field(1, ge=1, description="torch CPU threads")

    @model_validator(mode="after")
    def _cosine_needs_an_end(self) -> "LMTraining":
        if self.lr_schedule == "cosine" and self.max_minutes is None and self.max_steps is None:
            raise ValueError("lr_schedule: cosine decays over the budget, but neither training.max_minutes nor "
                             "training.max_steps is set: set one of them, or use lr_schedule: constant")
        if self.lr_min > self.lr:
            raise ValueError(f"lr_min ({self.lr_min}) is above lr ({self.lr}): lower lr_min")
        return self


class LanguageModelParams(Params):
    data: LMData
    tokenizer: Literal["smiles", "selfies"] = Field("smiles", description="token alphabet of the model")
    model: ModelOptions = Field(default_factory=GRUOptions, description="{name: gru|transformer, <sizes>}")
    training: LMTraining = Field(default_factory=LMTraining, description="optimisation and budget")
