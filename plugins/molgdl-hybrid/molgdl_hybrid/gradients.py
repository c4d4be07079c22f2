"""Gradients of a neural correction through a solver that autograd cannot (or should not) see through.

The hybrid model is ``du/dt = F(u) + M_theta(u)``; ``Psi`` is one step of size ``h`` of a black-box solver
(``solver.step(u, h, correction)``, see ``molgdl.specs.SolverSpec``). The forward value of every step is the
solver's output, computed under ``torch.no_grad()`` and returned bit for bit; only the gradient comes from a
cheap surrogate of the step (Ouala et al., "Online calibration of deep learning sub-models for hybrid
numerical modeling systems", Commun. Phys. 2024, arXiv:2311.10665, Theorem 2.1 and Corollary 2.1.2):

``exact``             autograd through ``solver.step`` itself (needs ``solver.differentiable``).
``static``            static EGA: Jacobian of the flow ``I``; surrogate ``u + h M(u.detach())``.
``straight_through``  Jacobian ``I + h dM/du``; surrogate ``u + h M(u)``.
``first_order``       Jacobian ``I + h (dF/du + dM/du)``; surrogate ``u + h (F(u) + M(u))`` (needs
                      ``solver.rhs``, the core's right-hand side in differentiable torch).
``ensemble``          Jacobian ``A = (Y X^T)(X X^T)^-1`` fitted by least squares to perturbed black-box runs
                      (``X``: input anomalies, ``Y``: propagated anomalies); surrogate ``A u + h M(u.detach())``.

In every mode the explicit parameter derivative of a step is ``h dM/dtheta`` (exact mode: the solver's own).
The static-EGA gradient of an ``n``-step rollout differs from the exact one by ``O(n^2 h^2)``.
"""

from __future__ import annotations

import difflib
from typing import Any, Callable

import torch
from torch import Tensor

from molgdl.errors import ConfigError

MODES = ("exact", "static", "straight_through", "first_order", "ensemble")

Correction = Callable[[Tensor], Tensor]


class _ValueWithGradientOf(torch.autograd.Function):
    """Forward: ``value`` unchanged; backward: the incoming gradient goes to ``surrogate`` (same shape)."""

    @staticmethod
    def forward(ctx: Any, value: Tensor, surrogate: Tensor) -> Tensor:
        return value.clone()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[None, Tensor]:
        return None, grad


def value_with_gradient_of(value: Tensor, surrogate: Tensor) -> Tensor:
    """``value`` (bit for bit, no graph of its own) carrying the gradient of ``surrogate``.

    Unlike ``surrogate + (value - surrogate).detach()``, the result equals ``value`` exactly in floating point."""
    if value.shape != surrogate.shape:
        raise ValueError(f"value {tuple(value.shape)} and surrogate {tuple(surrogate.shape)} differ in shape")
    if not surrogate.requires_grad:
        return value
    return _ValueWithGradientOf.apply(value, surrogate)


def check_mode(mode: str, solver: Any = None) -> str:
    """``mode`` if it is one of ``MODES`` and ``solver`` supports it; a ``ConfigError`` saying why not otherwise."""
    if mode not in MODES:
        close = difflib.get_close_matches(str(mode), MODES, n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"unknown gradient mode {mode!r}{guess}", hint=f"choose one of {', '.join(MODES)}")
    if solver is None:
        return mode
    name = type(solver).__name__
    if mode == "exact" and not getattr(solver, "differentiable", False):
        raise ConfigError(f"gradient mode 'exact' needs a differentiable solver, and {name} is not "
                          "(autograd cannot see through it)",
                          hint="use mode static, straight_through, first_order or ensemble, which only call "
                               "the solver as a black box")
    if mode == "first_order" and not callable(getattr(solver, "rhs", None)):
        raise ConfigError(f"gradient mode 'first_order' needs the core's right-hand side, and {name} has no rhs(u)",
                          hint="use mode static, straight_through or ensemble, or give the solver an rhs(u) "
                               "method (F(u) in differentiable torch)")
    return mode


