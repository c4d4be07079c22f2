r"""Per-molecule gradients :math:`g_i = \nabla_w \ell_i(w)` of a molgdl model on a PyG batch.

Three implementations with the same result (``method``):

``loop``
    the reference: one forward and backward per molecule (``Batch.from_data_list([g])``).
``vmap``
    ``torch.func``: ``vmap`` over molecules of ``grad`` of one molecule's loss through ``functional_call``
    (:func:`molecule_chunks`). The molecules are sorted by size and padded, a chunk at a time, to common
    sizes; each becomes a two-graph batch (the molecule and a dummy graph made of its padding), and row 0 of
    the output is its prediction. Linear cost, for any model whose molecules do not interact and that runs
    under ``vmap``; otherwise (logged) :func:`vjp_gradients`, the ``vmap`` of the ``vjp`` of the batched loss
    vector ``[B]`` over one-hot cotangents, which is exact but quadratic (each cotangent runs a backward over
    the whole batch).
``factored``
    linear cost, for parameters of ``nn.Linear`` modules (every parameter of D-MPNN + MLP head): the rows
    ``r`` (atoms, bonds, molecules) entering a linear layer belong to one molecule each, and the gradient of
    the summed loss with respect to that layer's output row, :math:`\delta_r`, is the gradient of that
    molecule's loss alone, so :math:`G_i = \sum_{r \in i} \delta_r x_r^\top` and :math:`b_i = \sum_{r \in i}
    \delta_r` (Goodfellow's per-example trick on graphs). Which molecule a row belongs to is read from a
    second backward with loss weights ``1..B`` (:math:`\delta'_r = (i+1)\,\delta_r`), so no model code is
    needed. Checks: the ratios must be integers (molecules do not interact, e.g. no batch norm in train mode)
    and :math:`\sum_i G_i` must equal the ordinary gradient; parameters outside ``nn.Linear`` modules take
    the ``vmap`` path, and all of them :func:`vjp_gradients` when molecules interact.

Shapes:
    - **output:** ``dict[name, Tensor[B, *param.shape]]`` in the order of ``names``
"""

from __future__ import annotations

import logging
import weakref
from typing import Any, Callable, Iterator, Sequence

import torch
from torch import Tensor, nn

from molgdl.train.module import per_molecule_loss

log = logging.getLogger(__name__)

METHODS = ("factored", "vmap", "loop")
LossFn = Callable[[Tensor, Any], Tensor]


def molecule_losses(model: nn.Module, batch: Any, y: Tensor, task: str) -> Tensor:
    """Per-molecule training loss ``[B]`` (scaled units, averaged over each molecule's present targets)."""
    return per_molecule_loss(model(batch), y, task)


def trainable(model: nn.Module, names: Sequence[str] | None = None) -> dict[str, nn.Parameter]:
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    return params if names is None else {n: params[n] for n in names}


def loop_gradients(model: nn.Module, graphs: Sequence[Any], y: Tensor, task: str,
                   names: Sequence[str] | None = None) -> dict[str, Tensor]:
    """Reference: one forward/backward per molecule. ``graphs``: Data objects; ``y``: ``[B, T]`` scaled."""
    from torch_geometric.data import Batch

    params = trainable(model, names)
    out = {n: torch.zeros(len(graphs), *p.shape, dtype=p.dtype, device=p.device) for n, p in params.items()}
    with torch.enable_grad():
        for i, g in enumerate(graphs):
            b = Batch.from_data_list([g]).to(y.device)
            loss = molecule_losses(model, b, y[i:i + 1], task).sum()
            grads = torch.autograd.grad(loss, list(params.values()), allow_unused=True)
            for (n, _), gr in zip(params.items(), grads):
                if gr is not None:
                    out[n][i] = gr
    return out


