"""Hook implementations of the molgdl-coherence plugin (no torch import: factories import lazily)."""

from __future__ import annotations

from typing import Any

from molgdl import hookimpl
from molgdl.errors import ConfigError
from molgdl.specs import CallbackSpec, OptimizerSpec

from .params import CoherenceParams, FeederParams, M3Params, RM3Params, WinsorizedParams

FEEDER = "per_example_gradients"
NEEDS_FEEDER = ("winsorized", "m3")


def _coherence(params):
    from .factories import build_coherence

    return build_coherence(params)


def _feeder(params):
    from .factories import build_feeder

    return build_feeder(params)


def _robust(rule: str):
    def factory(params, parameters):
        from .factories import build_robust

        return build_robust(rule, params, parameters)

    factory.__name__ = f"_{rule}"
    return factory


@hookimpl
def molgdl_callbacks():
    return [
        CallbackSpec("coherence", "m-coherence of per-molecule gradients on a fixed training sample, per "
                     "parameter group, every n epochs: coherence.csv + .png (Chatterjee & Zielinski 2022)",
                     _coherence, CoherenceParams),
        CallbackSpec(FEEDER, "per-molecule gradients of each training batch, handed to the winsorized and m3 "
                     "optimizers before every step", _feeder, FeederParams),
    ]


@hookimpl
def molgdl_optimizers():
    return [
        OptimizerSpec("winsorized", "any registered optimizer (base: {name: ...}) stepped with winsorized "
                      "per-example gradients (Chatterjee 2020); needs callback per_example_gradients",
                      _robust("winsorized"), WinsorizedParams),
        OptimizerSpec("m3", "any registered optimizer stepped with the coordinate-wise median of three "
                      "group-mean gradients (M3, Zielinski et al. 2020); needs callback "
                      "per_example_gradients",
                      _robust("m3"), M3Params),
        OptimizerSpec("rm3", "any registered optimizer stepped with the coordinate-wise median of the last "
                      "three minibatch gradients (RM3, Zielinski et al. 2020)", _robust("rm3"), RM3Params),
    ]


def _uses(block: Any, names: tuple[str, ...]) -> str | None:
    """The first optimizer name among ``names`` in an optimizer block (``base`` blocks included)."""
    while isinstance(block, dict):
        if block.get("name") in names:
            return block["name"]
        block = block.get("base")
    return None


@hookimpl
def molgdl_run_start(run_dir, config):
    """A run with the winsorized or m3 optimizer needs the per_example_gradients callback: fail before data
    loading instead of silently training with the plain mean."""
    rule = _uses(config.get("optimizer"), NEEDS_FEEDER)
    callbacks = [c.get("name") for c in config.get("callbacks") or [] if isinstance(c, dict)]
    if rule and FEEDER not in callbacks:
        raise ConfigError(f"optimizer {rule!r} needs the per-example gradients of every batch, but the "
                          f"config has no {FEEDER!r} callback",
                          hint=f"add `callbacks: [{{name: {FEEDER}}}]` (key: callbacks)")
