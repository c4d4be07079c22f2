"""The pretraining Lightning module: the property module's loss, plus where the stream stands (for --resume)."""

from __future__ import annotations

from typing import Any

from molgdl.train.module import PredictorModule


class PretrainModule(PredictorModule):
    """Regression on standardised descriptors; checkpoints record ``stream_chunks`` (the rows trained this epoch,
    :class:`~molgdl.pretrain.stream.StreamProgress`), ``stream_row`` (the largest data row trained on) and
    ``molecules_seen``, so that a resumed run trains every other row of the epoch once."""

    def __init__(self, model, make_optimizer, chunk_size: int) -> None:
        from molgdl.pretrain.stream import StreamProgress

        super().__init__(model, "regression", make_optimizer)
        self.last_row = -1
        self.molecules_seen = 0
        self.progress = StreamProgress(chunk_size)
        self._started = False

    def training_step(self, batch: Any, batch_idx: int):
        loss = super().training_step(batch, batch_idx)
        self.last_row = max(self.last_row, int(batch.src_row.max()))
        self.progress.update(batch.src_row)
        self.molecules_seen += int(batch.num_graphs)
        return loss

    def on_train_epoch_start(self) -> None:
        if self._started:  # a new pass over the file (a resumed epoch keeps what the checkpoint loaded)
            self.last_row = -1
            self.progress.last.clear()
        self._started = True

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["stream_row"] = self.last_row
        checkpoint["stream_chunks"] = self.progress.state()
        checkpoint["stream_chunk_size"] = self.progress.chunk_size
        checkpoint["molecules_seen"] = self.molecules_seen
