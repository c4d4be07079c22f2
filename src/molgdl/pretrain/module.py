"""The pretraining Lightning module: the property module's loss, plus where the stream stands (for --resume)."""

from __future__ import annotations

from typing import Any

from molgdl.train.module import PredictorModule


class PretrainModule(PredictorModule):
    """Regression on standardised descriptors; checkpoints record ``stream_row`` (last data row trained on) and
    ``molecules_seen`` so that a resumed run continues the stream after that row."""

    def __init__(self, model, make_optimizer) -> None:
        super().__init__(model, "regression", make_optimizer)
        self.last_row = -1
        self.molecules_seen = 0
        self._started = False

    def training_step(self, batch: Any, batch_idx: int):
        loss = super().training_step(batch, batch_idx)
        self.last_row = int(batch.src_row.max())
        self.molecules_seen += int(batch.num_graphs)
        return loss

    def on_train_epoch_start(self) -> None:
        if self._started:
            self.last_row = -1  # a new pass over the file (a resumed epoch keeps the row loaded from the checkpoint)
        self._started = True

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["stream_row"] = self.last_row
        checkpoint["molecules_seen"] = self.molecules_seen