def vjp_gradients(model: nn.Module, batch: Any, y: Tensor, task: str, names: Sequence[str] | None = None,
                  chunk: int = 16) -> dict[str, Tensor]:
    """Per-molecule gradients ``{name: [B, *shape]}`` of the batched per-molecule losses ``[B]``: ``vmap`` of
    their ``vjp`` over one-hot cotangents, ``chunk`` at a time. Exact even when molecules interact (batch norm
    in train mode), but quadratic: every cotangent runs a backward over the whole batch."""
    from torch.func import functional_call, vjp, vmap

    params = {n: p.detach() for n, p in trainable(model, names).items()}
    buffers = dict(model.named_buffers())

    def losses(p: dict[str, Tensor]) -> Tensor:
        # fresh buffer copies: batch norm may update its running statistics inside the transform
        state = {**{n: b.clone() for n, b in buffers.items()}, **p}
        return per_molecule_loss(functional_call(model, state, (batch,), strict=False), y, task)

    with torch.enable_grad():
        L, vjp_fn = vjp(losses, params)
    B = L.shape[0]
    eye = torch.eye(B, dtype=L.dtype, device=L.device)
    parts: dict[str, list[Tensor]] = {n: [] for n in params}
    for s in range(0, B, max(1, chunk)):
        (g,) = vmap(vjp_fn)(eye[s:s + chunk])
        for n in params:
            parts[n].append(g[n])
    return {n: torch.cat(v) for n, v in parts.items()}


class NotVmappable(RuntimeError):
    """The model cannot be run on one padded molecule per ``vmap`` slot."""


class GraphPair:
    """What the model sees inside the per-molecule ``vmap``: a two-graph batch, the molecule (graph 0) and the
    dummy graph made of its padding (graph 1). The padded attributes, ``batch`` ``[N]``, ``ptr`` ``[3]``,
    ``num_graphs = 2`` and ``num_nodes = N``, as in a PyG batch."""

    def __init__(self, tensors: dict[str, Tensor], batch: Tensor, ptr: Tensor) -> None:
        self.__dict__.update(tensors)
        self.batch, self.ptr, self.num_graphs, self.num_nodes = batch, ptr, 2, batch.shape[0]

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def __contains__(self, key: str) -> bool:
        return key in self.__dict__

    def keys(self) -> list[str]:
        return list(self.__dict__)


