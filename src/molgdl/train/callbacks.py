"""Lightning callbacks owned by the core."""

from __future__ import annotations

import time
from pathlib import Path

import pytorch_lightning as pl

from molgdl.lifecycle import call_lifecycle


class LifecycleCallback(pl.Callback):
    """Calls the ``molgdl_epoch_end`` hook after every validation epoch (rank 0 only)."""

    def __init__(self, pm, run_dir: Path) -> None:
        self.pm = pm
        self.run_dir = run_dir

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if getattr(v, "numel", lambda: 1)() == 1}
        call_lifecycle(self.pm, "molgdl_epoch_end", run_dir=self.run_dir, epoch=trainer.current_epoch, metrics=metrics)


class TrainingClock(pl.Callback):
    """Seconds of training summed over the attempts of a resumed run: each checkpoint stores the fit time up to it
    (its callback state), and a fit resumed from that checkpoint starts counting from there. ``before`` is the time
    of the earlier attempts up to the checkpoint resumed from (0 for a fresh fit); work done after that checkpoint
    by a killed attempt is done again, and counted once."""

    def __init__(self) -> None:
        self.before = 0.0
        self._start: float | None = None

    def _elapsed(self) -> float:
        return 0.0 if self._start is None else time.perf_counter() - self._start

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._start = time.perf_counter()

    def state_dict(self) -> dict[str, float]:
        return {"seconds": self.before + self._elapsed()}

    def load_state_dict(self, state_dict: dict[str, float]) -> None:
        self.before = float(state_dict.get("seconds", 0.0))
