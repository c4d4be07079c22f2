"""The Lightning module: ``head(concat(readout(encoder(batch)), extra))`` with a masked loss.

Targets are standardised with the training mean/std (regression); molecule-level descriptors are
standardised with training statistics, non-finite values set to 0 (the mean) and clipped to
+/- ``EXTRA_CLIP`` standard deviations, so that a heavy-tailed descriptor cannot blow up the head on an
unusual test molecule; or (``scaling.descriptors: cdf``) mapped through their training-set empirical CDF to
[0, 1]. The scalers are buffers, saved with the weights.
"""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch
from torch import Tensor, nn

from molgdl.errors import TrainingError
from molgdl.train.descriptor_scaling import N_QUANTILES, cdf_transform, fit_quantiles
from molgdl.train.element_shift import NUM_ELEMENTS, fit_element_shift, molecule_shift
from molgdl.train.forces import energy_and_forces, force_loss

EXTRA_CLIP = 6.0


def mlp(in_dim: int, hidden_dim: int, out_dim: int, num_layers: int, dropout: float,
        kind: str = "mlp") -> nn.Sequential:
    """``num_layers`` linear layers with ReLU and dropout between them (1 = a single linear layer); with
    ``kind="cosine"`` the last one is a cosine-similarity layer (``molgdl.train.cosine_head``)."""
    from molgdl.train.cosine_head import CosineLinear

    layers: list[nn.Module] = []
    dim = in_dim
    for _ in range(num_layers - 1):
        layers += [nn.Dropout(dropout), nn.Linear(dim, hidden_dim), nn.ReLU()]
        dim = hidden_dim
    layers += [nn.Dropout(dropout), CosineLinear(dim, out_dim) if kind == "cosine" else nn.Linear(dim, out_dim)]
    return nn.Sequential(*layers)