class MoleculePadder:
    """Pads the molecules of a PyG ``Batch`` (made by ``Batch.from_data_list``) to common sizes, a chunk at a
    time, without splitting the batch into ``Data`` objects.

    Molecule ``i``'s attribute ``key`` is ``batch[key]`` sliced along its concatenation dim by
    ``batch._slice_dict[key]``, minus ``batch._inc_dict[key][i]`` (what ``Batch.get_example`` does). An
    attribute is ``node``/``edge``-level when every molecule's slice has as many rows as the molecule has
    atoms/bonds (``is_node_attr``/``is_edge_attr`` of every molecule: one molecule alone can be ambiguous,
    e.g. the ``y`` of a one-atom molecule; a tie goes to ``edge`` for keys containing "edge", as in PyG),
    else ``graph``-level. What PyG's ``__inc__`` adds per graph (atoms, bonds or nothing) is read from one
    molecule. Raises :class:`NotVmappable` for a batch or an attribute it cannot pad."""

    def __init__(self, batch: Any) -> None:
        slices, incs = getattr(batch, "_slice_dict", None), getattr(batch, "_inc_dict", None)
        if slices is None or incs is None or getattr(batch, "ptr", None) is None:
            raise NotVmappable(f"{type(batch).__name__} is not a batch made by Batch.from_data_list")
        self.nodes = batch.ptr.diff().cpu()
        self.edges = slices["edge_index"].diff() if "edge_index" in slices else torch.zeros_like(self.nodes)
        probe = int(torch.argmax(((self.nodes != self.edges) & (self.nodes > 0)).int()))
        example = batch.get_example(probe)
        n_probe, e_probe = int(self.nodes[probe]), int(self.edges[probe])
        # key -> (values, cat dim, kind, padding of incremented values, first row [B], rows [B], inc [B])
        self.attrs: dict[str, tuple[Tensor, int, str, str, Tensor, Tensor, Tensor | None]] = {}
        for key in batch.keys():
            value = batch[key]
            if not isinstance(value, Tensor) or key in ("batch", "ptr") or key not in slices:
                continue
            sl, inc = slices[key], incs.get(key)
            if inc is not None and inc.dim() > 1:
                raise NotVmappable(f"attribute {key!r} has a multi-dimensional increment")
            size = sl.diff()
            is_node, is_edge = bool(torch.equal(size, self.nodes)), bool(torch.equal(size, self.edges))
            kind = "edge" if is_edge and (not is_node or "edge" in key) else "node" if is_node else "graph"
            step = int(example.__inc__(key, example[key]))
            if step == 0:
                fill = "zero"
            elif step == n_probe:
                fill = "node"
            elif step == e_probe:
                fill = "self" if kind == "edge" else "zero"
            else:
                raise NotVmappable(f"attribute {key!r} is incremented by neither the atom nor the bond count")
            dim = batch.__cat_dim__(key, value)
            dim = 0 if dim is None else dim % value.dim()
            inc = inc if inc is not None and bool(inc.any()) else None
            self.attrs[key] = (value, dim, kind, fill, sl[:-1], size, inc)

    def order(self) -> Tensor:
        """Molecule indices ``[B]`` sorted by size (atoms, then bonds), largest first."""
        sizes = list(zip(self.nodes.tolist(), self.edges.tolist()))
        return torch.tensor(sorted(range(len(sizes)), key=sizes.__getitem__, reverse=True), dtype=torch.long)

    def pad(self, idx: Tensor) -> tuple[dict[str, Tensor], Tensor, Tensor]:
        """Molecules ``idx`` ``[C]`` padded: ``({key: [C, ...]}, batch [C, N], ptr [C, 3])``.

        ``N`` = most atoms + 1 rows (the dummy graph always has an atom), ``E`` = most bonds rows for
        edge-level, twice the rows for graph-level attributes. Padded atoms form graph 1 (``batch = 1``);
        padded entries of node-incremented attributes (``edge_index``) point to the last, dummy, atom, those
        of edge-incremented edge-level attributes to their own edge; features are padded with zeros."""
        C = idx.numel()
        n = self.nodes[idx]
        N, E = int(n.max()) + 1, int(self.edges[idx].max())
        tensors = {}
        for key, (value, dim, kind, fill, first, rows, inc) in self.attrs.items():
            dev, start, size = value.device, first[idx], rows[idx]
            S = N if kind == "node" else E if kind == "edge" else 2 * int(size.max())
            pos = torch.arange(S)
            src = (start[:, None] + pos).clamp(max=max(value.shape[dim] - 1, 0))
            v = value.index_select(dim, src.flatten().to(dev)).unflatten(dim, (C, S)).movedim(dim, 0)
            shape = [C] + [1] * value.dim()
            if inc is not None:
                v = v - inc[idx].to(dev, v.dtype).view(shape)
            shape[dim + 1] = S
            if fill == "node":
                pad = v.new_full((), N - 1)
            elif fill == "self":
                pad = pos.to(dev, v.dtype).view(shape[1:])
            else:
                pad = v.new_zeros(())
            tensors[key] = torch.where((pos < size[:, None]).to(dev).view(shape), v, pad)
        dev = next(iter(self.attrs.values()))[0].device if self.attrs else n.device
        n = n.to(dev)
        batch = (torch.arange(N, device=dev) >= n[:, None]).long()
        ptr = torch.stack([torch.zeros_like(n), n, torch.full_like(n, N)], 1)
        return tensors, batch, ptr


def _state(model: nn.Module) -> dict[str, Tensor]:
    """Detached parameters and fresh copies of the buffers (batch norm may update its running statistics)."""
    return {**{n: p.detach() for n, p in model.named_parameters()},
            **{n: b.clone() for n, b in model.named_buffers()}}


