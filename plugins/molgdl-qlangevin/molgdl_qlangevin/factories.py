"""Optimizer factories ``factory(params, parameters) -> torch.optim.Optimizer`` (imported lazily by hooks)."""

from __future__ import annotations

from typing import Any, Iterable

import torch

from molgdl.errors import ConfigError

from .optimizer import QuantizedOptimizer
from .params import QAdamParams, QSGDParams, QuantizationParams, QuantizedParams, SGLDParams
from .schedules import ResolutionSchedule
from .sgld import SGLD


def quantize_optimizer(base: torch.optim.Optimizer, params: QuantizationParams) -> QuantizedOptimizer:
    """Wrap ``base`` with the lattice described by ``params``."""
    return QuantizedOptimizer(base, ResolutionSchedule(**params.schedule_kwargs()), **params.quantizer_kwargs())


def build_qsgd(params: QSGDParams, parameters: Iterable[Any]) -> QuantizedOptimizer:
    base = torch.optim.SGD(parameters, lr=params.lr, momentum=params.momentum, weight_decay=params.weight_decay,
                           nesterov=params.nesterov, foreach=True)
    return quantize_optimizer(base, params)


def build_qadam(params: QAdamParams, parameters: Iterable[Any]) -> QuantizedOptimizer:
    cls = torch.optim.AdamW if params.decoupled else torch.optim.Adam
    base = cls(parameters, lr=params.lr, betas=params.betas, weight_decay=params.weight_decay, foreach=True)
    return quantize_optimizer(base, params)


def build_quantized(params: QuantizedParams, parameters: Iterable[Any]) -> QuantizedOptimizer:
    """The base optimizer is built from the installed components, its params validated (molgdl's
    ``build_base_optimizer``)."""
    from molgdl.train.wrapper import build_base_optimizer

    base = build_base_optimizer(params.base, parameters)
    if isinstance(base, QuantizedOptimizer):
        raise ConfigError(f"optimizer.base {params.base['name']!r} already quantizes",
                          hint="wrap an unquantized optimizer such as adam or sgd")
    return quantize_optimizer(base, params)


def build_sgld(params: SGLDParams, parameters: Iterable[Any]) -> SGLD:
    return SGLD(parameters, lr=params.lr, temperature=params.temperature, noise_std=params.noise_std,
                weight_decay=params.weight_decay, seed=params.seed)
