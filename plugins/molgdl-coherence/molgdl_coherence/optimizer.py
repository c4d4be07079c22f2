"""``RobustOptimizer``: any torch optimizer stepped with a robust average of gradients instead of the mean.

Rules:

``winsorized`` / ``m3``
    need the per-example gradients of the current batch, handed over with ``set_example_gradients({param:
    Tensor[B, *shape]})`` before ``step()`` (molgdl: the ``per_example_gradients`` callback does it before
    every training step). At ``step()`` each fed parameter's ``.grad`` is replaced by the robust average; a
    step without fed gradients uses ``.grad`` unchanged (the plain mean) and is counted: ``epoch_stats()``
    reports ``robust_frac``, the fraction of steps that were robust.
``rm3``
    the coordinate-wise median of the minibatch gradients of the current and the two previous steps (kept in
    the state dict, so a resumed run continues exactly); the first two steps use the current gradient.

The wrapper shares ``param_groups`` and ``state`` with the base optimizer, so lr schedulers work unchanged.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

import torch
from torch import Tensor
from torch.optim import Optimizer

from molgdl.train.wrapper import OptimizerWrapper

from .aggregate import m3, median_of_3, winsorized_mean

RULES = ("winsorized", "m3", "rm3")
NEEDS_EXAMPLES = ("winsorized", "m3")
log = logging.getLogger("molgdl")


class RobustOptimizer(OptimizerWrapper):
    """Wraps ``base``; ``rule`` in ``RULES``; ``c``: the winsorization depth (``winsorized`` only)."""

    def __init__(self, base: Optimizer, rule: str, c: int = 1) -> None:
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
        super().__init__(base)
        self.rule, self.c = rule, int(c)
        self._examples: dict[Tensor, Tensor] = {}
        self._history: dict[Tensor, list[Tensor]] = {}
        self._warned = False
        self._stats = {"steps": 0, "robust": 0}

    # --- per-example gradients (winsorized, m3) --------------------------------------------------------
    def set_example_gradients(self, grads: Mapping[Tensor, Tensor]) -> None:
        """Per-example gradients ``{parameter: Tensor[B, *parameter.shape]}`` for the next ``step()``."""
        if self.rule in NEEDS_EXAMPLES:
            self._examples = dict(grads)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self.closure_loss(closure)
        robust = False
        if self.rule == "rm3":
            robust = self._rm3()
        elif self._examples:
            for p in self.params():
                g = self._examples.get(p)
                if p.grad is None or g is None:
                    continue
                agg = winsorized_mean(g, self.c) if self.rule == "winsorized" else m3(g)
                p.grad.copy_(agg.to(p.grad.dtype))
            robust = True
        elif not self._warned:
            self._warned = True
            log.warning("%s optimizer: no per-example gradients for this step, so it used the plain mean "
                        "gradient; add `callbacks: [{name: per_example_gradients}]` to the config", self.rule)
        self._examples = {}
        self._stats["steps"] += 1
        self._stats["robust"] += int(robust)
        self.base.step()
        return loss

    def _rm3(self) -> bool:
        robust = False
        for p in self.params():
            if p.grad is None:
                continue
            hist = self._history.setdefault(p, [])
            current = p.grad.detach().clone()
            if len(hist) == 2:
                p.grad.copy_(median_of_3(current, hist[0], hist[1]))
                robust = True
            hist.append(current)
            del hist[:-2]
        return robust

    # --- optional molgdl optimizer protocol ------------------------------------------------------------
    def epoch_stats(self) -> dict[str, float]:
        """``robust_frac``: fraction of the steps since the last call that used the robust average."""
        s = self._stats
        out = {"robust_frac": s["robust"] / s["steps"]} if s["steps"] else {}
        self._stats = {"steps": 0, "robust": 0}
        return out

    # --- state: the base optimizer's plus the RM3 history --------------------------------------------------
    state_key = "robust"

    def extra_state(self) -> dict[str, Any]:
        params = self.params()
        history = {i: list(self._history[p]) for i, p in enumerate(params) if p in self._history}
        return {"rule": self.rule, "history": history}

    def load_extra_state(self, extra: dict[str, Any]) -> None:
        params = self.params()
        self._history = {params[int(i)]: [t.clone() for t in h] for i, h in extra["history"].items()}

    def __repr__(self) -> str:
        extra = f", c={self.c}" if self.rule == "winsorized" else ""
        return f"RobustOptimizer(rule={self.rule}{extra}, base={type(self.base).__name__})"