def molecule_chunks(model: nn.Module, batch: Any, y: Tensor, task: str, names: Sequence[str],
                    chunk: int = 16) -> Iterator[tuple[Tensor, dict[str, Tensor]]]:
    """``vmap`` over molecules of ``grad`` of one molecule's loss, ``C = chunk`` molecules at a time: yields
    ``(index [C], {name: [C, *shape]})``, the molecules' positions in ``batch`` and their gradients.

    The molecules are sorted by size (atoms, bonds), largest first, so that each chunk pads little
    (:class:`MoleculePadder`); the model is only used through ``functional_call`` on a :class:`GraphPair`,
    whose graph 0 row of the output is the molecule's prediction. This assumes that molecules do not
    interact, which is checked on the first chunk against the ordinary batched forward. Raises
    :class:`NotVmappable` when the model cannot run under ``vmap`` (data-dependent control flow, ``.item()``,
    ``nonzero``, random ops, in-place updates of buffers) or fails the check."""
    from torch.func import functional_call, grad, vmap
    from torch_geometric.data import Batch

    padder = MoleculePadder(batch)
    order = padder.order()
    state = _state(model)
    wrt = {n: state[n] for n in names}

    def loss(p: dict[str, Tensor], tensors: dict[str, Tensor], bvec: Tensor, ptr: Tensor, yi: Tensor):
        out = functional_call(model, {**state, **p}, (GraphPair(tensors, bvec, ptr),))
        return per_molecule_loss(out[:1], yi[None], task)[0], out[0]

    per_molecule = vmap(grad(loss, has_aux=True), in_dims=(None, 0, 0, 0, 0))
    for s in range(0, len(order), max(1, chunk)):
        idx = order[s:s + chunk]
        if s == 0:  # the ordinary forward first: models may check their input on the first call only
            with torch.no_grad():
                ref = functional_call(model, _state(model), (Batch.from_data_list(batch.index_select(idx)),))
        yi = y[idx.to(y.device)]
        try:
            with torch.enable_grad():
                g, out = per_molecule(wrt, *padder.pad(idx), yi)
        except Exception as err:  # whatever the model raises under vmap
            raise NotVmappable(f"{type(err).__name__}: {err}") from err
        if s == 0 and not torch.allclose(out, ref, rtol=1e-4, atol=1e-4 * max(1.0, float(ref.abs().max()))):
            raise NotVmappable("a padded molecule's prediction differs from the batched forward (molecules "
                               "interact, or the forward is random)")
        yield idx.to(y.device), g


_warned: weakref.WeakSet = weakref.WeakSet()


def _fall_back(model: nn.Module, err: NotVmappable) -> None:
    if model not in _warned:
        _warned.add(model)
        log.warning("per-molecule vmap does not apply to %s (%s); using the quadratic vjp path instead",
                    type(model).__name__, err)


def vmap_gradients(model: nn.Module, batch: Any, y: Tensor, task: str, names: Sequence[str] | None = None,
                   chunk: int = 16) -> dict[str, Tensor]:
    """Per-molecule gradients ``{name: [B, *shape]}`` by ``vmap`` over molecules (:func:`molecule_chunks`),
    ``chunk`` molecules at a time; :func:`vjp_gradients` (logged) where the model cannot be vmapped."""
    params = trainable(model, names)
    try:
        out = {n: p.new_empty(y.shape[0], *p.shape) for n, p in params.items()}
        for idx, g in molecule_chunks(model, batch, y, task, list(params), chunk):
            for n, v in g.items():
                out[n][idx] = v
        return out
    except NotVmappable as err:
        _fall_back(model, err)
        return vjp_gradients(model, batch, y, task, list(params), chunk)


def _reduce(g: dict[str, Tensor]) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """``{name: [B, *shape]}`` -> (``sum_i g_i``, ``|g_i|^2`` ``[B]``), each a single pass over ``g``."""
    flat = {n: v.reshape(v.shape[0], -1) for n, v in g.items()}
    return ({n: (v.new_ones(v.shape[0]) @ v).reshape(g[n].shape[1:]) for n, v in flat.items()},
            {n: torch.linalg.vector_norm(v, dim=1).square() for n, v in flat.items()})


def vmap_sq_norms(model: nn.Module, batch: Any, y: Tensor, task: str, names: Sequence[str] | None = None,
                  chunk: int = 16) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """:func:`vmap_gradients` reduced chunk by chunk to ``(sum_g, sq)`` (as :func:`example_sq_norms`), so that
    the ``[B, *shape]`` gradients are never all in memory."""
    params = trainable(model, names)
    try:
        sum_g = {n: torch.zeros_like(p) for n, p in params.items()}
        sq = {n: p.new_empty(y.shape[0]) for n, p in params.items()}
        for idx, g in molecule_chunks(model, batch, y, task, list(params), chunk):
            s, q = _reduce(g)
            for n in g:
                sum_g[n] += s[n]
                sq[n][idx] = q[n]
        return sum_g, sq
    except NotVmappable as err:
        _fall_back(model, err)
        return _reduce(vjp_gradients(model, batch, y, task, list(params), chunk))


