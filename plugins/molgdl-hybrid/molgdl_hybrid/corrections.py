"""The neural corrections ``M_theta`` of the ``dynamics`` task: a small registry inside the plugin.

A correction is an ``nn.Module`` mapping states ``[B, dim]`` to tendencies ``[B, dim]`` (state units per time
unit). ``correction: {name: mlp, hidden: [16, 16]}`` in a config picks one from ``CORRECTIONS`` and validates its
params. To add one (e.g. an equivariant force field for a molecular core), append a ``CorrectionSpec`` to
``CORRECTIONS`` below, like a hook list: its ``params`` model must not import torch at module level, and its
``factory(params, inputs: CorrectionInputs) -> nn.Module`` imports what it needs lazily.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Callable, Literal

from pydantic import Field

from molgdl.errors import ConfigError
from molgdl.specs import Params

from .molecular.params import E3NNForceParams


@dataclass(frozen=True)
class CorrectionInputs:
    """What a correction factory may use: the solver (``dim``, and whatever a molecular core exposes, e.g. atomic
    numbers), the time step ``dt`` and the training states (numpy float64 ``[N, dim]``, e.g. for input scaling)."""

    solver: Any
    dt: float
    train_states: Any


@dataclass(frozen=True)
class CorrectionSpec:
    name: str
    summary: str
    factory: Callable[[Params, CorrectionInputs], Any]
    params: type[Params]


class MLPParams(Params):
    hidden: list[int] = Field([16, 16], description="hidden layer widths (Ouala et al. use [3, 3] for Lorenz-63)")
    activation: Literal["tanh", "silu", "relu"] = Field("tanh", description="hidden activation")
    standardize: bool = Field(True, description="scale inputs by the training states' mean and std (fixed)")
    linear_skip: bool = Field(True, description="add a linear map of the input to the output (a linear "
                                                "closure is then learned fast)")


class ConstantParams(Params):
    init: float = Field(0.0, description="initial value of every component of theta")


def _mlp(params: MLPParams, inputs: CorrectionInputs):
    from .models import MLPCorrection

    return MLPCorrection(inputs.solver.dim, params.hidden, params.activation,
                         inputs.train_states if params.standardize else None, params.linear_skip)


def _constant(params: ConstantParams, inputs: CorrectionInputs):
    from .models import ConstantCorrection

    return ConstantCorrection(inputs.solver.dim, params.init)


def _e3nn_force(params, inputs: CorrectionInputs):
    from .molecular.build import build_e3nn_force

    return build_e3nn_force(params, inputs)


CORRECTIONS: list[CorrectionSpec] = [
    CorrectionSpec("mlp", "multilayer perceptron M_theta(u), optionally with standardized inputs and a linear skip",
                   _mlp, MLPParams),
    CorrectionSpec("constant", "a learned constant tendency M_theta(u) = theta", _constant, ConstantParams),
    CorrectionSpec("e3nn_force", "molecular cores: E(3)-equivariant correction force -dE_theta/dx (e3nn energy) as "
                   "an acceleration", _e3nn_force, E3NNForceParams),
]


def correction_spec(name: str, where: str = "correction.name") -> CorrectionSpec:
    """The registered correction called ``name``; a ``ConfigError`` with the choices and a did-you-mean otherwise."""
    names = [s.name for s in CORRECTIONS]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ConfigError(f"correction names registered twice in molgdl_hybrid.corrections: {dupes}",
                          hint="give each CorrectionSpec its own name")
    for spec in CORRECTIONS:
        if spec.name == name:
            return spec
    close = difflib.get_close_matches(name, names, n=1)
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(f"{where}: unknown correction {name!r}{guess}; choices: {', '.join(names)}",
                      hint="add a CorrectionSpec to molgdl_hybrid.corrections.CORRECTIONS for a new one")
