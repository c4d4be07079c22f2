"""Solver factories (imported lazily by ``hooks.py``)."""

from __future__ import annotations

from functools import partial

import torch

from ..params import LinearParams, Lorenz63Params, Lorenz63ScipyParams
from .black_box import ScipySolver
from .integrators import TorchSolver
from .lorenz import lorenz63_rhs


def _lorenz_rhs(params: Lorenz63Params | Lorenz63ScipyParams):
    return partial(lorenz63_rhs, sigma=params.sigma, rho=params.rho, beta=params.beta,
                   drop_beta_term=params.drop_beta_term)


def build_lorenz63(params: Lorenz63Params) -> TorchSolver:
    return TorchSolver(_lorenz_rhs(params), 3, params.integrator, params.substeps)


def build_lorenz63_scipy(params: Lorenz63ScipyParams) -> ScipySolver:
    return ScipySolver(_lorenz_rhs(params), 3, params.method, params.rtol, params.atol)


def build_linear(params: LinearParams) -> TorchSolver:
    matrix = torch.tensor(params.matrix, dtype=torch.float64)

    def rhs(u: torch.Tensor) -> torch.Tensor:
        return u @ matrix.to(dtype=u.dtype, device=u.device).T

    return TorchSolver(rhs, matrix.shape[0], params.integrator, params.substeps)
