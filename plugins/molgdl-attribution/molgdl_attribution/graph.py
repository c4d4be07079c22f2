r"""Per-atom attributions of a model whose input is a graph batch: integrated gradients and occlusion.

``fn(batch) -> Tensor[B]`` is the explained output, one value per graph (``molgdl_attribution.explainers``
builds it from a trained model: target units for regression, the logit for classification). Graphs follow the
molgdl contract (``x`` [N, F], ``edge_index`` [2, E] with bond ``k`` as columns 2k, 2k+1, ``edge_attr``
[E, F_e]; optional ``z``, ``pos``, graph-level ``y``, ``extra``, ``mol_index``).

Integrated gradients (Sundararajan et al. 2017, arXiv:1703.01365) along the straight path from the all-zero
features :math:`(x', e') = (0, 0)` to the molecule's :math:`(x, e)`, graph structure fixed:

.. math::
    \mathrm{IG}_{vf} = x_{vf} \int_0^1 \frac{\partial F(\alpha x, \alpha e)}{\partial x_{vf}} d\alpha, \qquad
    \mathrm{IG}_{uf} \text{ likewise for edge } u,

by the midpoint rule with ``steps`` points; atom :math:`v` gets :math:`\sum_f \mathrm{IG}_{vf}` plus half of
the attribution of every directed edge that starts or ends at it. The atom scores sum to
:math:`F(x, e) - F(0, 0)` up to the quadrature error (completeness), reported per molecule.

Occlusion (Zeiler & Fergus 2014, on graphs): atom :math:`v` gets :math:`F(G) - F(G \setminus v)`, with
:math:`G \setminus v` the graph without ``v`` and its bonds (``mode="atom"``) or without its bonds only
(``mode="bonds"``). Occlusion scores need not sum to anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from molgdl.errors import ConfigError

#: graph-level attributes of the molgdl graph contract (never sliced per atom or bond)
GRAPH_KEYS = ("y", "extra", "mol_index", "energy")


@dataclass
class GraphAttribution:
    """Attribution of one graph: ``atoms`` [N]; ``output`` F(graph); ``reference`` F(baseline) (integrated
    gradients) or NaN; ``gap``: completeness gap ``sum(atoms) - (output - reference)`` (integrated
    gradients) or NaN."""

    atoms: np.ndarray
    output: float
    reference: float = float("nan")
    gap: float = float("nan")


def _batch(graphs: Sequence):
    from torch_geometric.data import Batch

    return Batch.from_data_list(list(graphs))


def _chunks(n: int, size: int):
    for start in range(0, n, size):
        yield range(start, min(n, start + size))


def integrated_gradients(fn: Callable[[object], Tensor], graphs: Sequence, steps: int = 50,
                         batch_size: int = 64) -> list[GraphAttribution]:
    """Integrated gradients of ``fn`` for every graph, baseline all-zero atom and bond features.

    One forward/backward pass holds ``steps`` copies of ``max(1, batch_size // steps)`` graphs.

    Shapes:
        - **graphs:** G graphs with ``x`` :math:`(N_g, F)` and optionally ``edge_attr`` :math:`(E_g, F_e)`
        - **output:** G results with ``atoms`` :math:`(N_g)`
    """
    alphas = (torch.arange(steps, dtype=torch.float64) + 0.5) / steps
    out: list[GraphAttribution] = []
    per_chunk = max(1, batch_size // steps)
    for idx in _chunks(len(graphs), per_chunk):
        chunk = [graphs[i] for i in idx]
        with torch.no_grad():
            ends = _batch(chunk)
            full = fn(ends).double()
            zero = ends.clone()
            zero.x = torch.zeros_like(ends.x)
            if getattr(ends, "edge_attr", None) is not None:
                zero.edge_attr = torch.zeros_like(ends.edge_attr)
            ref = fn(zero).double()
        batch = _batch([g for g in chunk for _ in range(steps)])
        alpha_graph = alphas.repeat(len(chunk)).to(batch.x.dtype)  # [G * steps]
        x = batch.x
        xin = (x * alpha_graph[batch.batch, None]).detach().requires_grad_(True)
        inputs = [xin]
        edge_attr = getattr(batch, "edge_attr", None)
        has_edges = edge_attr is not None and edge_attr.numel() > 0
        if has_edges:
            edge_graph = batch.batch[batch.edge_index[0]]
            ein = (edge_attr * alpha_graph[edge_graph, None]).detach().requires_grad_(True)
            batch.edge_attr = ein
            inputs.append(ein)
        batch.x = xin
        with torch.enable_grad():
            value = fn(batch)
            grads = torch.autograd.grad(value.sum(), inputs, allow_unused=True)
        if all(g is None for g in grads):
            raise ConfigError("integrated_gradients: the model's output does not depend on the atom or bond "
                              "features (batch.x, batch.edge_attr), so there is nothing to integrate along; "
                              "a model that reads only atomic numbers and positions (e.g. schnet) is one",
                              hint="use methods: [occlusion] for this model")
        gx = grads[0] if grads[0] is not None else torch.zeros_like(xin)
        node_ig = (x.double() * gx.double()).sum(1)  # x * grad at each step, summed over features
        atom_scores = torch.zeros(x.size(0), dtype=torch.float64)
        atom_scores += node_ig
        if has_edges and grads[1] is not None:
            edge_ig = (edge_attr.double() * grads[1].double()).sum(1)
            src, dst = batch.edge_index
            atom_scores.index_add_(0, src, 0.5 * edge_ig)
            atom_scores.index_add_(0, dst, 0.5 * edge_ig)
        ptr = batch.ptr.tolist()
        for j, g in enumerate(chunk):
            n = g.num_nodes
            # the steps copies of graph j are graphs j*steps .. (j+1)*steps - 1 of the batch
            per_step = [atom_scores[ptr[j * steps + k]: ptr[j * steps + k] + n] for k in range(steps)]
            atoms = torch.stack(per_step).mean(0).numpy()
            f, r = float(full[j]), float(ref[j])
            out.append(GraphAttribution(atoms, f, r, float(atoms.sum() - (f - r))))
    return out


def remove_atom(data, atom: int, *, keep_atom: bool = False):
    """A copy of ``data`` without atom ``atom`` and its bonds (``keep_atom``: without its bonds only).

    Node attributes (``x``, ``z``, ``pos``, ...) lose row ``atom``; edge attributes lose the bonds that touch
    it (both directions, so the pairing of columns 2k, 2k+1 is kept); graph-level attributes are copied.
    """
    n = data.num_nodes
    src, dst = data.edge_index
    keep_edge = (src != atom) & (dst != atom)
    out = data.clone()
    for key in data.keys():
        value = data[key]
        if key == "edge_index" or not isinstance(value, Tensor) or key in GRAPH_KEYS:
            continue
        if data.is_edge_attr(key):
            out[key] = value[keep_edge]
        elif not keep_atom and data.is_node_attr(key) and value.dim() > 0 and value.size(0) == n:
            out[key] = torch.cat([value[:atom], value[atom + 1:]])
    edge_index = data.edge_index[:, keep_edge]
    if not keep_atom:
        edge_index = edge_index - (edge_index > atom).long()
        out.num_nodes = n - 1
    out.edge_index = edge_index
    return out


def occlusion(fn: Callable[[object], Tensor], graphs: Sequence, mode: str = "atom",
              batch_size: int = 64) -> list[GraphAttribution]:
    """Occlusion score ``F(graph) - F(graph without atom v)`` of every atom of every graph.

    ``mode``: ``atom`` (remove the atom and its bonds) or ``bonds`` (cut its bonds only). A graph of one atom
    gets ``F(graph) - F(graph with zero atom features)`` for that atom in ``atom`` mode (an empty graph has no
    prediction).

    Shapes:
        - **output:** G results with ``atoms`` :math:`(N_g)`
    """
    if mode not in ("atom", "bonds"):
        raise ConfigError(f"occlusion mode {mode!r} is not one of atom, bonds")
    out: list[GraphAttribution] = []
    for g in graphs:
        n = g.num_nodes
        variants = [g]
        for a in range(n):
            if mode == "atom" and n == 1:
                empty = g.clone()
                empty.x = torch.zeros_like(g.x)
                variants.append(empty)
            else:
                variants.append(remove_atom(g, a, keep_atom=(mode == "bonds")))
        values = []
        with torch.no_grad():
            for idx in _chunks(len(variants), max(1, batch_size)):
                values.append(fn(_batch([variants[i] for i in idx])).double())
        v = torch.cat(values).numpy()
        out.append(GraphAttribution(v[0] - v[1:], float(v[0])))
    return out