class NotSeparable(RuntimeError):
    """The factored path cannot attribute rows to molecules (they interact)."""


def _segment_outer(mol: Tensor, d: Tensor, x: Tensor, B: int) -> Tensor:
    """``sum_{r: mol_r = i} d_r x_r^T`` for every ``i``: ``[B, out, in]``; rows sorted by ``mol``.

    One padded ``bmm`` when the molecules have about the same number of rows (e.g. one row each, as in the
    head), otherwise one ``mm`` per molecule on its contiguous rows (no padding FLOPs)."""
    counts = torch.bincount(mol, minlength=B)
    nmax = int(counts.max()) if counts.numel() else 0
    if nmax * B <= 1.25 * mol.numel():
        start = torch.cumsum(counts, 0) - counts
        pos = torch.arange(mol.numel(), device=mol.device) - start[mol]
        dp = d.new_zeros(B, nmax, d.shape[1])
        xp = x.new_zeros(B, nmax, x.shape[1])
        dp[mol, pos] = d
        xp[mol, pos] = x
        return dp.transpose(1, 2) @ xp
    out = d.new_empty(B, d.shape[1], x.shape[1])
    s = 0
    for i, n in enumerate(counts.tolist()):
        if n:
            torch.mm(d[s:s + n].T, x[s:s + n], out=out[i])
            s += n
        else:
            out[i].zero_()
    return out


def _segment_gram_sq(mol: Tensor, d: Tensor, x: Tensor | None, B: int) -> Tensor:
    """``|sum_{r in i} d_r x_r^T|_F^2 = sum_{r,s in i} (d_r.d_s)(x_r.x_s)`` per molecule ``[B]``, without
    forming the ``[out, in]`` matrices (``x`` None: the bias, ``|sum_{r in i} d_r|^2``); rows sorted by
    ``mol``."""
    if x is None:
        return d.new_zeros(B, d.shape[1]).index_add_(0, mol, d).pow(2).sum(1)
    counts = torch.bincount(mol, minlength=B)
    if int(counts.max()) <= 1:
        out = d.new_zeros(B)
        out[mol] = d.pow(2).sum(1) * x.pow(2).sum(1)
        return out
    out = d.new_zeros(B)
    s = 0
    for i, n in enumerate(counts.tolist()):
        if n:
            dd, xx = d[s:s + n], x[s:s + n]
            out[i] = ((dd @ dd.T) * (xx @ xx.T)).sum()
            s += n
    return out


class LinearRows:
    """What the factored path extracts from one batched forward and two backward passes.

    ``rows[w_name] = (mol [R], delta [R, out], x [R, in])`` sorted by molecule, ``bias_of[w_name]``,
    ``full[name]`` (the ordinary gradient of the summed loss), ``missing`` (requested parameters not covered),
    ``B`` (molecules)."""

    def __init__(self, rows, bias_of, full, missing, B):
        self.rows, self.bias_of, self.full, self.missing, self.B = rows, bias_of, full, missing, B