def ensemble_jacobian(solver: Any, u: Tensor, h: float, correction: Correction | None, value: Tensor,
                      members: int = 5, sigma: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
    """Least-squares estimate of the step's Jacobian ``dPsi/du`` from an ensemble of black-box runs.

    Member 0 is ``u`` itself (its output ``value`` is reused); members ``1..members-1`` are ``u + sigma * eps``.
    With ``X`` and ``Y`` the member anomalies (minus the ensemble mean) before and after the step,
    ``A = Y X^+`` (= ``(Y X^T)(X X^T)^-1`` when ``members - 1 >= dim``; otherwise the minimum-norm fit).
    Exact for an affine step whenever ``X`` has full rank.

    Shapes: u, value: [B, *state] (dim = the product of ``state``); returns [B, dim, dim] (no graph)."""
    batch, state = u.shape[0], tuple(u.shape[1:])
    dim = u[0].numel()
    if members < 2:
        raise ConfigError(f"ensemble_members must be at least 2, got {members}",
                          hint=f"use at least dim + 1 = {dim + 1} members for a full-rank estimate")
    with torch.no_grad():
        eps = torch.randn((batch, members - 1, dim), generator=generator, dtype=u.dtype, device=u.device)
        perturbed = u.reshape(batch, 1, dim) + sigma * eps                        # [B, m-1, dim]
        stepped = solver.step(perturbed.reshape(-1, *state), h, correction).reshape(batch, members - 1, dim)
        x = torch.cat([u.reshape(batch, 1, dim), perturbed], dim=1)              # [B, m, dim]
        y = torch.cat([value.reshape(batch, 1, dim), stepped], dim=1)
        x = (x - x.mean(dim=1, keepdim=True)).transpose(1, 2)                    # [B, dim, m]
        y = (y - y.mean(dim=1, keepdim=True)).transpose(1, 2)
        return y @ torch.linalg.pinv(x)


def _surrogate(solver: Any, u: Tensor, h: float, correction: Correction, mode: str, value: Tensor,
               ensemble_members: int, ensemble_sigma: float, generator: torch.Generator | None) -> Tensor:
    if mode == "static":
        return u + h * correction(u.detach())
    if mode == "straight_through":
        return u + h * correction(u)
    if mode == "first_order":
        return u + h * (solver.rhs(u) + correction(u))
    jac = ensemble_jacobian(solver, u.detach(), h, correction, value, ensemble_members, ensemble_sigma, generator)
    linear = torch.einsum("bij,bj->bi", jac, u.reshape(u.shape[0], -1)).reshape(u.shape)
    return linear + h * correction(u.detach())


def hybrid_step(solver: Any, u: Tensor, h: float, correction: Correction | None, mode: str, *,
                ensemble_members: int = 5, ensemble_sigma: float = 1.0,
                generator: torch.Generator | None = None) -> Tensor:
    """One step of ``du/dt = F(u) + correction(u)``: the value is ``solver.step(u, h, correction)`` (bit for bit,
    computed without a graph except in mode ``exact``), the gradient w.r.t. the correction's parameters and
    ``u`` is the one of ``mode`` (see the module docstring).

    Shapes: u: [B, dim] -> [B, dim] (any [B, *state] works: the ensemble Jacobian acts on the flattened state).
    ``h`` in the time unit of the data."""
    check_mode(mode, solver)
    if mode == "exact":
        return solver.step(u, h, correction)
    with torch.no_grad():
        value = solver.step(u.detach(), h, correction)
    if correction is None:
        return value
    surrogate = _surrogate(solver, u, h, correction, mode, value, ensemble_members, ensemble_sigma, generator)
    return value_with_gradient_of(value, surrogate)


def rollout(solver: Any, u0: Tensor, h: float, n: int, correction: Correction | None, mode: str,
            **kw: Any) -> Tensor:
    """``n`` hybrid steps from ``u0``; keyword arguments go to ``hybrid_step``.

    Shapes: u0: [B, dim] -> [n + 1, B, dim] (row 0 is ``u0``)."""
    check_mode(mode, solver)
    states = [u0]
    for _ in range(n):
        states.append(hybrid_step(solver, states[-1], h, correction, mode, **kw))
    return torch.stack(states)
