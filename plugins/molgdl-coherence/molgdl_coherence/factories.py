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
    """The base optimizer is looked up among the installed components (a fresh plugin manager: the factory
    does not receive the run's registry) and its params are validated here."""
    from molgdl.config.load import validate_params
    from molgdl.config.schema import ComponentRef
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry

    from .optimizer import RobustOptimizer

    ref = ComponentRef(**params.base)
    spec = Registry(create_plugin_manager()).get("optimizer", ref.name, where="optimizer.base.name")
    base = spec.factory(validate_params(spec, ref, "optimizer.base"), parameters)
    if isinstance(base, RobustOptimizer):
        raise ConfigError(f"optimizer.base {ref.name!r} is already a robust aggregator",
                          hint="wrap a plain optimizer such as adam or sgd")
    c = params.c if isinstance(params, WinsorizedParams) else 0
    return RobustOptimizer(base, rule, c=c)
