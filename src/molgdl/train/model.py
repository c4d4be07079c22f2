"""The network behind every registered encoder: ``head(concat(readout(encoder(batch)), extra))``, with the target
and descriptor scalers as buffers (saved with the weights). Targets are standardised with the training mean/std
(regression); molecule-level descriptors are standardised with training statistics, non-finite values set to 0
(the mean) and clipped to +/- ``EXTRA_CLIP`` standard deviations, so that a heavy-tailed descriptor cannot blow
up the head on an unusual test molecule; or (``scaling.descriptors: cdf``) mapped through their training-set
empirical CDF to [0, 1].

Apart from the Lightning training module (:mod:`molgdl.train.module`), so that ``molgdl predict`` does not import
PyTorch Lightning.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from molgdl.train.descriptor_scaling import N_QUANTILES, cdf_transform, fit_quantiles
from molgdl.train.element_shift import NUM_ELEMENTS, fit_element_shift, molecule_shift

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
