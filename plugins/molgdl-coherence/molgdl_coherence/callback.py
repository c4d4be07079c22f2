"""Lightning callbacks: the coherence monitor and the per-example gradient feeder of the robust optimizers.

Both use only molgdl's public training API: ``pl_module.model`` (MolecularModel), ``pl_module.task``,
``pl_module.scaled_targets(batch)`` and ``molgdl.train.module.per_molecule_loss``.
"""

from __future__ import annotations

import csv
import logging
import math
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

from .metrics import CoherenceAccumulator
from .pergrad import example_gradients, example_sq_norms, trainable

log = logging.getLogger("molgdl")
CSV_NAME = "coherence.csv"
PNG_NAME = "coherence.png"
FIELDS = ("m_coherence", "alpha", "alpha_unbiased", "grad_sq_mean")


def parameter_groups(model: torch.nn.Module, depth: int) -> dict[str, list[str]]:
    """``{"all": every trainable name, prefix: names}`` with prefixes the first ``depth`` parts of the names
    (depth 1: ``encoder``, ``readout``, ``head``); 0 gives only ``all``."""
    names = list(trainable(model))
    groups: dict[str, list[str]] = {"all": names}
    if depth > 0:
        for n in names:
            groups.setdefault(".".join(n.split(".")[:depth]), []).append(n)
    return groups


class CoherenceCallback(pl.Callback):
    """m-coherence of the per-molecule training-loss gradients over a fixed sample of ``m`` training
    molecules, before training (epoch 0) and after every ``every_n_epochs``-th epoch, for the whole network
    and per parameter group. Writes ``coherence.csv`` (one row per evaluation and group) and ``coherence.png``
    into the seed folder (``trainer.default_root_dir``) and logs ``coherence/<group>/<metric>``."""

    def __init__(self, m: int = 128, every_n_epochs: int = 5, at_start: bool = True, group_depth: int = 1,
                 method: str = "factored", batch_size: int = 64, chunk: int = 16, seed: int = 0,
                 train_mode: bool = False, plot: bool = True) -> None:
        self.m, self.every, self.at_start = m, every_n_epochs, at_start
        self.group_depth, self.method, self.batch_size, self.chunk = group_depth, method, batch_size, chunk
        self.seed, self.train_mode, self.plot = seed, train_mode, plot
        self.sample: list[Any] = []
        self.rows: list[dict[str, Any]] = []
        self.seconds = 0.0
        self._checked = False
        self._fallback: list[str] = []

    # --- Lightning hooks -------------------------------------------------------------------------------
    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        dataset = trainer.train_dataloader.dataset
        n = len(dataset)
        gen = torch.Generator().manual_seed(self.seed)
        idx = torch.randperm(n, generator=gen)[:min(self.m, n)].tolist()
        self.sample = [dataset[i] for i in sorted(idx)]
        path = self._dir(trainer) / CSV_NAME
        if trainer.current_epoch > 0 and path.exists():  # resumed: keep the rows written so far
            with path.open() as f:
                self.rows = list(csv.DictReader(f))
        else:
            self.rows = []
            if self.at_start:
                self._evaluate(trainer, pl_module, epoch=0, log_metrics=False)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        done = trainer.current_epoch + 1
        if not trainer.is_global_zero or not self.sample or self.every <= 0 or done % self.every:
            return
        self._evaluate(trainer, pl_module, epoch=done, log_metrics=True)

    # --- measurement -----------------------------------------------------------------------------------
    def measure(self, pl_module: pl.LightningModule) -> dict[str, dict[str, float]]:
        """Coherence of the current model on the fixed sample: ``{group: {metric: value}}``."""
        from torch_geometric.data import Batch

        model = pl_module.model
        was_training = model.training
        model.train(self.train_mode)
        acc = CoherenceAccumulator()
        try:
            for s in range(0, len(self.sample), self.batch_size):
                batch = Batch.from_data_list(self.sample[s:s + self.batch_size]).to(pl_module.device)
                y = pl_module.scaled_targets(batch)
                # the factored rows are checked against the ordinary gradient on the first batch ever (and on
                # every batch if that check sent a parameter to the vmap fallback)
                check = not self._checked or bool(self._fallback)
                fallback: list[str] = []
                sum_g, sq = example_sq_norms(model, batch, y, pl_module.task, method=self.method,
                                             chunk=self.chunk, check=check, fallback=fallback)
                if check:
                    self._checked = True
                    self._fallback = fallback
                acc.add(sum_g, sq, int(batch.num_graphs))
        finally:
            model.train(was_training)
        return acc.result(parameter_groups(model, self.group_depth))

    def _evaluate(self, trainer: pl.Trainer, pl_module: pl.LightningModule, epoch: int,
                  log_metrics: bool) -> None:
        t0 = time.perf_counter()
        result = self.measure(pl_module)
        seconds = time.perf_counter() - t0
        self.seconds += seconds
        for group, values in result.items():
            self.rows.append({"epoch": epoch, "group": group, "m": len(self.sample), **values,
                              "seconds": seconds})
            if log_metrics:
                for key, value in values.items():
                    if math.isfinite(value):
                        pl_module.log(f"coherence/{group}/{key}", value, on_step=False, on_epoch=True,
                                      rank_zero_only=True)
        self._write(trainer)

    # --- files -----------------------------------------------------------------------------------------
    @staticmethod
    def _dir(trainer: pl.Trainer) -> Path:
        return Path(trainer.default_root_dir)

    def _write(self, trainer: pl.Trainer) -> None:
        out = self._dir(trainer)
        out.mkdir(parents=True, exist_ok=True)
        with (out / CSV_NAME).open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["epoch", "group", "m", *FIELDS, "seconds"])
            w.writeheader()
            w.writerows(self.rows)
        if self.plot:
            from .plot import plot_rows

            plot_rows({"": self.rows}, out / PNG_NAME)


class ExampleGradientFeeder(pl.Callback):
    """Before each training step, computes the per-molecule gradients of the batch (the training loss of each
    molecule, at the current weights, model in its training mode) and hands them to every optimizer that has
    ``set_example_gradients({parameter: Tensor[B, *shape]})`` (the ``winsorized`` and ``m3`` optimizers)."""

    def __init__(self, method: str = "factored", chunk: int = 16) -> None:
        self.method, self.chunk = method, chunk

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        takers = [opt for opt in trainer.optimizers if callable(getattr(opt, "set_example_gradients", None))]
        if not takers:
            return
        model = pl_module.model
        grads = example_gradients(model, batch, pl_module.scaled_targets(batch), pl_module.task,
                                  method=self.method, chunk=self.chunk)
        params = dict(model.named_parameters())
        by_param = {params[n]: g.detach() for n, g in grads.items()}
        for opt in takers:
            opt.set_example_gradients(by_param)
