"""Fine-tuning on a support set (or training the same architecture from scratch), in process: a plain Adam
loop over a few dozen molecules, without the run-folder machinery of ``molgdl run`` (which the config route,
``pretrained:`` in a property config, uses)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from molgdl.pretrain.finetune import frozen_modules, parameter_groups, scale_pretrained_lr
from molgdl.train.module import MolecularModel, masked_loss


RIDGE_ALPHAS = np.logspace(-3, 5, 17)  # candidate penalties of the ridge head (standardised embedding and target)


def fit_predict(encoder: torch.nn.Module, readout: torch.nn.Module, support: list[Any], y: np.ndarray,
                query: list[Any], *, epochs: int, lr: float, lr_multiplier: float, freeze: str | int,
                head_hidden: int, head_kind: str, batch_size: int, seed: int, head_layers: int = 2,
                head_init: str = "random") -> np.ndarray:
    """Train ``head(readout(encoder))`` on ``support`` graphs with labels ``y`` ``[k]`` (standardised inside),
    return predictions ``[Q]`` for ``query`` (target units). ``head_init="ridge"`` (a linear head,
    ``head_layers=1``) starts from the ridge regression of the labels on the support's embeddings before any
    training step (linear probing, then fine-tuning: Kumar et al., ICLR 2022); with ``epochs=0`` that probe is
    the prediction."""
    from torch_geometric.loader import DataLoader

    torch.manual_seed(seed)
    model = MolecularModel(encoder, readout, 0, 1, head_hidden, head_layers, 0.0, head_kind=head_kind)
    yt = torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
    model.set_scalers(yt, torch.zeros(len(y), 0), True)
    model.frozen = frozen_modules(model.encoder, model.readout, freeze)
    for m in model.frozen:
        for p in m.parameters():
            p.requires_grad_(False)
    opt = scale_pretrained_lr(torch.optim.Adam(parameter_groups(model), lr=lr), lr_multiplier)
    for g, t in zip(support, yt):
        g.y = t.reshape(1, 1)
    if head_init == "ridge":
        ridge_head(model, support)
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


def ridge_head(model: MolecularModel, support: list[Any]) -> float:
    """Set the linear head of ``model`` to the ridge regression of the support's scaled labels on its embeddings
    (each embedding column standardised; the penalty chosen by leave-one-out error among ``RIDGE_ALPHAS``);
    returns that penalty. Requires a one-layer ``mlp`` head."""
    from sklearn.linear_model import RidgeCV
    from torch_geometric.loader import DataLoader

    last = model.head[-1]
    if len(model.head) != 2 or type(last) is not torch.nn.Linear:
        raise ValueError("head_init='ridge' needs a single linear head (head_layers=1, head_kind='mlp')")
    was_training = model.training
    model.eval()
    with torch.no_grad():
        batch = next(iter(DataLoader(support, batch_size=len(support))))
        Z = model.embed(batch).double().numpy()
        t = model.scale(batch.y, batch)[:, 0].double().numpy()
    model.train(was_training)
    mu, sd = Z.mean(0), Z.std(0)
    sd[sd < 1e-8] = 1.0
    fit = RidgeCV(alphas=RIDGE_ALPHAS).fit((Z - mu) / sd, t)
    w = fit.coef_ / sd
    with torch.no_grad():
        last.weight.copy_(torch.as_tensor(w, dtype=last.weight.dtype).reshape(1, -1))
        last.bias.fill_(float(fit.intercept_ - w @ mu))
    return float(fit.alpha_)
