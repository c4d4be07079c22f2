"""Factories (imported lazily by the hooks): callbacks and robust optimizers."""

from __future__ import annotations

from typing import Any, Iterable

from molgdl.errors import ConfigError

from .params import CoherenceParams, FeederParams, RobustParams, WinsorizedParams


def build_coherence(params: CoherenceParams):
    from .callback import CoherenceCallback

    return CoherenceCallback(**params.model_dump())


def build_feeder(params: FeederParams):
    from .callback import ExampleGradientFeeder

    return ExampleGradientFeeder(method=params.method, chunk=params.chunk)


def build_robust(rule: str, params: RobustParams, parameters: Iterable[Any]):
    """The base optimizer is built from the installed components, its params validated (molgdl's
    ``build_base_optimizer``)."""
    from molgdl.train.wrapper import build_base_optimizer

    from .optimizer import RobustOptimizer

    base = build_base_optimizer(params.base, parameters)
    if isinstance(base, RobustOptimizer):
        raise ConfigError(f"optimizer.base {params.base['name']!r} is already a robust aggregator",
                          hint="wrap a plain optimizer such as adam or sgd")
    c = params.c if isinstance(params, WinsorizedParams) else 0
    return RobustOptimizer(base, rule, c=c)
