"""``QuantizedOptimizer``: any torch optimizer, then every stepped parameter rounded to a lattice.

Update (QSGD with base SGD, QAdam with base Adam; ``d`` is the base optimizer's step)::

    x_{k+1} = Q_p(t_k)^-1 round(Q_p(t_k) (x_k - d_k)),   Q_p(t) = eta * b**h(t),   t_k = k / B

``k`` counts the optimizer steps (kept in the state dict), ``B`` is the number of batches per epoch
(``set_steps_per_epoch``; molgdl's training module calls it at train start), so ``t_k = epoch +
batch / B`` exactly as in the paper.

Under the white-noise hypothesis the rounding adds ``U[-1/(2Q), 1/(2Q))`` noise to every coordinate,
variance ``1/(12 Q^2)``: Euler-Maruyama at step ``lr`` and temperature ``T = 1/(24 lr Q^2)``.
Caveat (measured by ``frozen_frac``): where the base step is below half a lattice spacing the rounding
undoes it and the parameter freezes; the noise only exists for steps larger than the spacing.

Diagnostics: one step per epoch (the middle batch, ``stats_every=None``) or every ``stats_every``-th
step is measured, on a fixed random sample of at most ``stats_sample`` coordinates per tensor (their values
before and after the base step and after the rounding; each sampled coordinate counts for ``numel / k`` of
its tensor, so the averages estimate those over all elements, and are exact for tensors no larger than the
sample). A measured step costs little more than an unmeasured one (QSGD: it runs unfused);
``epoch_stats()`` returns the epoch's averages and resets them:
``resolution`` (Q_p at the last step), ``level`` (h), ``spacing`` (1/Q_p), ``temperature``
(1/(24 lr Q_p^2) with the first group's current lr), ``frozen_frac`` (of the elements the base step
moved, the fraction the rounding put back exactly where they were: the step was below half a spacing),
``moved_frac`` (elements the base step moved, over all elements with a gradient: zero gradients, e.g.
dead ReLU units, do not move), ``quant_err`` (mean |x_q - x| over all elements, in parameter units) and
``quant_err_rel`` (the same in lattice spacings: 1/4 under the white-noise hypothesis, less when steps
are frozen), ``measured_steps``.
The state dict is the base optimizer's plus a ``qlangevin`` entry (step count, generator states); the
diagnostics accumulators are not saved (they restart at zero after a resume).
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import Tensor
from torch.optim import Optimizer

from molgdl.train.wrapper import OptimizerWrapper

from . import native
from .fused import StepScalars, fused_sgd_lattice_step_
from .lattice import group_by_device_dtype, is_power_of_two, quantize_
from .rng import DeviceGenerators, draw_seed
from .schedules import ResolutionSchedule, temperature

ROUNDINGS = ("nearest", "stochastic")


def check_fusable(base: Optimizer) -> None:
    """The fused QSGD step reproduces plain ``torch.optim.SGD`` (dampening 0, not maximize) only."""
    if type(base) is not torch.optim.SGD:
        raise ValueError(f"fused_sgd needs a torch.optim.SGD base optimizer, got {type(base).__name__}")
    for group in base.param_groups:
        if group.get("dampening", 0) or group.get("maximize", False):
            raise ValueError("fused_sgd supports SGD with dampening 0 and maximize False")


class QuantizedOptimizer(OptimizerWrapper):
    """Wraps ``base`` (whose ``param_groups`` and ``state`` it shares, so lr schedulers work unchanged).

    Args:
        base: the optimizer whose step is quantized (any ``torch.optim.Optimizer`` that does not need
            to re-evaluate the closure itself, i.e. not LBFGS).
        schedule: the resolution schedule ``Q_p(t)``.
        rounding: ``"nearest"`` (the method) or ``"stochastic"`` (unbiased dithered rounding).
        seed: seed of the stochastic-rounding generator (None: drawn from torch's global RNG; unused
            with nearest rounding).
        stats_every: measure the diagnostics on every n-th step (0: never; None: the middle batch of every
            epoch, every 10th step while steps_per_epoch is unknown).
        stats_sample: coordinates per tensor that a measured step looks at (0: all of them).
        steps_per_epoch: B; None until ``set_steps_per_epoch`` is called (needed by every schedule
            but ``constant``).
        fused_sgd: ``base`` is ``torch.optim.SGD``: run its update and the rounding as one pass over memory
            on unmeasured steps with nearest rounding and a power-of-two ``Q``: a C loop on the CPU
            (:mod:`molgdl_qlangevin.native`), a ``torch.compile`` kernel elsewhere (:mod:`molgdl_qlangevin.fused`).
            ``None`` (default): the C loop wherever it reproduces the unfused step (plain SGD base, nearest
            rounding, CPU float32/float64), unfused otherwise; ``True``: also torch.compile (validated);
            ``False``: never fused.
    """

    def __init__(self, base: Optimizer, schedule: ResolutionSchedule, *, rounding: str = "nearest",
                 seed: int | None = None, stats_every: int | None = None, stats_sample: int = 4096,
                 steps_per_epoch: int | None = None, fused_sgd: bool | None = None) -> None:
        if rounding not in ROUNDINGS:
            raise ValueError(f"rounding must be one of {ROUNDINGS}, got {rounding!r}")
        if stats_every is not None and stats_every < 0:
            raise ValueError(f"stats_every must be >= 0 or None, got {stats_every}")
        if stats_sample < 0:
            raise ValueError(f"stats_sample must be >= 0, got {stats_sample}")
        if fused_sgd:
            check_fusable(base)
            if rounding != "nearest":
                raise ValueError("fused_sgd needs rounding='nearest'")
        elif fused_sgd is None:  # auto: the CPU loop wherever it reproduces the unfused step
            try:
                check_fusable(base)
            except ValueError:
                fused_sgd = False
            if rounding != "nearest":
                fused_sgd = False
        super().__init__(base)
        self.fused_sgd = fused_sgd
        self._fused_scalars = StepScalars()
        self.schedule = schedule
        self.rounding = rounding
        self.stats_every = None if stats_every is None else int(stats_every)
        self.stats_sample = int(stats_sample)
        self._sample_idx: dict[int, Tensor] = {}
        self.steps_per_epoch: int | None = None
        if steps_per_epoch is not None:
            self.set_steps_per_epoch(steps_per_epoch)
        self.steps = 0
        self._gens = DeviceGenerators(draw_seed() if seed is None and rounding == "stochastic" else (seed or 0))
        self._reset_stats()
        self._last: dict[str, float] = {}

    # --- schedule position ---------------------------------------------------------------------------
    def set_steps_per_epoch(self, steps: int) -> None:
        """B, the number of optimizer steps (batches) per epoch: ``t = steps / B``."""
        if int(steps) != steps or steps < 1:
            raise ValueError(f"steps_per_epoch must be an integer >= 1, got {steps}")
        self.steps_per_epoch = int(steps)

    @property
    def epoch_time(self) -> float:
        """``t = epoch + batch / B`` of the next step."""
        if self.steps_per_epoch is None:
            if self.schedule.constant:
                return 0.0
            raise RuntimeError(
                f"the {self.schedule.kind!r} resolution schedule needs the number of batches per epoch: call "
                "set_steps_per_epoch(B) before the first step (molgdl's trainer does it at train start)")
        return self.steps / self.steps_per_epoch

    def level(self) -> int:
        return self.schedule.level(self.epoch_time)

    def resolution(self) -> float:
        return self.schedule.resolution_at_level(self.level())

    # --- the step ------------------------------------------------------------------------------------
    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self.closure_loss(closure)
        h = self.level()
        q = self.schedule.resolution_at_level(h)
        measure = self._measure_this_step()
        if self.fused_sgd is not False and not measure and is_power_of_two(q) and self._fused_sgd_step(q):
            return self._finish_step(loss, h, q)
        groups = group_by_device_dtype([p for g in self.param_groups for p in g["params"] if p.grad is not None])
        before = {k: [self._sampled(p) for p in ps] for k, ps in groups.items()} if measure else {}
        self.base.step()
        stochastic = self.rounding == "stochastic"
        for key, ps in groups.items():
            after_base = [self._sampled(p) for p in ps] if measure else None
            quantize_(ps, q, stochastic=stochastic, generator=self._gens.get(key[0]) if stochastic else None)
            if measure:
                self._accumulate(ps, before[key], after_base, q)
        if measure:
            self._stats["steps"] += 1
        return self._finish_step(loss, h, q)

    def _finish_step(self, loss: Any, h: int, q: float) -> Any:
        lr = float(self.param_groups[0]["lr"])
        self._last = {"resolution": q, "level": float(h), "spacing": 1.0 / q, "temperature": temperature(lr, q)}
        self.steps += 1
        return loss

    def _fused_sgd_step(self, q: float) -> bool:
        """SGD + rounding in one pass per device/dtype group: the CPU loop when it takes every group, else (with
        ``fused_sgd=True``) the compiled kernel. ``False`` if it could not run; nothing has moved then
        (compilation can only fail on the first call, before any parameter is written)."""
        work = []
        for group in self.param_groups:
            ps = [p for p in group["params"] if p.grad is not None]
            momentum = float(group["momentum"])
            if momentum:
                for p in ps:
                    if self.state[p].get("momentum_buffer") is None:
                        self.state[p]["momentum_buffer"] = torch.zeros_like(p)  # mu * 0 + g = torch's first step
            hyper = (momentum, float(group["weight_decay"]), bool(group["nesterov"]))
            for key, gps in group_by_device_dtype(ps).items():
                bufs = [self.state[p]["momentum_buffer"] for p in gps] if momentum else []
                work.append((key, gps, [p.grad for p in gps], bufs, float(group["lr"]), hyper))
        if all(native.supports(ps, gs, bs) for _, ps, gs, bs, _, _ in work) and native.build() is not None:
            for _, ps, gs, bs, lr, hyper in work:
                native.sgd_lattice_step_(ps, gs, bs, lr, q, *hyper, checked=True)
            return True
        if not self.fused_sgd:  # auto mode: only the CPU loop
            return False
        for i, ((device, dtype), ps, gs, bs, lr, hyper) in enumerate(work):
            scalars = self._fused_scalars.get(device, dtype, lr, q)
            if not fused_sgd_lattice_step_([p.detach() for p in ps], gs, bs, scalars, *hyper):
                if i:
                    raise RuntimeError("qsgd fused: torch.compile failed after part of the step ran")
                return False
        return True

    def _measure_this_step(self) -> bool:
        if self.stats_every is None:
            if self.steps_per_epoch is None:
                return self.steps % 10 == 0
            return self.steps % self.steps_per_epoch == self.steps_per_epoch // 2
        return self.stats_every > 0 and self.steps % self.stats_every == 0

    def _sample_index(self, p: Tensor) -> Tensor | None:
        """The fixed coordinates of ``p`` (flattened) that measured steps look at; None: all of them."""
        n = p.numel()
        if not self.stats_sample or n <= self.stats_sample:
            return None
        idx = self._sample_idx.get(id(p))
        if idx is None or idx.device != p.device or int(idx.max()) >= n:
            g = torch.Generator().manual_seed(len(self._sample_idx))
            idx = torch.randperm(n, generator=g)[: self.stats_sample].sort().values.to(p.device)
            self._sample_idx[id(p)] = idx
        return idx

    def _sampled(self, p: Tensor) -> Tensor:
        """A copy of the sampled coordinates of ``p``, shape ``[k]`` (``k = min(numel, stats_sample)``)."""
        idx = self._sample_index(p)
        flat = p.detach().reshape(-1)
        return flat.clone() if idx is None else flat.index_select(0, idx)

    def _accumulate(self, new: list[Tensor], old: list[Tensor], pre: list[Tensor], q: float) -> None:
        """``new``: the parameters after rounding; ``old``/``pre``: samples before / after the base step."""
        s = self._stats
        for p_new, x_old, x_pre in zip(new, old, pre):
            x_new = self._sampled(p_new)
            weight = p_new.numel() / x_new.numel()  # each sampled coordinate stands for this many
            moved = x_pre != x_old
            stayed = x_new == x_old
            stayed &= moved
            # |x_q - x| (exact in the parameter dtype: the two are within half a spacing)
            err = float(x_pre.sub_(x_new).abs_().sum()) * weight
            s["moved"] += int(moved.count_nonzero()) * weight
            s["frozen"] += int(stayed.count_nonzero()) * weight
            s["count"] += p_new.numel()
            s["err"] += err
            s["err_rel"] += err * q

    def _reset_stats(self) -> None:
        self._stats = {"moved": 0, "frozen": 0, "count": 0, "err": 0.0, "err_rel": 0.0, "steps": 0}

    # --- diagnostics (read once per epoch by molgdl's training module) --------------------------------
    def epoch_stats(self) -> dict[str, float]:
        """Resolution and temperature of the last step, frozen fraction and quantization error averaged
        over the measured steps since the last call; resets the averages."""
        out = dict(self._last)
        s = self._stats
        if s["count"]:
            out.update(quant_err=s["err"] / s["count"], quant_err_rel=s["err_rel"] / s["count"],
                       moved_frac=s["moved"] / s["count"])
        if s["moved"]:
            out["frozen_frac"] = s["frozen"] / s["moved"]
        out["measured_steps"] = float(s["steps"])
        self._reset_stats()
        return out

    # --- state: the base optimizer's plus the step count and generator states ------------------------------
    state_key = "qlangevin"

    def extra_state(self) -> dict[str, Any]:
        return {"steps": self.steps, "generators": self._gens.state_dict()}

    def load_extra_state(self, extra: dict[str, Any]) -> None:
        self.steps = int(extra["steps"])
        self._gens.load_state_dict(extra["generators"])

    @property
    def power_of_two(self) -> bool:
        """Whether the current resolution is a power of two (in-place, exact float32 rounding)."""
        return is_power_of_two(self.resolution())

    def __repr__(self) -> str:
        s = self.schedule
        return (f"QuantizedOptimizer(base={type(self.base).__name__}, eta={s.eta}, b={s.b}, h0={s.h0}, "
                f"schedule={s.kind}, rounding={self.rounding})")
