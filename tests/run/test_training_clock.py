"""``TrainingClock``: the training time of a resumed fit includes the attempt it resumed from (train_seconds of a
run killed and resumed used to count the last attempt only)."""

from __future__ import annotations

import time

import pytorch_lightning as pl
import torch

from molgdl.train.callbacks import TrainingClock

PAUSE = 0.05  # seconds slept in every training step: a lower bound on the fit time


class _Slow(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def training_step(self, batch, _):
        time.sleep(PAUSE)
        x, y = batch
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


def _fit(tmp_path, epochs: int, clock: TrainingClock, ckpt_path=None) -> float:
    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randn(8, 1))
    loader = torch.utils.data.DataLoader(data, batch_size=4)  # 2 steps per epoch
    last = pl.callbacks.ModelCheckpoint(dirpath=tmp_path, filename="last", save_top_k=1, monitor=None)
    trainer = pl.Trainer(max_epochs=epochs, callbacks=[last, clock], logger=False, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu", default_root_dir=tmp_path)
    t0 = time.perf_counter()
    trainer.fit(_Slow(), loader, ckpt_path=ckpt_path, weights_only=True if ckpt_path else None)
    return time.perf_counter() - t0


def test_resumed_fit_counts_the_attempt_it_resumed_from(tmp_path):
    first = TrainingClock()
    wall_first = _fit(tmp_path, 2, first)
    assert first.before == 0.0
    resumed = TrainingClock()
    wall_second = _fit(tmp_path, 3, resumed, ckpt_path=str(tmp_path / "last.ckpt"))
    # the checkpoint of epoch 2 was written after 4 sleeping steps and before the first fit returned
    assert 4 * PAUSE <= resumed.before <= wall_first
    total = resumed.state_dict()["seconds"]
    assert 6 * PAUSE <= total <= wall_first + wall_second
