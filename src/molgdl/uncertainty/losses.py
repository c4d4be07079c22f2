"""Losses and output transforms of the uncertainty heads (pure tensor maths).

Layouts of the head output ``out: [B, k*T]`` (scaled target units, ``T`` targets):
``mve``: ``[mu | s]`` with ``s = log variance``; ``evidential``: ``[gamma | nu' | alpha' | beta']``, with
``nu = softplus(nu')``, ``alpha = softplus(alpha') + 1``, ``beta = softplus(beta')`` (chemprop v2's
EvidentialFFN). The first ``T`` columns are always the point prediction.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn.functional import softplus

#: outputs per target of each head kind
HEAD_WIDTH = {"point": 1, "mve": 2, "evidential": 4}
LOG_VAR_CLAMP = 20.0


def gaussian_nll(mu: Tensor, log_var: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``0.5 * (log var + (y - mu)^2 / var)`` (the Gaussian NLL without ``0.5 log 2 pi``)."""
    return 0.5 * (log_var + (y - mu) ** 2 * torch.exp(-log_var))


def nig_parameters(out: Tensor, n_targets: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """``(gamma, nu, alpha, beta)``, each ``[B, T]``, from an evidential head's ``[B, 4T]`` output."""
    gamma, nu, alpha, beta = torch.split(out, n_targets, dim=-1)
    return gamma, softplus(nu), softplus(alpha) + 1.0, softplus(beta)


def evidential_loss(gamma: Tensor, nu: Tensor, alpha: Tensor, beta: Tensor, y: Tensor, lam: float) -> Tensor:
    """Elementwise deep evidential regression loss (Amini et al. 2020; chemprop v2 ``EvidentialLoss``):
    the NLL of the Student-t marginal of the Normal-Inverse-Gamma plus ``lam * |y - gamma| * (2 nu + alpha)``."""
    r = y - gamma
    two_b_lambda = 2.0 * beta * (1.0 + nu)
    nll = (0.5 * torch.log(math.pi / nu) - alpha * torch.log(two_b_lambda)
           + (alpha + 0.5) * torch.log(nu * r ** 2 + two_b_lambda)
           + torch.lgamma(alpha) - torch.lgamma(alpha + 0.5))
    return nll + lam * r.abs() * (2.0 * nu + alpha)


def head_moments(head: str, out: Tensor, n_targets: int) -> tuple[Tensor, Tensor]:
    """``(mean, variance)`` ``[B, T]`` in scaled units of one forward pass (variance 0 for a point head;
    evidential: the total variance ``beta / (alpha - 1) * (1 + 1/nu)``)."""
    mu = out[:, :n_targets]
    if head == "mve":
        return mu, torch.exp(out[:, n_targets:2 * n_targets].clamp(-LOG_VAR_CLAMP, LOG_VAR_CLAMP))
    if head == "evidential":
        _, nu, alpha, beta = nig_parameters(out, n_targets)
        return mu, beta / (alpha - 1.0) * (1.0 + 1.0 / nu)
    return mu, torch.zeros_like(mu)


def head_loss(head: str, out: Tensor, y: Tensor, lam: float = 0.2) -> tuple[Tensor, Tensor]:
    """``(loss, mask)`` ``[B, T]`` of an mve or evidential head; ``y: [B, T]`` scaled, NaN = missing."""
    mask = ~torch.isnan(y)
    target = torch.nan_to_num(y, nan=0.0)
    n = y.shape[-1]
    if head == "mve":
        log_var = out[:, n:2 * n].clamp(-LOG_VAR_CLAMP, LOG_VAR_CLAMP)
        per = gaussian_nll(out[:, :n], log_var, target)
    elif head == "evidential":
        per = evidential_loss(*nig_parameters(out, n), target, lam)
    else:
        raise ValueError(f"head {head!r} has no loss of its own")
    return per * mask, mask
