"""Parameter models of the molgdl-vlasov solvers and of the ``vlasov`` task (no torch import here)."""

from __future__ import annotations

import math
from typing import Any, Literal

import difflib

from pydantic import Field, ValidationError, field_validator, model_validator

from molgdl.specs import Params

DOMAIN_KEYS = ("k", "v_max", "self_consistent")


class DomainParams(Params):
    """The phase-space box and the physics, shared by every Vlasov solver."""

    k: float = Field(0.5, gt=0, description="Wavenumber of the box: x in [0, 2 pi / k).")
    v_max: float = Field(4 * math.pi, gt=0, description="Velocity interval [-v_max, v_max), periodic.")
    self_consistent: bool = Field(True, description="Solve Poisson for E; false: free streaming (E = 0).")


class CMMParams(DomainParams):
    """``cmm_vlasov_poisson``: characteristic mapping method (Krah et al. 2023)."""

    n_map: int = Field(32, ge=4, description="Map grid points per direction (Hermite-cubic jets).")
    n_sampling: int = Field(256, ge=8, description="Grid per direction on which f is sampled for E and the "
                                                   "diagnostics; also the solver state grid of step().")
    det_tol: float = Field(1e-2, gt=0, description="Remap when max |log det grad X| exceeds this.")
    filter_order: int | None = Field(8, ge=1, description="p of the Gaussian spectral filter of E; "
                                                          "null: none.")
    filter_cutoff: float | None = Field(None, gt=0, description="R of the filter in x-mode numbers "
                                                                "(default n_map / 2).")
    transition_width: float = Field(0.1, gt=0, lt=0.5, description="Half-width of the periodic-velocity "
                                                                   "bump as a fraction of v_max.")


class SpectralSLParams(DomainParams):
    """``vlasov_spectral_sl``: Strang-split semi-Lagrangian solver with Fourier shifts on a fixed grid."""

    n_x: int = Field(64, ge=4, description="Grid points in x.")
    n_v: int = Field(128, ge=4, description="Grid points in v (recurrence at 2 pi / (k dv)).")
    filter_order: int | None = Field(None, ge=1, description="Gaussian filter order on E; null: none.")
    filter_cutoff: float | None = Field(None, gt=0, description="Filter cutoff in x-mode numbers "
                                                                "(default n_x / 3).")


SOLVER_PARAMS = {"cmm_vlasov_poisson": CMMParams, "vlasov_spectral_sl": SpectralSLParams}


class CaseParams(Params):
    """Initial condition and box (methods.md Sec. 7)."""

    name: Literal["landau", "two_stream"] = Field("landau", description="landau: (1 + eps cos kx) M(v); "
                                                  "two_stream: (1 + eps cos kx) [M(v - v0) + M(v + v0)] / 2.")
    k: float = Field(0.5, gt=0, description="Perturbation wavenumber; the box is 2 pi / k long.")
    epsilon: float = Field(0.01, ge=0, le=1, description="Perturbation amplitude.")
    v0: float = Field(3.0, ge=0, description="Beam velocity (two_stream only).")
    v_max: float = Field(4 * math.pi, gt=0, description="Velocity interval [-v_max, v_max).")
    self_consistent: bool = Field(True, description="false: free streaming (E = 0), e.g. to show recurrence.")


class TimeParams(Params):
    t_end: float = Field(..., gt=0, description="Final time (inverse plasma frequencies).")
    dt: float | None = Field(None, gt=0, description="Time step; null: the reference rule "
                                                     "0.5 max(L) / n_map / cfl / max(|u|, |f|, 1), rounded "
                                                     "so that t_end is hit.")
    cfl: float = Field(1.0, gt=0, description="CFL number of the reference rule (dt null).")


class FitWindow(Params):
    """A rate fit of the first Fourier mode of E on ``[t_min, t_max]``."""

    label: str = Field("rate", description="Name of the fit in the summary.")
    kind: Literal["damped_oscillation", "exponential", "peaks"] = Field(
        "damped_oscillation", description="damped_oscillation: a e^(gamma t) cos(omega t + phi) fitted to "
        "the "
        "signed sin(kx) amplitude of E (rate and frequency); exponential: log |E_1| linear in t (rate); "
        "peaks: a line through log |E_1| at its local maxima (rate).")
    t_min: float = Field(0.0, ge=0, description="Start of the window.")
    t_max: float = Field(..., gt=0, description="End of the window.")

    @model_validator(mode="after")
    def _order(self) -> "FitWindow":
        if self.t_max <= self.t_min:
            raise ValueError(f"t_max ({self.t_max}) must exceed t_min ({self.t_min})")
        return self


class OutputParams(Params):
    phase_space_times: list[float] = Field(default_factory=list,
                                           description="Times of the phase-space pictures (and t_end).")
    plot_points: int = Field(256, ge=16, description="Grid per direction of the phase-space pictures.")
    device: Literal["cpu", "cuda", "auto"] = Field("cpu", description="Torch device (auto: cuda if present).")
    dtype: Literal["float64", "float32"] = Field("float64", description="Floating-point precision.")


class VlasovTaskParams(Params):
    """``task: vlasov``: one Vlasov-Poisson case with a registered Vlasov solver."""

    case: CaseParams = Field(default_factory=CaseParams, description="Initial condition and box.")
    solver: dict[str, Any] = Field(default_factory=lambda: {"name": "cmm_vlasov_poisson"},
                                   description="{name: cmm_vlasov_poisson | vlasov_spectral_sl, <numerics>}; "
                                               "the box (k, v_max, self_consistent) comes from case.")
    time: TimeParams = Field(..., description="Time stepping.")
    fit: list[FitWindow] = Field(default_factory=list, description="Rate fits of |E_1|(t).")
    output: OutputParams = Field(default_factory=OutputParams, description="Pictures and device.")

    @field_validator("solver")
    @classmethod
    def _solver(cls, v: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(v.get("name"), str):
            raise ValueError("solver needs a name, e.g. solver: {name: cmm_vlasov_poisson, n_map: 32}")
        clash = [key for key in DOMAIN_KEYS if key in v]
        if clash:
            raise ValueError(f"solver.{clash[0]} is set by the case; set case.{clash[0]} instead")
        model = SOLVER_PARAMS.get(v["name"])
        if model is not None:  # our own solvers: check their numerics now (``molgdl validate``)
            numerics = {key: value for key, value in v.items() if key != "name"}
            try:
                model.model_validate(numerics)
            except ValidationError as exc:
                err = exc.errors()[0]
                key = ".".join(str(p) for p in err["loc"])
                valid = [k for k in model.model_fields if k not in DOMAIN_KEYS]
                close = difflib.get_close_matches(key, valid, n=1)
                guess = f" (did you mean {close[0]!r}?)" if close and err["type"] == "extra_forbidden" else ""
                raise ValueError(f"solver.{key}: {err['msg']}{guess}; {v['name']} takes "
                                 f"{', '.join(valid)}") from None
        return v

    @model_validator(mode="after")
    def _fits(self) -> "VlasovTaskParams":
        for i, w in enumerate(self.fit):
            if w.t_max > self.time.t_end:
                raise ValueError(f"fit[{i}].t_max = {w.t_max} is after time.t_end = {self.time.t_end}")
        for t in self.output.phase_space_times:
            if not 0 <= t <= self.time.t_end:
                raise ValueError(f"output.phase_space_times: {t} is outside "
                                 f"[0, time.t_end = {self.time.t_end}]")
        return self
