"""Contract checks any encoder/readout must pass: permutation invariance and batch consistency."""

from __future__ import annotations

from typing import Callable

import torch
from torch_geometric.data import Batch, Data


def permute_graph(data: Data, perm: torch.Tensor) -> Data:
    """Relabel atoms: new atom ``i`` is old atom ``perm[i]``. Node tensors are reordered, edges remapped
    (edge order and the e/e^1 pairing are kept)."""
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(len(perm))
    out = data.clone()
    for key in ("x", "z", "pos"):
        if getattr(data, key, None) is not None:
            setattr(out, key, getattr(data, key)[perm])
    out.edge_index = inv[data.edge_index]
    return out


def _graph_output(fn: Callable[[Batch], torch.Tensor], graphs: list[Data]) -> torch.Tensor:
    return fn(Batch.from_data_list(graphs))


def check_permutation_invariance(fn: Callable[[Batch], torch.Tensor], data: Data, *, seed: int = 0,
                                 rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """``fn(batch) -> [B, d]`` must not change when the atoms of a molecule are relabelled."""
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(data.num_nodes, generator=g)
    a = _graph_output(fn, [data])
    b = _graph_output(fn, [permute_graph(data, perm)])
    if not torch.allclose(a, b, rtol=rtol, atol=atol):
        raise AssertionError(f"output changed under atom permutation: max |diff| = {(a - b).abs().max():.3g}")


def check_batch_consistency(fn: Callable[[Batch], torch.Tensor], graphs: list[Data], *, rtol: float = 1e-4,
                            atol: float = 1e-5) -> None:
    """Each molecule predicts the same alone as inside a batch with the others."""
    together = _graph_output(fn, graphs)
    for i, g in enumerate(graphs):
        alone = _graph_output(fn, [g])[0]
        if not torch.allclose(alone, together[i], rtol=rtol, atol=atol):
            diff = (alone - together[i]).abs().max()
            raise AssertionError(f"molecule {i} differs alone vs in a batch: max |diff| = {diff:.3g}")
