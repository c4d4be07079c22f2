"""Weight snapshots along one training trajectory (Langevin posterior samples): a Lightning callback that saves
the model's weights at the end of the planned epochs into ``<replicate>/snapshots/epoch_<e>.pt``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl

SNAPSHOT_DIR = "snapshots"


class SnapshotCallback(pl.Callback):
    def __init__(self, folder: Path, epochs: list[int]) -> None:
        self.folder = Path(folder)
        self.epochs = set(epochs)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: Any) -> None:
        epoch = trainer.current_epoch
        if epoch not in self.epochs or not trainer.is_global_zero:
            return
        from molgdl.train.checkpoint_io import atomic_save

        self.folder.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().clone() for k, v in pl_module.model.state_dict().items()}
        atomic_save({"state_dict": state, "epoch": epoch}, self.folder / f"epoch_{epoch:04d}.pt")


def snapshot_callbacks(plan, replicate_dir: Path, max_epochs: int) -> list[pl.Callback]:
    if plan is None or plan.snapshots is None:
        return []
    return [SnapshotCallback(Path(replicate_dir) / SNAPSHOT_DIR, plan.snapshots.epochs(max_epochs))]
