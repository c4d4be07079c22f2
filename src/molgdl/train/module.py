"""The Lightning module that trains a :class:`~molgdl.train.model.MolecularModel` with a masked loss (the model
and its scalers: :mod:`molgdl.train.model`, re-exported here)."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch
from torch import Tensor, nn

from molgdl.errors import TrainingError
from molgdl.train.forces import energy_and_forces, force_loss
from molgdl.train.model import EXTRA_CLIP, MolecularModel, mlp  # noqa: F401 (re-exported)


def elementwise_loss(out: Tensor, y: Tensor, task: str) -> tuple[Tensor, Tensor]:
    """``(loss, mask)``, both ``[B, T]``: squared error (regression) or binary cross-entropy on logits
    (classification) per molecule and target, and which targets are present (NaN in y = missing)."""
    mask = ~torch.isnan(y)
    target = torch.nan_to_num(y, nan=0.0)
    if task == "classification":
        per = nn.functional.binary_cross_entropy_with_logits(out, target, reduction="none")
    else:
        per = (out - target) ** 2
    return per * mask, mask


def per_molecule_loss(out: Tensor, y: Tensor, task: str) -> Tensor:
    """Loss of each molecule averaged over its present targets: ``[B]`` (0 for a molecule without targets).
    out, y: ``[B, T]`` in scaled units (``PredictorModule.scaled_targets``)."""
    per, mask = elementwise_loss(out, y, task)
    return per.sum(-1) / mask.sum(-1).clamp(min=1)


def masked_loss(out: Tensor, y: Tensor, task: str) -> Tensor:
    """Mean loss over present targets. out, y: ``[B, T]``; NaN in y is ignored."""
    per, mask = elementwise_loss(out, y, task)
    return per.sum() / mask.sum().clamp(min=1)


class PredictorModule(pl.LightningModule):
    """Lightning wrapper: optimizer/scheduler come from registered factories (closures)."""

    def __init__(self, model: MolecularModel, task: str, make_optimizer, make_scheduler=None, *,
                 energy_weight: float = 1.0, force_weight: float = 0.0, loss_fn=None) -> None:
        super().__init__()
        self.model = model
        self.task = task
        self._make_optimizer = make_optimizer
        self._make_scheduler = make_scheduler
        self.energy_weight = energy_weight
        self.force_weight = force_weight  # > 0: forces = -dE/dpos enter the loss (``molgdl.train.forces``)
        # (out [B, k*T], y [B, T] scaled) -> (loss, mask) [B, T]: an uncertainty head's loss (molgdl.uncertainty)
        self.loss_fn = loss_fn

    def scaled_targets(self, batch: Any) -> Tensor:
        """Targets ``[B, T]`` in the units the model is trained in (standardised for regression)."""
        y = batch.y
        if self.task == "regression":
            y = self.model.scale(y, batch)
        return y

    def _step(self, batch: Any, stage: str) -> Tensor:
        if self.force_weight > 0:
            out, forces = energy_and_forces(self.model, batch, create_graph=stage == "train")
            e_loss = masked_loss(out, self.scaled_targets(batch), self.task)
            f_loss = force_loss(forces, batch.forces, self.model.y_std[0])
            loss = self.energy_weight * e_loss + self.force_weight * f_loss
            n = batch.num_graphs
            self.log(f"{stage}/energy_mse", e_loss.detach(), batch_size=n, sync_dist=stage != "train")
            self.log(f"{stage}/force_mae", (forces.detach() - batch.forces).abs().mean(), batch_size=n,
                     sync_dist=stage != "train")
        else:
            out = self.model(batch)
            if self.loss_fn is None:
                loss = masked_loss(out, self.scaled_targets(batch), self.task)
            else:
                per, mask = self.loss_fn(out, self.scaled_targets(batch))
                loss = per.sum() / mask.sum().clamp(min=1)
        aux = getattr(self.model.readout, "auxiliary_losses", None) or {}
        for name, value in aux.items():
            if stage == "train":  # regularisers: val/loss (checkpoint selection, early stopping) is the task loss
                loss = loss + value
            self.log(f"{stage}/aux_{name}", value, batch_size=batch.num_graphs, sync_dist=stage != "train")
        self.log(f"{stage}/loss", loss, prog_bar=True, batch_size=batch.num_graphs, sync_dist=stage != "train",
                 on_epoch=True, on_step=False)
        return loss

    def training_step(self, batch: Any, batch_idx: int) -> Tensor:
        loss = self._step(batch, "train")
        if not torch.isfinite(loss):
            raise TrainingError(
                f"the training loss became {loss.item()} at epoch {self.current_epoch}, batch {batch_idx}",
                hint="lower optimizer.lr, add trainer.gradient_clip_val, or check the targets for extreme values",
            )
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> Tensor:
        return self._step(batch, "val")

    # Optional optimizer protocol (duck-typed, any plugin may use it):
    #   ``set_steps_per_epoch(B: int)`` is called at train start (also after a resume), for optimizers whose
    #   own schedule runs on t = epoch + batch / B;
    #   ``epoch_stats() -> dict[str, float]`` is read (and reset by the optimizer) at each training epoch end
    #   and logged as ``optim/<key>``.
    def on_train_start(self) -> None:
        batches = self.trainer.num_training_batches
        for opt in self.trainer.optimizers:
            bind = getattr(opt, "set_steps_per_epoch", None)
            if callable(bind) and batches != float("inf"):
                bind(max(1, int(batches)))

    def on_train_epoch_end(self) -> None:
        for opt in self.trainer.optimizers:
            stats = getattr(opt, "epoch_stats", None)
            if callable(stats):
                for key, value in stats().items():
                    self.log(f"optim/{key}", float(value), on_step=False, on_epoch=True)

    def configure_optimizers(self):
        opt = self._make_optimizer(self.parameters())
        if self._make_scheduler is None:
            return opt
        sched = self._make_scheduler(opt)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
