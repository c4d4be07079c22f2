"""Config sections of ``task: fewshot`` (pydantic only: no torch import here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from molgdl.specs import Params

ARMS = ("protonet", "knn", "finetune", "scratch", "svm", "rf", "mean")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FewShotData(Section):
    path: Path = Field(description="CSV with SMILES, a regression target and a train/test split column")
    smiles_column: str = Field("smiles", description="SMILES column")
    target_column: str = Field("y", description="target column (regression)")
    split_column: str = Field("split", description="column holding 'train' or 'test'")


class TrainArm(Section):
    """How an encoder + head is trained on a support set (the scratch arm: random weights)."""

    epochs: int = Field(30, ge=1, description="passes over the support set")
    lr: float = Field(1e-3, gt=0, description="Adam learning rate of the head")
    head_hidden: int = Field(300, ge=1, description="hidden width of the head")
    head_kind: Literal["mlp", "cosine"] = Field("mlp", description="as head.kind in a property config")
    head_layers: int = Field(2, ge=1, description="linear layers of the head (1: a linear head)")
    batch_size: int = Field(16, ge=1)


class FineTuneArm(TrainArm):
    """The finetune arm: the pretrained encoder + a new head."""

    epochs: int = Field(30, ge=0, description="passes over the support set (0: only the ridge probe of head_init)")
    lr_multiplier: float = Field(0.1, gt=0, description="learning rate of the pretrained weights / lr")
    freeze: Literal["none", "all"] | int = Field("none", description="as pretrained.freeze in a property config")
    head_init: Literal["random", "ridge"] = Field(
        "random", description="'ridge' starts a linear head (head_layers: 1) from the ridge regression of the "
        "support labels on the pretrained embedding (linear probing, then fine-tuning)")

    @model_validator(mode="after")
    def _ridge_head(self) -> "FineTuneArm":
        if self.head_init == "ridge" and (self.head_layers != 1 or self.head_kind != "mlp"):
            raise ValueError("finetune.head_init: ridge needs a linear head: set head_layers: 1 and head_kind: mlp")
        if self.epochs == 0 and self.head_init != "ridge":
            raise ValueError("finetune.epochs: 0 trains nothing; it needs head_init: ridge (a linear probe)")
        return self


class FewShotConfig(Params):
    """``task: fewshot``: support sets from the train split, the test split as query, one RMSE per arm and
    episode (``episodes.jsonl``), mean RMSE per arm and support size in the summary."""

    pretrained: Path = Field(description="run folder of `molgdl pretrain` (its encoder embeds and fine-tunes)")
    data: FewShotData
    sizes: list[int] = Field([16, 32, 64, 128], description="support sizes")
    full_train_draws: int = Field(0, ge=0, description="also train on the whole train split (molecules outside "
                                  "the test split) this many times with different seeds (size = the split's)")
    draws: int = Field(10, ge=0, description="supports per size (nested: a draw's 16 are in its 32, ...)")
    seed: int = Field(0, description="seed of the support draws and of training")
    arms: list[str] = Field(list(ARMS), min_length=1, description=f"any of {list(ARMS)}")
    n_prototypes: int = Field(8, ge=1, description="protonet: label-quantile prototypes")
    knn_k: int = Field(5, ge=1, description="knn: neighbours over the cosine similarity of embeddings")
    finetune: FineTuneArm = FineTuneArm()
    scratch: TrainArm = Field(TrainArm(), description="training of the scratch arm (the same encoder and readout "
                              "from random weights)")
    svm: dict[str, Any] = Field(default_factory=lambda: {"name": "svm", "kernel": "tanimoto"},
                                description="registered classical model on fingerprints (molgdl-models)")
    rf: dict[str, Any] = Field(default_factory=lambda: {"name": "random_forest", "n_estimators": 200},
                               description="registered classical model on fingerprints (molgdl-models)")
    fingerprint: dict[str, Any] = Field(default_factory=lambda: {"name": "morgan", "radius": 2, "n_bits": 2048},
                                        description="registered descriptor for svm and rf (ECFP4 bits)")

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, v: list[int]) -> list[int]:
        if any(k < 2 for k in v):
            raise ValueError(f"support sizes must be >= 2, got {v}")
        return v

    @field_validator("arms")
    @classmethod
    def _arms(cls, v: list[str]) -> list[str]:
        bad = [a for a in v if a not in ARMS]
        if bad:
            raise ValueError(f"unknown arm(s) {bad}; choose from {list(ARMS)}")
        return v
