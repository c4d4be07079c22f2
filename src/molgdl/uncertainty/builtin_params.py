"""Parameter models of the built-in uncertainty estimators and calibrators (pydantic only)."""

from __future__ import annotations

from pydantic import Field, model_validator

from molgdl.specs import Params


class EnsembleParams(Params):
    members: int = Field(5, ge=2, description="models trained per replicate, each with its own seed (deep "
                                              "ensemble, Lakshminarayanan et al. 2017)")
    bootstrap: bool = Field(False, description="train each member on a bootstrap resample of the training split")
    head: str = Field("point", pattern="^(point|mve)$",
                      description="point: spread of the members only; mve: each member also predicts a variance")
    cv_folds: bool = Field(False, description="member k trains on the training split without its fold k of "
                                              "`members` folds (what the cv_plus calibrator needs)")

    @model_validator(mode="after")
    def _one_resampling(self):
        if self.bootstrap and self.cv_folds:
            raise ValueError("bootstrap and cv_folds are two ways of resampling the training split; choose one")
        return self


class MVEParams(Params):
    """Mean-variance estimation: a Gaussian NLL head (Nix & Weigend 1994)."""


class EvidentialParams(Params):
    regularization: float = Field(0.2, ge=0.0, description="lambda of the evidence regulariser "
                                                           "|y - gamma| (2 nu + alpha) (chemprop's default 0.2)")


class MCDropoutParams(Params):
    passes: int = Field(20, ge=2, description="forward passes with dropout active (Gal & Ghahramani 2016); "
                                              "needs head.dropout > 0")


class CalibratorParams(Params):
    """Calibrators take no parameters: they are fitted on the validation split."""
