"""Resolution schedules ``h(t)`` and the resolution ``Q_p(t) = eta * b**h(t)`` (pure Python, no torch).

``t = epoch + batch / B`` is the training time in epochs (B batches per epoch). Every schedule is a
non-decreasing integer function of ``t`` starting at ``h0``, capped at ``h_max`` (if given) and at
``level_cap(eta, b)``, the largest level with ``Q_p <= 2**64`` (beyond that a float32 parameter
below ``2**-40`` is the only thing the lattice could still change, and ``Q_p * x`` would risk overflow).

| schedule | h(t) |
|---|---|
| constant | ``h0`` |
| linear | ``h0 + floor(rate * t)`` |
| log | ``h0 + floor(log_b(sqrt(ln(t / tau + 2) / ln 2)))`` |
| step | ``h0 + step_size * floor(t / step_every)`` |

The ``log`` schedule is the annealing-compatible one: with the floor, ``Q_p(t) <= Q_p(0) *
sqrt(ln(t/tau + 2) / ln 2)``, so the implied temperature ``T = 1 / (24 lr Q_p^2)`` satisfies
``T(t) >= T(0) ln 2 / ln(t/tau + 2)`` (Geman-Hwang form ``c / log(t + 2)`` with ``c = T(0) ln 2``, at
constant lr). It grows extremely slowly: with ``b = 2`` the first increment comes at ``t/tau = 14``,
the second at ``t/tau = 65534``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SCHEDULES = ("constant", "linear", "log", "step")
Q_LIMIT = 2.0**64
_EPS = 1e-9  # floor(x + eps): 0.3 * 10 must give level 3, not 2


def level_cap(eta: float, b: int) -> int:
    """Largest integer ``h`` with ``eta * b**h <= 2**64`` (may be negative when eta > 2**64)."""
    h = math.floor(math.log(Q_LIMIT / eta) / math.log(b))
    while eta * float(b) ** (h + 1) <= Q_LIMIT:
        h += 1
    while h > -1075 and eta * float(b) ** h > Q_LIMIT:
        h -= 1
    return h


def temperature(lr: float, resolution: float) -> float:
    """Langevin temperature implied by the rounding noise: ``T = 1 / (24 lr Q_p^2)`` (Euler-Maruyama
    step ``lr``, per-step noise variance ``2 T lr = 1 / (12 Q_p^2)``)."""
    return 1.0 / (24.0 * lr * resolution**2)


@dataclass(frozen=True)
class ResolutionSchedule:
    """``Q_p(t) = eta * b**h(t)``; see the module docstring for ``h(t)``.

    eta: base resolution (lattice points per unit of the parameter) at level 0, > 0;
    b: integer base >= 2 (nested lattices: a level-h point is a level-(h+1) point);
    h0: level at t = 0; kind: one of ``SCHEDULES``; rate: levels per epoch (linear);
    tau: time scale in epochs (log); step_every: epochs between steps, step_size: levels per step (step);
    h_max: optional cap on the level.
    """

    eta: float
    b: int
    h0: int = 0
    kind: str = "constant"
    rate: float = 0.1
    tau: float = 1.0
    step_every: float = 10.0
    step_size: int = 1
    h_max: int | None = None

    def __post_init__(self) -> None:
        # the params model gives users the friendly errors; this guards direct Python use
        if not (math.isfinite(self.eta) and self.eta > 0):
            raise ValueError(f"eta must be a finite number > 0, got {self.eta}")
        if int(self.b) != self.b or self.b < 2:
            raise ValueError(f"b must be an integer >= 2, got {self.b}")
        if self.kind not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.kind!r}; choose one of {', '.join(SCHEDULES)}")
        if not (self.rate > 0 and self.tau > 0 and self.step_every > 0 and self.step_size >= 1):
            raise ValueError("rate, tau and step_every must be > 0 and step_size >= 1")
        if self.h0 > level_cap(self.eta, self.b):
            raise ValueError(f"eta * b**h0 = {self.eta * float(self.b) ** self.h0:.3g} exceeds 2**64")
        if self.h_max is not None and self.h_max < self.h0:
            raise ValueError(f"h_max ({self.h_max}) must be >= h0 ({self.h0})")

    @property
    def top_level(self) -> int:
        cap = level_cap(self.eta, self.b)
        return cap if self.h_max is None else min(cap, self.h_max)

    def level(self, t: float) -> int:
        """``h(t)`` for training time ``t >= 0`` in epochs."""
        if t < 0:
            raise ValueError(f"training time must be >= 0, got {t}")
        if self.kind == "constant":
            inc = 0
        elif self.kind == "linear":
            inc = math.floor(self.rate * t + _EPS)
        elif self.kind == "log":
            ratio = math.log(t / self.tau + 2.0) / math.log(2.0)
            inc = math.floor(0.5 * math.log(ratio) / math.log(self.b) + _EPS)
        else:
            inc = self.step_size * math.floor(t / self.step_every + _EPS)
        return min(self.h0 + inc, self.top_level)

    def resolution_at_level(self, h: int) -> float:
        """``eta * b**h`` in float64 (exact when eta and b**h are, e.g. powers of two or integers < 2**53)."""
        return self.eta * float(self.b) ** h

    def resolution(self, t: float) -> float:
        return self.resolution_at_level(self.level(t))

    @property
    def constant(self) -> bool:
        return self.kind == "constant" or self.top_level == self.h0