class MolecularModel(nn.Module):
    """encoder -> readout -> [concat extra] -> MLP head. ``forward(batch) -> Tensor[B, k*T]`` in scaled units
    (``k = outputs_per_target``, 1 unless an uncertainty head adds variance parameters after the T predictions)."""

    def __init__(self, encoder: nn.Module, readout: nn.Module, extra_dim: int, n_targets: int,
                 head_hidden: int, head_layers: int, head_dropout: float, descriptor_scaling: str = "standard",
                 outputs_per_target: int = 1, head_kind: str = "mlp") -> None:
        super().__init__()
        self.encoder = encoder
        self.readout = readout
        # an uncertainty head (molgdl.uncertainty.losses) has k outputs per target; the first T are the prediction
        self.head = mlp(readout.out_dim + extra_dim, head_hidden, n_targets * outputs_per_target, head_layers,
                        head_dropout, head_kind)
        self.frozen: list[nn.Module] = []  # kept in eval mode by train() (molgdl.pretrain.finetune)
        self.register_buffer("y_mean", torch.zeros(n_targets))
        self.register_buffer("y_std", torch.ones(n_targets))
        # per-element reference values [119, T] (``molgdl.train.element_shift``); zero columns = not used
        self.register_buffer("element_shift", torch.zeros(NUM_ELEMENTS, n_targets, dtype=torch.float64))
        self._shifted = False  # any element_shift in use (a Python flag: no device sync per step)
        self.register_buffer("x_mean", torch.zeros(extra_dim))
        self.register_buffer("x_std", torch.ones(extra_dim))
        self.descriptor_scaling = descriptor_scaling
        if descriptor_scaling == "cdf":  # training-set quantiles [K, D] (``molgdl.train.descriptor_scaling``)
            self.register_buffer("x_quantiles", torch.zeros(N_QUANTILES, extra_dim))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        key = prefix + "element_shift"  # checkpoints written before per-element shifts existed: none used
        if key not in state_dict:
            state_dict[key] = torch.zeros_like(self.element_shift)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self._shifted = bool(self.element_shift.any())

    def train(self, mode: bool = True) -> "MolecularModel":
        super().train(mode)
        for module in self.frozen:  # frozen pretrained parts: no dropout, no batch-norm statistics updates
            module.eval()
        return self

    def embed(self, batch: Any) -> Tensor:
        """Molecule representation after the readout, ``[B, readout.out_dim]``."""
        return self.readout(self.encoder(batch), batch)

    def forward(self, batch: Any) -> Tensor:
        z = self.embed(batch)
        if self.x_mean.numel():
            z = torch.cat([z, self.scale_extra(batch.extra)], dim=-1)
        return self.head(z)

    def scale_extra(self, extra: Tensor) -> Tensor:
        """Descriptors ``[B, D]`` -> scaled ``[B, D]``: z-scores clipped to +/- EXTRA_CLIP (``standard``) or
        empirical-CDF values in [0, 1] (``cdf``); a missing value becomes the training mean (median for cdf)."""
        if self.descriptor_scaling == "cdf":
            return cdf_transform(extra, self.x_quantiles)
        extra = (extra - self.x_mean) / self.x_std
        return torch.where(torch.isfinite(extra), extra, 0.0).clamp(-EXTRA_CLIP, EXTRA_CLIP)

    def shift(self, batch: Any) -> Tensor | float:
        """Sum of the per-element reference values over each molecule's atoms, ``[B, T]`` float64 (0 when
        no target uses them)."""
        if not self._shifted:
            return 0.0
        return molecule_shift(self.element_shift, batch.z, getattr(batch, "batch", None), batch.num_graphs)

    def unscale(self, out: Tensor, batch: Any) -> Tensor:
        """Scaled model output ``[B, T]`` -> target units (regression)."""
        shift = self.shift(batch)
        if isinstance(shift, float):
            return out * self.y_std + self.y_mean
        return (out.double() * self.y_std + self.y_mean + shift).to(out.dtype)

    def scale(self, y: Tensor, batch: Any) -> Tensor:
        """Targets ``[B, T]`` in target units -> the standardised units the model is trained in."""
        shift = self.shift(batch)
        if isinstance(shift, float):
            return (y - self.y_mean) / self.y_std
        return ((y.double() - shift - self.y_mean) / self.y_std).to(y.dtype)

    def set_scalers(self, y: Tensor, extra: Tensor, regression: bool, *, counts: Tensor | None = None,
                    shift_targets: list[int] = ()) -> None:
        """Fit scalers on training targets ``[M, T]`` (NaN = missing) and descriptors ``[M, D]``. Targets
        whose index is in ``shift_targets`` first get per-element reference values fitted on ``counts``
        (``[M, 119]`` element counts, :func:`molgdl.train.element_shift.element_counts`); the mean and
        std are then those of the residual."""
        if regression and shift_targets:
            cols = list(shift_targets)
            self.element_shift.zero_()
            self.element_shift[:, cols] = fit_element_shift(counts, y[:, cols])  # each target fitted on its own
            self._shifted = bool(self.element_shift.any())
            y = (y.double() - counts.double() @ self.element_shift).to(y.dtype)
        if regression:
            mask = ~torch.isnan(y)
            cnt = mask.sum(0).clamp(min=1)
            mean = torch.where(mask, y, 0).sum(0) / cnt
            var = torch.where(mask, (y - mean) ** 2, 0).sum(0) / cnt
            self.y_mean.copy_(mean)
            self.y_std.copy_(var.sqrt().clamp(min=1e-8))
        if extra.numel():
            extra = extra.double()
            mask = torch.isfinite(extra)
            cnt = mask.sum(0).clamp(min=1)
            mean = torch.where(mask, extra, 0).sum(0) / cnt
            var = torch.where(mask, (extra - mean) ** 2, 0).sum(0) / cnt
            std = var.sqrt()
            self.x_mean.copy_(torch.where(torch.isfinite(mean), mean, 0).float())
            self.x_std.copy_(torch.where(torch.isfinite(std) & (std > 1e-6), std, 1.0).float())
            if self.descriptor_scaling == "cdf":
                self.x_quantiles.copy_(torch.from_numpy(fit_quantiles(extra.numpy())))


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
