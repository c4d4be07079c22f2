"""SIGTERM during a Lightning fit is deferred to the next batch end (molgdl.run.signals.lightning_fit): the
async exception that used to land anywhere could leave TensorBoard's writer thread asleep for its 120 s flush
timeout. A second SIGTERM, and one outside a fit, still raise at once."""

from __future__ import annotations

import os
import signal

import pytest
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from molgdl.run.signals import Terminated, lightning_fit, sigterm_interrupts


class _Tiny(pl.LightningModule):
    def __init__(self, kill_at: int, kills: int = 1):
        super().__init__()
        self.lin = torch.nn.Linear(2, 1)
        self.kill_at, self.kills = kill_at, kills
        self.finished_batches: list[int] = []

    def training_step(self, batch, batch_idx):
        if batch_idx == self.kill_at:
            for _ in range(self.kills):
                os.kill(os.getpid(), signal.SIGTERM)  # delivered before the next bytecode of this thread
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.lin(x), y)
        self.finished_batches.append(batch_idx)  # reached: the first SIGTERM did not raise here
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


def _fit(module: _Tiny, tmp_path) -> pl.Trainer:
    trainer = pl.Trainer(max_epochs=3, logger=pl.loggers.TensorBoardLogger(tmp_path), enable_progress_bar=False,
                         enable_model_summary=False, enable_checkpointing=False, accelerator="cpu")
    data = TensorDataset(torch.randn(40, 2), torch.randn(40, 1))
    with sigterm_interrupts():
        lightning_fit(trainer, module, DataLoader(data, batch_size=4))
    return trainer


def test_sigterm_in_a_fit_stops_at_the_batch_end_as_terminated(tmp_path):
    module = _Tiny(kill_at=3)
    with pytest.raises(Terminated):
        _fit(module, tmp_path)
    # the batch that received the signal finished; no later batch and no later epoch ran
    assert module.finished_batches == [0, 1, 2, 3]
    assert module.trainer.interrupted and module.trainer.global_step == 4


def test_a_second_sigterm_raises_at_once(tmp_path):
    module = _Tiny(kill_at=3, kills=2)
    with pytest.raises(Terminated):
        _fit(module, tmp_path)
    assert module.finished_batches == [0, 1, 2]  # raised inside batch 3


def _lightning_like_handler() -> None:
    """Install what Lightning installs while it fits: a handler that calls the one it found."""
    found = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda signum, frame: found(signum, frame))


def test_sigterm_during_the_last_batch_is_raised_after_the_fit():
    class _Finishing:
        interrupted = False

        def fit(self):
            _lightning_like_handler()
            os.kill(os.getpid(), signal.SIGTERM)  # Lightning would not raise: training is done
            self.done = True

    trainer = _Finishing()
    with sigterm_interrupts(), pytest.raises(Terminated):
        lightning_fit(trainer)
    assert trainer.done


def test_sigterm_before_lightning_registers_its_handler_raises_at_once():
    class _Starting:
        interrupted = False
        done = False

        def fit(self):
            os.kill(os.getpid(), signal.SIGTERM)  # no Lightning handler yet: nothing would stop at a batch end
            self.done = True

    trainer = _Starting()
    with sigterm_interrupts(), pytest.raises(Terminated):
        lightning_fit(trainer)
    assert not trainer.done


def test_a_fit_interrupted_otherwise_keeps_its_own_exception():
    class _Failing:
        interrupted = True

        def fit(self):
            try:
                raise KeyboardInterrupt  # Ctrl-C, which Lightning turns into sys.exit(1)
            except KeyboardInterrupt:
                raise SystemExit(1)

    with sigterm_interrupts(), pytest.raises(KeyboardInterrupt) as info:
        lightning_fit(_Failing())
    assert not isinstance(info.value, Terminated)
