"""Config sections of the ``dynamics`` task (pydantic; no torch import)."""

from __future__ import annotations

import difflib

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from molgdl.specs import Params

from .corrections import correction_spec
from .molecular.params import MDDataParams

MODE_NAMES = ("exact", "static", "straight_through", "first_order", "ensemble")  # = gradients.MODES (no torch here)


def _invalid(message: str) -> PydanticCustomError:
    """A validation error whose message is shown as is (no "Value error," prefix)."""
    return PydanticCustomError("invalid", "{message}", {"message": message})


class DataParams(Params):
    source: Literal["lorenz63", "npz", "molecular_md"] = Field(
        "lorenz63", description="lorenz63: generate the truth with scipy (full Lorenz-63, with -beta*u3); npz: state "
        "sequences from a file; molecular_md: reference MD generated with an RDKit force field (see md)")
    dt: float = Field(0.01, gt=0, description="lorenz63: sampling step of the truth (the solver's step h)")
    duration: float = Field(60.0, gt=0, description="lorenz63: recorded time units after the spin-up")
    spinup: float = Field(5.0, ge=0, description="lorenz63: time units integrated from x0 before recording")
    x0: tuple[float, float, float] = Field((8.0, 0.0, 30.0), description="lorenz63: initial state of the spin-up")
    sigma: float = Field(10.0, description="lorenz63 truth: sigma")
    rho: float = Field(28.0, description="lorenz63 truth: rho")
    beta: float = Field(8.0 / 3.0, description="lorenz63 truth: beta")
    path: Path | None = Field(None, description="npz: file with the states ([T, dim] or [S, T, dim]) and the time step")
    states_key: str = Field("states", description="npz: array name of the states")
    dt_key: str = Field("dt", description="npz: array name of the time step (a scalar)")
    md: MDDataParams = Field(default_factory=MDDataParams, description="molecular_md: the reference dynamics "
                             "(molecule, truth force field, trajectories, dt in fs)")
    test_fraction: float = Field(0.25, gt=0, lt=1, description="the last fraction of every trajectory is held out "
                                                               "for evaluation (windows never straddle the cut)")

    @model_validator(mode="after")
    def _path_for_npz(self) -> "DataParams":
        if self.source == "npz" and self.path is None:
            raise _invalid("source npz needs path: <file.npz>")
        return self


class TrainingParams(Params):
    mode: str = Field("static", description=f"gradient through the solver: {', '.join(MODE_NAMES)} (see "
                      "molgdl_hybrid.gradients)")
    rollout: int = Field(10, ge=1, description="n: steps per training window (loss = MSE over the n + 1 states)")
    epochs: int = Field(20, ge=1, description="passes over the training windows")
    lr: float = Field(0.01, gt=0, description="Adam learning rate")
    batch_size: int = Field(32, ge=1, description="windows per optimizer step")
    max_windows: int = Field(5000, ge=1, description="training windows drawn (without replacement) per seed")
    ensemble_members: int = Field(5, ge=2, description="ensemble mode: members per Jacobian estimate (>= dim + 1)")
    ensemble_sigma: float = Field(1.0, gt=0, description="ensemble mode: perturbation std, in state units")
    offline: bool = Field(True, description="also train an offline correction (one-step residual regression) "
                                            "with the same budget, for comparison")
    dtype: Literal["float32", "float64"] = Field("float32", description="floating point type of training")

    @field_validator("mode")
    @classmethod
    def _mode(cls, v: str) -> str:
        if v not in MODE_NAMES:
            close = difflib.get_close_matches(v, MODE_NAMES, n=1)
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            raise _invalid(f"unknown gradient mode {v!r}{guess}; choices: {', '.join(MODE_NAMES)}")
        return v


class EvaluationParams(Params):
    horizons: list[int] = Field([1, 10, 100], description="rollout steps k at which the RMSE to the truth is reported")
    max_windows: int = Field(200, ge=1, description="held-out windows evaluated (evenly spaced)")

    @field_validator("horizons")
    @classmethod
    def _positive(cls, v: list[int]) -> list[int]:
        if not v or min(v) < 1:
            raise _invalid(f"horizons must be positive step counts, got {v}")
        return sorted(set(v))


def _component(v: Any, what: str) -> dict[str, Any]:
    if not isinstance(v, dict) or not isinstance(v.get("name"), str):
        raise _invalid(f"{what} must be a block {{name: <registered {what}>, <its params>}}, got {v!r}")
    return dict(v)


class DynamicsParams(Params):
    solver: dict[str, Any] = Field(default_factory=lambda: {"name": "lorenz63"},
                                   description="the physical core: {name: <registered solver>, <its params>}")
    data: DataParams = Field(default_factory=DataParams, description="trajectories")
    correction: dict[str, Any] = Field(default_factory=lambda: {"name": "mlp"},
                                       description="M_theta: {name: <correction in molgdl_hybrid.corrections>, ...}")
    training: TrainingParams = Field(default_factory=TrainingParams, description="online training of the hybrid")
    evaluation: EvaluationParams = Field(default_factory=EvaluationParams, description="held-out rollout errors")

    @field_validator("solver")
    @classmethod
    def _solver(cls, v: Any) -> dict[str, Any]:
        return _component(v, "solver")

    @field_validator("correction")
    @classmethod
    def _correction(cls, v: Any) -> dict[str, Any]:
        from pydantic import ValidationError

        from molgdl.config.load import format_validation_error
        from molgdl.errors import ConfigError

        v = _component(v, "correction")
        try:
            spec = correction_spec(v["name"])
        except ConfigError as exc:
            raise _invalid(str(exc.args[0]).removeprefix("correction.name: ")) from None
        try:
            spec.params.model_validate({k: x for k, x in v.items() if k != "name"})
        except ValidationError as exc:
            msg = format_validation_error(exc, spec.params, prefix="correction")
            raise _invalid(msg.split(":\n  ", 1)[-1].removeprefix("correction.")) from None
        return v