def linear_rows(model: nn.Module, batch: Any, y: Tensor, task: str, names: Sequence[str] | None = None,
                full_gradient: bool = True) -> LinearRows:
    """One forward with hooks on the ``nn.Linear`` modules whose weight is among ``names``, the backward of
    the summed loss (row gradients and, if ``full_gradient``, the ordinary parameter gradients used by the
    checks) and the backward of the ``1..B``-weighted loss (which molecule each row belongs to).
    Raises :class:`NotSeparable` when a row mixes molecules."""
    params = trainable(model, names)
    by_id = {id(p): n for n, p in params.items()}
    linears: dict[str, tuple[nn.Linear, str, str | None]] = {}
    for mname, mod in model.named_modules():
        if isinstance(mod, nn.Linear) and id(mod.weight) in by_id:
            bname = by_id.get(id(mod.bias)) if mod.bias is not None else None
            linears[mname] = (mod, by_id[id(mod.weight)], bname)
    calls: list[tuple[str, Tensor, Tensor]] = []  # (module name, input rows, output)

    def hook(name):
        def fn(mod, inp, out):
            if out.requires_grad:
                calls.append((name, inp[0].detach().reshape(-1, mod.in_features), out))
        return fn

    handles = [mod.register_forward_hook(hook(n)) for n, (mod, _, _) in linears.items()]
    try:
        with torch.enable_grad():
            L = molecule_losses(model, batch, y, task)
    finally:
        for h in handles:
            h.remove()
    B = L.shape[0]
    covered = [n for _, wn, bn in linears.values() for n in (wn, bn) if n is not None]
    missing = [n for n in params if n not in set(covered)]
    outs = [o for _, _, o in calls]
    plist = [params[n] for n in covered] if full_gradient else []
    with torch.enable_grad():
        first = torch.autograd.grad(L.sum(), outs + plist, retain_graph=bool(outs), allow_unused=True)
        w = torch.arange(1, B + 1, dtype=L.dtype, device=L.device)
        weighted = torch.autograd.grad((L * w).sum(), outs, allow_unused=True) if outs else ()
    deltas = first[:len(outs)]
    full = {n: torch.zeros_like(params[n]) if g is None else g for n, g in zip(covered, first[len(outs):])}
    if not full_gradient:
        full = {n: None for n in covered}

    parts: dict[str, list[tuple[Tensor, Tensor, Tensor]]] = {n: [] for n in linears}
    for (name, x, o), d, dw in zip(calls, deltas, weighted):
        if d is None:
            continue
        d = d.reshape(-1, o.shape[-1])
        dw = dw.reshape(-1, o.shape[-1])
        den = (d * d).sum(1)
        ratio = (d * dw).sum(1) / den.clamp(min=torch.finfo(den.dtype).tiny)
        idx = ratio.round()
        big = den > den.max() * 1e-10
        if bool(((ratio - idx).abs()[big] > 0.05).any()) or bool(((idx < 1) | (idx > B))[big].any()):
            raise NotSeparable(f"the rows of linear layer {name!r} mix several molecules (batch norm in "
                               "train mode, attention across molecules?)")
        parts[name].append(((idx.clamp(1, B) - 1).long(), d, x))
    rows, bias_of = {}, {}
    for name, (mod, wn, bn) in linears.items():
        bias_of[wn] = bn
        if parts[name]:
            mol = torch.cat([p[0] for p in parts[name]])
            order = torch.argsort(mol, stable=True)
            rows[wn] = (mol[order], torch.cat([p[1] for p in parts[name]])[order],
                        torch.cat([p[2] for p in parts[name]])[order])
        else:
            rows[wn] = (torch.zeros(0, dtype=torch.long), mod.weight.new_zeros(0, mod.out_features),
                        mod.weight.new_zeros(0, mod.in_features))
    return LinearRows(rows, bias_of, full, missing, B)


def _check_sum(lr: LinearRows, name: str, per_example_sum: Tensor, rtol: float) -> bool:
    """``sum_i G_i`` equals the ordinary gradient: every use of the parameter went through the module
    (True without a check when the ordinary gradient was not computed)."""
    ref = lr.full[name]
    if ref is None:
        return True
    return float((per_example_sum - ref).norm()) <= rtol * float(ref.norm()) + 1e-12


def factored_gradients(model: nn.Module, batch: Any, y: Tensor, task: str, names: Sequence[str] | None = None,
                       check_rtol: float = 1e-3) -> tuple[dict[str, Tensor], list[str]]:
    r"""Linear-cost per-molecule gradients ``{name: [B, *shape]}`` of the ``nn.Linear`` parameters in
    ``names``.

    Returns ``(grads, missing)``: ``missing`` lists the requested parameters this path does not cover (not in
    an ``nn.Linear``, or a linear layer whose weight is also used outside its ``forward``, detected by
    :math:`\sum_i G_i \neq` the ordinary gradient); get those from :func:`vmap_gradients`.
    """
    lr = linear_rows(model, batch, y, task, names)
    grads: dict[str, Tensor] = {}
    missing = list(lr.missing)
    for wn, (mol, d, x) in lr.rows.items():
        g = _segment_outer(mol, d, x, lr.B)
        if _check_sum(lr, wn, g.sum(0), check_rtol):
            grads[wn] = g
        else:
            missing.append(wn)
        bn = lr.bias_of[wn]
        if bn is not None:
            gb = d.new_zeros(lr.B, d.shape[1]).index_add_(0, mol, d)
            if _check_sum(lr, bn, gb.sum(0), check_rtol):
                grads[bn] = gb
            else:
                missing.append(bn)
    return grads, missing


