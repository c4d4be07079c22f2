"""The ``ensemble:`` config section (pydantic only, import-light: the core schema imports it)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MEMBER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


class EnsembleSection(BaseModel):
    """Members trained like runs of their own and combined by weights fitted on inner-CV predictions."""

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    members: dict[str, dict[str, Any]] = Field(
        min_length=2,
        description="member name -> partial config merged over this config (model, featurizer, "
                    "descriptors, readout, head, optimizer, scheduler, trainer, loss, scaling, callbacks); "
                    "{} = this config",
    )
    weights: Literal["stacking", "mean"] = Field(
        "stacking", description="stacking: non-negative least squares on the members' out-of-fold "
                                "predictions (per target, normalised to sum 1); mean: equal weights")
    classical_fit: Literal["train", "train_and_val"] = Field(
        "train", description="what a classical member (which has no use for a validation set) is fitted "
                             "on in the outer split: train, as in a run of its own, or train_and_val (the "
                             "outer validation molecules too; neural members still early-stop on them)")
    neural_fit: Literal["train", "train_and_val"] = Field(
        "train", description="what a neural member's final model is trained on: train (early stopping and the "
                             "best checkpoint on the outer validation molecules, as in a run of its own), or "
                             "train_and_val: that training only chooses the epoch (in seed_<s>/epoch_choice/), "
                             "then the member is trained again from the same initialisation on the outer training "
                             "and validation molecules, with the same learning-rate schedule, for exactly that "
                             "many epochs (AutoGluon's refit_full)")
    inner_folds: int = Field(5, ge=0, description="k of the inner cross-validation over the outer training "
                                                 "split that gives every member's out-of-fold predictions; "
                                                 "0 (weights: mean only): no inner CV, every member is "
                                                 "trained once per replicate and why.txt has no "
                                                 "out-of-fold scores")

    @field_validator("members")
    @classmethod
    def _names(cls, v: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        bad = [name for name in v if not MEMBER_NAME.match(name)]
        if bad:
            raise ValueError(f"member name(s) {bad} are not folder names: use a letter, then letters, "
                             "digits, '_' or '-' (at most 64 characters)")
        return v

    @model_validator(mode="after")
    def _folds_fit_the_weights(self) -> "EnsembleSection":
        if self.inner_folds == 1:
            raise ValueError("inner_folds: 1 is not a cross-validation: use 2 or more, or 0 (no inner CV, "
                             "weights: mean only)")
        if self.inner_folds == 0 and self.weights == "stacking":
            raise ValueError("inner_folds: 0 (no inner CV) leaves stacking nothing to fit its weights on: "
                             "set weights: mean, or inner_folds: 2 or more")
        return self
