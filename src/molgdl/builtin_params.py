"""Params models of the built-in components (import-light: pydantic only)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from molgdl.specs import Params


def check_fractions(v: list[float]) -> list[float]:
    if len(v) != 3 or any(x < 0 for x in v):
        raise ValueError("sizes must be three non-negative fractions [train, val, test]")
    if abs(sum(v) - 1.0) > 1e-6:
        raise ValueError(f"split fractions must sum to 1, got {sum(v):.6g} from {v}")
    return v


class AdamParams(Params):
    lr: float = Field(1e-3, gt=0, description="learning rate")
    weight_decay: float = Field(0.0, ge=0, description="L2 penalty (adam) or decoupled weight decay (adamw)")
    betas: tuple[float, float] = Field((0.9, 0.999), description="decay rates of the first and second moments")


class SGDParams(Params):
    lr: float = Field(1e-2, gt=0, description="learning rate")
    momentum: float = Field(0.0, ge=0, description="momentum factor (0 = plain SGD)")
    weight_decay: float = Field(0.0, ge=0, description="L2 penalty")
    nesterov: bool = Field(False, description="Nesterov momentum (needs momentum > 0)")


class NoamParams(Params):
    warmup_epochs: float = Field(2.0, ge=0, description="epochs of linear warm-up")
    init_lr_ratio: float = Field(0.1, gt=0, description="initial lr / optimizer lr")
    final_lr_ratio: float = Field(0.1, gt=0, description="final lr / optimizer lr")


class CosineParams(Params):
    warmup_epochs: float = Field(0.0, ge=0, description="epochs of linear warm-up")
    min_lr_ratio: float = Field(0.01, ge=0, description="final lr / optimizer lr")
    over_minutes: float | None = Field(
        None, gt=0, description="decay over this many minutes of wall time from the start of training instead of "
        "over trainer.max_epochs: for time-budgeted runs, set it to trainer.max_time_minutes (the clock restarts "
        "on resume)")


class CyclicalParams(Params):
    cycle_epochs: float = Field(10.0, gt=0, description="epochs per cycle: the lr restarts at its maximum")
    min_lr_ratio: float = Field(0.01, ge=0, description="lr / optimizer lr at the end of each cycle")


class RandomSplitParams(Params):
    sizes: list[float] = Field([0.8, 0.1, 0.1], description="train, val, test fractions (sum to 1)")

    _v = field_validator("sizes")(classmethod(lambda cls, v: check_fractions(v)))


class KFoldParams(Params):
    n_folds: int = Field(5, ge=2, description="number of folds")
    fold: int | Literal["all"] = Field(0, description="which fold is the test set; 'all': `molgdl run` trains every "
                                       "fold (seed_<s>_fold_<k>/) and summarises over folds (mean +/- std)")
    val_fraction: float = Field(0.1, gt=0, lt=1, description="fraction of the non-test rows used for validation")

    @field_validator("fold")
    @classmethod
    def _fold(cls, v: int | str, info) -> int | str:
        n = info.data.get("n_folds", 5)
        if v == "all":
            return v
        if v < 0:
            raise ValueError("fold must be >= 0 (or 'all')")
        if v >= n:
            raise ValueError(f"fold must be < n_folds ({n})")
        return v


class FileSplitParams(Params):
    path: str = Field(description="split.json from an earlier run: {train: [...], val: [...], test: [...]} source rows")

    @field_validator("path")
    @classmethod
    def _home(cls, v: str) -> str:
        return str(Path(v).expanduser())  # `~` expanded once, as for run.output_dir and data.cache_dir


class ColumnSplitParams(Params):
    column: str = Field("split", description="per-molecule column of the data source holding the split labels "
                        "(csv: declare it with `split_column`; bundled moleculeace sets carry it)")
    train_value: str = Field("train", description="label of the training rows")
    test_value: str = Field("test", description="label of the test rows")
    val_value: str | None = Field(None, description="label of validation rows; when unset, val_fraction of the "
                                  "train rows become validation")
    val_fraction: float = Field(0.1, gt=0, lt=1, description="fraction of the train rows held out as validation "
                                "(used when val_value is unset)")
    val_seed: int | None = Field(None, description="seed of the validation draw; None = the replicate seed, an "
                                 "int = the same validation rows for every seed")

    @model_validator(mode="after")
    def _distinct(self):
        labels = [v for v in (self.train_value, self.test_value, self.val_value) if v is not None]
        if len(set(labels)) != len(labels):
            raise ValueError(f"train_value, test_value and val_value must differ, got {labels}")
        return self
