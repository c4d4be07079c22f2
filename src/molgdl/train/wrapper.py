"""``OptimizerWrapper``: the base class of optimizers that step a registered base optimizer and add their own
rule around its step (quantization, robust gradient aggregation, ...).

The wrapper shares the base optimizer's ``param_groups`` (the same list object) and ``state``, so learning-rate
schedulers and ``add_param_group`` act on one set of groups. ``state_dict()`` is the base optimizer's plus one
entry, ``state_key``, holding what ``extra_state()`` returns; ``load_state_dict`` restores both and keeps the
shared list. Subclasses implement ``step(closure)``; ``closure_loss(closure)`` evaluates the closure with
gradients enabled (Lightning passes one).
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar

import torch
from torch.optim import Optimizer


class OptimizerWrapper(Optimizer):
    """Wraps ``base`` (any ``torch.optim.Optimizer`` that is not itself a ``type(self)``)."""

    state_key: ClassVar[str] = "wrapper"

    def __init__(self, base: Optimizer) -> None:
        if not isinstance(base, Optimizer):
            raise TypeError(f"base must be a torch.optim.Optimizer, got {type(base).__name__}")
        if isinstance(base, type(self)):
            raise TypeError(f"base is already a {type(self).__name__}")
        self._linked = False
        self.base = base
        super().__init__(base.param_groups, base.defaults)
        self.param_groups = base.param_groups  # one list, shared: schedulers and add_param_group see the same
        self.state = base.state
        self._linked = True

    @staticmethod
    def closure_loss(closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with torch.enable_grad():
            return closure()

    def params(self) -> list[torch.Tensor]:
        """Every parameter of every group, in order (the indexing of the state dict)."""
        return [p for g in self.param_groups for p in g["params"]]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if getattr(self, "_linked", False):
            self.base.add_param_group(param_group)  # appends to the shared list
        else:
            super().add_param_group(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.base.zero_grad(set_to_none=set_to_none)

    def extra_state(self) -> Any:
        """What the wrapper itself must save (step counts, histories, generator states)."""
        return None

    def load_extra_state(self, extra: Any) -> None:
        """Restore ``extra_state()``'s value (called after the base optimizer's state is loaded)."""

    def state_dict(self) -> dict[str, Any]:
        sd = self.base.state_dict()
        sd[self.state_key] = self.extra_state()
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        sd = dict(state_dict)
        extra = sd.pop(self.state_key, None)
        groups = self.param_groups
        self.base.load_state_dict(sd)
        groups[:] = self.base.param_groups  # keep the list object that schedulers/wrappers hold
        self.base.param_groups = groups
        self.state = self.base.state
        if extra is not None:
            self.load_extra_state(extra)


def build_base_optimizer(base: dict[str, Any], parameters: Any, where: str = "optimizer.base") -> Optimizer:
    """Build the registered optimizer named in ``base`` (``{name: ..., <its params>}``, a ``WrapperParams.base``)
    over ``parameters``, with its params validated; a wrong name or param is a ``ConfigError`` at ``where``.
    The optimizer is looked up among the installed components (a fresh plugin manager: optimizer factories do
    not receive the run's registry)."""
    from molgdl.config.load import validate_params
    from molgdl.config.schema import ComponentRef
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry

    ref = ComponentRef(**base)
    spec = Registry(create_plugin_manager()).get("optimizer", ref.name, where=f"{where}.name")
    return spec.factory(validate_params(spec, ref, where), parameters)
