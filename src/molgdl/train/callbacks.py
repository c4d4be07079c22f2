"""Lightning callbacks owned by the core."""

from __future__ import annotations

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
