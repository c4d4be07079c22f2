"""Parameter models of the plugin's solvers (no torch import: ``molgdl validate`` stays fast)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from molgdl.specs import Params


class _Lorenz63Core(Params):
    sigma: float = Field(10.0, description="Prandtl number sigma")
    rho: float = Field(28.0, description="Rayleigh number rho")
    beta: float = Field(8.0 / 3.0, description="geometric factor beta")
    drop_beta_term: bool = Field(True, description="drop -beta*u3 from du3/dt (the core of Ouala et al.; the "
                                                   "correction then has that term to learn)")


class Lorenz63Params(_Lorenz63Core):
    integrator: Literal["rk4", "euler"] = Field("rk4", description="explicit integrator (torch)")
    substeps: int = Field(1, ge=1, description="integrator steps per solver step")


class Lorenz63ScipyParams(_Lorenz63Core):
    method: Literal["RK45", "DOP853", "RK23", "LSODA", "Radau", "BDF"] = Field(
        "DOP853", description="scipy.integrate.solve_ivp method")
    rtol: float = Field(1e-9, gt=0, description="relative tolerance of solve_ivp")
    atol: float = Field(1e-9, gt=0, description="absolute tolerance of solve_ivp")


class LinearParams(Params):
    matrix: list[list[float]] = Field([[-0.5, 1.0], [-1.0, -0.5]], description="the square matrix A of F(u) = A u")
    integrator: Literal["rk4", "euler"] = Field("euler", description="explicit integrator (torch)")
    substeps: int = Field(1, ge=1, description="integrator steps per solver step")

    @field_validator("matrix")
    @classmethod
    def _square(cls, v: list[list[float]]) -> list[list[float]]:
        if not v or any(len(row) != len(v) for row in v):
            raise ValueError(f"matrix must be square and non-empty, got rows of lengths {[len(r) for r in v]}")
        return v
