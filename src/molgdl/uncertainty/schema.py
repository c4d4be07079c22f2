"""The ``uncertainty:`` config section (pydantic only, import-light: the core schema imports it)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Ref(BaseModel):
    """``{name: <registered name>, <param>: <value>, ...}`` (same shape as ``molgdl.config.schema.ComponentRef``)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(description="registered component name (see `molgdl components`)")

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class UncertaintySection(BaseModel):
    """Which estimator gives each prediction a spread, and how it is calibrated on the validation split."""

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    estimator: _Ref = Field(description="uncertainty estimator: ensemble, mve, evidential, mc_dropout, langevin "
                                        "(`molgdl components --kind uncertainty`)")
    calibrator: _Ref = Field(_Ref(name="zscaling"),
                             description="fitted on the validation split: zscaling, isotonic, conformal, none "
                                         "(regression); platt, isotonic_probability, none (classification)")
    coverage: float = Field(0.9, gt=0.0, lt=1.0, description="nominal coverage of the intervals written to "
                                                              "predictions.csv (<target>_lower/_upper)")