def example_gradients(model: nn.Module, batch: Any, y: Tensor, task: str, names: Sequence[str] | None = None,
                      method: str = "factored", chunk: int = 16) -> dict[str, Tensor]:
    """Per-molecule gradients ``{name: [B, *shape]}`` of the trainable parameters ``names`` (all if None).

    ``y``: ``[B, T]`` targets in scaled units (``PredictorModule.scaled_targets``). The model's mode
    (train/eval) is used as it is. ``method``: ``factored`` (falls back to ``vmap`` for the parameters it does
    not cover, to :func:`vjp_gradients` when molecules interact), ``vmap`` or ``loop``. ``chunk``: molecules
    per ``vmap`` call.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    names = list(trainable(model, names))
    if method == "loop":
        return loop_gradients(model, batch.to_data_list(), y, task, names)
    if method == "vmap":
        return vmap_gradients(model, batch, y, task, names, chunk)
    try:
        grads, missing = factored_gradients(model, batch, y, task, names)
    except NotSeparable:
        return vjp_gradients(model, batch, y, task, names, chunk)
    if missing:
        grads.update(vmap_gradients(model, batch, y, task, missing, chunk))
    return {n: grads[n] for n in names}


def example_sq_norms(model: nn.Module, batch: Any, y: Tensor, task: str, names: Sequence[str] | None = None,
                     method: str = "factored", chunk: int = 16, check_rtol: float = 1e-3, check: bool = True,
                     fallback: list[str] | None = None) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """``(sum_g, sq)``: ``sum_g[name] = sum_i g_i`` (``*shape``) and ``sq[name] = |g_i|^2`` per molecule
    ``[B]``.

    All that m-coherence needs. The factored path never forms the per-molecule weight gradients (Gram trick,
    :func:`_segment_gram_sq`); ``vmap`` reduces them chunk by chunk (:func:`vmap_sq_norms`), ``loop`` at the
    end. ``check=False`` skips the ordinary parameter gradients that check the factored rows (about a quarter
    of the cost; do the check once per model, as the coherence callback does). ``fallback``, if given,
    receives the names that the factored path did not cover.
    """
    names = list(trainable(model, names))
    sum_g: dict[str, Tensor] = {}
    sq: dict[str, Tensor] = {}
    rest, separable = names, True
    if method == "factored":
        try:
            lr = linear_rows(model, batch, y, task, names, full_gradient=check)
        except NotSeparable:
            lr, separable = None, False
        if lr is not None:
            rest = list(lr.missing)
            for wn, (mol, d, x) in lr.rows.items():
                pairs = [(wn, x)] + ([(lr.bias_of[wn], None)] if lr.bias_of[wn] is not None else [])
                for n, xx in pairs:
                    if n not in sq:
                        sq[n] = _segment_gram_sq(mol, d, xx, lr.B)
                        sum_g[n] = (d.T @ x) if xx is not None else d.sum(0)
            # the check of factored_gradients without forming G_i: a use of a parameter outside its module's
            # forward shows as an ordinary gradient that the captured rows do not add up to
            for wn, (mol, d, x) in lr.rows.items():
                for n, total in ((wn, d.T @ x), (lr.bias_of[wn], d.sum(0))):
                    if n is not None and not _check_sum(lr, n, total, check_rtol):
                        rest.append(n)
                        sq.pop(n, None)
                        sum_g.pop(n, None)
        if fallback is not None:
            fallback.extend(rest)
    if rest:
        if method == "loop":
            s, q = _reduce(loop_gradients(model, batch.to_data_list(), y, task, rest))
        elif separable:
            s, q = vmap_sq_norms(model, batch, y, task, rest, chunk)
        else:
            s, q = _reduce(vjp_gradients(model, batch, y, task, rest, chunk))
        sum_g.update(s)
        sq.update(q)
    return {n: sum_g[n] for n in names}, {n: sq[n] for n in names}
