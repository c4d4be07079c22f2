"""Parameter models of the optimizers of this plugin (pydantic only: no torch import here)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Optional

from pydantic import Field, field_validator, model_validator

from molgdl.specs import Params, WrapperParams

from .schedules import Q_LIMIT, level_cap

# the parameters that only one schedule uses, with that schedule
_SCHEDULE_ONLY = {"rate": "linear", "tau": "log", "step_every": "step", "step_size": "step"}
QUANTIZED_NAMES = ("qsgd", "qadam", "quantized")


class QuantizationParams(Params):
    """The lattice ``Q_p(t)^-1 * round(Q_p(t) * x)``, ``Q_p(t) = eta * b**h(t)``, ``t = epoch + batch/B``."""

    eta: float = Field(
        1024.0, gt=0, allow_inf_nan=False,
        description="Base resolution: lattice points per unit of a parameter at level 0 (spacing 1/eta). "
        "Powers of two (with a power-of-two b) give exact float32 lattices and the fastest rounding.",
    )
    b: int = Field(2, ge=2, description="Integer base of the resolution growth (nested lattices).")
    h0: int = Field(0, ge=0, description="Resolution level h at t = 0.")
    schedule: Literal["constant", "linear", "log", "step"] = Field(
        "linear",
        description="h(t): constant h0; linear h0 + floor(rate t); log h0 + floor(log_b sqrt(ln(t/tau + 2)/ln 2)) "
        "(the annealing-compatible bound T(t) >= T(0) ln2 / ln(t/tau + 2)); step h0 + step_size floor(t/step_every).",
    )
    rate: float = Field(0.1, gt=0, allow_inf_nan=False, description="linear schedule: levels per epoch.")
    tau: float = Field(1.0, gt=0, allow_inf_nan=False, description="log schedule: time scale in epochs.")
    step_every: float = Field(10.0, gt=0, allow_inf_nan=False, description="step schedule: epochs per step.")
    step_size: int = Field(1, ge=1, description="step schedule: levels added per step.")
    h_max: Optional[int] = Field(None, ge=0, description="Cap on the level (null: only the internal cap Q_p <= 2^64).")
    rounding: Literal["nearest", "stochastic"] = Field(
        "nearest",
        description="nearest: round to the nearest lattice point (the method; uniform error of variance 1/(12 Q^2)). "
        "stochastic: floor(Q x + u)/Q with u ~ U[0, 1) (unbiased dithered rounding; error variance "
        "f(1-f)/Q^2 depends on the fractional position f, 1/(6 Q^2) on average).",
    )
    seed: Optional[int] = Field(
        None, ge=0, description="Seed of the stochastic-rounding generator (null: drawn from torch's global RNG).")
    stats_every: Optional[int] = Field(
        None, ge=0,
        description="Measure the frozen fraction and quantization error on every n-th step (0: never; null: "
        "once per epoch, on its middle batch).",
    )
    stats_sample: int = Field(
        4096, ge=0,
        description="Coordinates per parameter tensor (a fixed random sample) that a measured step looks at; the "
        "diagnostics are estimates over all elements from them (exact for smaller tensors). 0: every coordinate "
        "(a measured step then copies the parameters twice).",
    )

    @model_validator(mode="after")
    def _consistent(self):
        for key, kind in _SCHEDULE_ONLY.items():
            # a value equal to its default is allowed: a run's resolved config.yaml writes every default out
            changed = getattr(self, key) != type(self).model_fields[key].default
            if key in self.model_fields_set and changed and self.schedule != kind:
                raise ValueError(
                    f"{key} only applies to schedule: {kind}, but schedule is {self.schedule!r}; "
                    f"remove {key} or set schedule: {kind}")
        cap = level_cap(self.eta, self.b)
        if self.h0 > cap:
            raise ValueError(
                f"eta * b^h0 = {self.eta * float(self.b) ** self.h0:.3g} exceeds 2^64 = {Q_LIMIT:.3g}; "
                f"use h0 <= {max(cap, 0)} or a smaller eta")
        if self.h_max is not None and self.h_max < self.h0:
            raise ValueError(f"h_max ({self.h_max}) must be >= h0 ({self.h0})")
        return self

    def schedule_kwargs(self) -> dict[str, Any]:
        return dict(eta=self.eta, b=self.b, h0=self.h0, kind=self.schedule, rate=self.rate, tau=self.tau,
                    step_every=self.step_every, step_size=self.step_size, h_max=self.h_max)

    def quantizer_kwargs(self) -> dict[str, Any]:
        return dict(rounding=self.rounding, seed=self.seed, stats_every=self.stats_every,
                    stats_sample=self.stats_sample)


class QSGDParams(QuantizationParams):
    """QSGD: torch SGD step, then rounding to the lattice."""

    lr: float = Field(1e-2, gt=0, allow_inf_nan=False, description="Learning rate lambda.")
    momentum: float = Field(0.0, ge=0, description="SGD momentum.")
    weight_decay: float = Field(0.0, ge=0, description="L2 penalty added to the gradient.")
    nesterov: bool = Field(False, description="Nesterov momentum (needs momentum > 0).")
    fused: Optional[bool] = Field(
        None,
        description="The SGD update and the rounding in one pass over memory. null (default): a C loop on the CPU "
        "(compiled once per process with the system C compiler, ~0.3 s) wherever it reproduces the unfused step "
        "bit for bit (nearest rounding, power-of-two resolution, float32/float64 CPU tensors), unfused elsewhere; "
        "about 1.15x an SGD step instead of 2x. true: also torch.compile on other devices (Triton on CUDA; the "
        "first step compiles for ~15 s), and needs nearest rounding and power-of-two eta and b. false: never fused. "
        "Measured steps (stats_every) run unfused; where no compiler works the step runs unfused, with a warning.",
    )

    @model_validator(mode="after")
    def _nesterov(self):
        if self.nesterov and self.momentum <= 0:
            raise ValueError("nesterov: true needs momentum > 0")
        if self.fused and self.rounding != "nearest":
            raise ValueError("fused: true needs rounding: nearest (stochastic rounding runs unfused)")
        if self.fused and not (_power_of_two(self.eta) and _power_of_two(self.b)):
            raise ValueError(f"fused: true needs power-of-two eta and b (exact float rounding), got eta={self.eta}, "
                             f"b={self.b}")
        return self

    def quantizer_kwargs(self) -> dict[str, Any]:
        return {**super().quantizer_kwargs(), "fused_sgd": self.fused}


def _power_of_two(x: float) -> bool:
    import math

    return x > 0 and math.frexp(x)[0] == 0.5


class QAdamParams(QuantizationParams):
    """QAdam: torch Adam step, then rounding to the lattice."""

    lr: float = Field(1e-3, gt=0, allow_inf_nan=False, description="Learning rate lambda.")
    betas: tuple[float, float] = Field((0.9, 0.999), description="Adam moment decay rates, each in [0, 1).")
    weight_decay: float = Field(0.0, ge=0, description="L2 penalty added to the gradient.")
    decoupled: bool = Field(False, description="Decoupled weight decay (AdamW) instead of the L2 penalty.")

    @field_validator("betas")
    @classmethod
    def _betas(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not all(0.0 <= x < 1.0 for x in v):
            raise ValueError(f"betas must both lie in [0, 1), got {list(v)}")
        return v


class QuantizedParams(QuantizationParams, WrapperParams):
    """Generic wrapper: any registered optimizer (``base: {name: ..., ...its params}``), then rounding."""

    refused_bases: ClassVar[tuple[str, ...]] = QUANTIZED_NAMES
    refused_reason: ClassVar[str] = "already quantizes; wrap an unquantized optimizer (adam, sgd, ...)"


class SGLDParams(Params):
    """SGLD: ``x <- x - lr (g + weight_decay x) + s xi``, ``xi ~ N(0, I)``, ``s = sqrt(2 lr T)`` or ``noise_std``."""

    lr: float = Field(1e-2, gt=0, allow_inf_nan=False, description="Learning rate (Euler-Maruyama step).")
    temperature: float = Field(
        1e-5, ge=0, allow_inf_nan=False,
        description="Temperature T in units of the training loss: per-step noise variance 2 lr T (follows the "
        "current lr under a scheduler).")
    noise_std: Optional[float] = Field(
        None, ge=0, allow_inf_nan=False,
        description="Instead of temperature: a fixed per-step noise standard deviation (e.g. 1/(Q sqrt(12)) to "
        "match the rounding noise of a lattice of resolution Q).")
    weight_decay: float = Field(0.0, ge=0, description="L2 penalty added to the gradient.")
    seed: Optional[int] = Field(None, ge=0, description="Seed of the noise generator (null: from torch's global RNG).")

    @model_validator(mode="after")
    def _one_noise(self):
        if self.noise_std is not None and "temperature" in self.model_fields_set:
            raise ValueError("give either temperature or noise_std, not both")
        return self
