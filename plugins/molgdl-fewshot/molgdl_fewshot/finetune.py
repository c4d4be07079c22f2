"""Fine-tuning on a support set (or training the same architecture from scratch), in process: a plain Adam
loop over a few dozen molecules, without the run-folder machinery of ``molgdl run`` (which the config route,
``pretrained:`` in a property config, uses)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from molgdl.pretrain.finetune import frozen_modules, parameter_groups, scale_pretrained_lr
from molgdl.train.module import MolecularModel, masked_loss


def fit_predict(encoder: torch.nn.Module, readout: torch.nn.Module, support: list[Any], y: np.ndarray,
                query: list[Any], *, epochs: int, lr: float, lr_multiplier: float, freeze: str | int,
                head_hidden: int, head_kind: str, batch_size: int, seed: int) -> np.ndarray:
    """Train ``head(readout(encoder))`` on ``support`` graphs with labels ``y`` ``[k]`` (standardised inside),
    return predictions ``[Q]`` for ``query`` (target units)."""
    from torch_geometric.loader import DataLoader

    torch.manual_seed(seed)
    model = MolecularModel(encoder, readout, 0, 1, head_hidden, 2, 0.0, head_kind=head_kind)
    yt = torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
    model.set_scalers(yt, torch.zeros(len(y), 0), True)
    model.frozen = frozen_modules(model.encoder, model.readout, freeze)
    for m in model.frozen:
        for p in m.parameters():
            p.requires_grad_(False)
    opt = scale_pretrained_lr(torch.optim.Adam(parameter_groups(model), lr=lr), lr_multiplier)
    for g, t in zip(support, yt):
        g.y = t.reshape(1, 1)
    gen = torch.Generator().manual_seed(seed)
    loader = DataLoader(support, batch_size=min(batch_size, len(support)), shuffle=True, generator=gen)
    model.train()
    for _ in range(epochs):
        for batch in loader:
            opt.zero_grad()
            loss = masked_loss(model(batch), model.scale(batch.y, batch), "regression")
            loss.backward()
            opt.step()
    model.eval()
    preds = []
    with torch.no_grad():
        for batch in DataLoader(query, batch_size=256):
            preds.append(model.unscale(model(batch), batch)[:, 0].double().numpy())
    return np.concatenate(preds)
