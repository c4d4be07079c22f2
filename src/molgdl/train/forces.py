"""Forces as the negative gradient of a predicted energy with respect to atom positions (autograd).

Energy models (SchNet, e3nn, any 3D encoder whose output depends smoothly on ``batch.pos``) predict one
scalar per molecule; forces ``F_i = -dE/dpos_i`` are then exactly conservative and rotate with the molecule
when E is invariant. Trained with the weighted loss of NequIP / SchNetPack:
``energy_weight * MSE(E) + force_weight * MSE(F)``, both in standardised units (energy / y_std, forces / y_std
per Å), so the weights do not depend on the dataset's energy scale.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import Tensor


def energy_and_forces(model: torch.nn.Module, batch: Any, *, create_graph: bool) -> tuple[Tensor, Tensor]:
    """``(out, forces)``: the model's scaled output ``[B, 1]`` and forces ``[N, 3]`` in target units per Å
    (eV/Å for an energy in eV). ``create_graph=True`` keeps the graph so that a loss on the forces can be
    differentiated with respect to the parameters (training); the input batch is not modified."""
    batch = copy.copy(batch)
    with torch.enable_grad():
        pos = batch.pos.detach().requires_grad_(True)
        batch.pos = pos
        out = model(batch)
        (grad,) = torch.autograd.grad(out[:, 0].sum(), pos, create_graph=create_graph)
    return out, -grad * model.y_std[0]


def force_loss(pred: Tensor, ref: Tensor, y_std: Tensor) -> Tensor:
    """Mean squared force error over atoms and components, in standardised units. pred, ref: ``[N, 3]``."""
    return ((pred - ref) / y_std).pow(2).mean()


@torch.no_grad()
def force_errors(model: torch.nn.Module, dataset, batch_size: int, device: str = "cpu") -> tuple[Tensor, Tensor, Tensor]:
    """Predicted and reference forces ``[N_atoms, 3]`` (target units per Å) over ``dataset``, and the graph
    index of each atom ``[N_atoms]``."""
    from molgdl.data.batches import ordered_batches

    model = model.to(device).eval()
    preds, refs, owners, offset = [], [], [], 0
    for batch in ordered_batches(dataset, batch_size):
        batch = batch.to(device)
        _, forces = energy_and_forces(model, batch, create_graph=False)
        preds.append(forces.detach().float().cpu())
        refs.append(batch.forces.float().cpu())
        owners.append(batch.batch.cpu() + offset)
        offset += batch.num_graphs
    return torch.cat(preds), torch.cat(refs), torch.cat(owners)
