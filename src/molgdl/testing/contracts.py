"""Contract checks any encoder/readout must pass: permutation invariance and batch consistency."""

from __future__ import annotations

from typing import Any, Callable

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


# ---------------------------------------------------------------------------------------------------------
# Node-level checks for encoders, graph data contract, symmetry checks. Each raises AssertionError with a
# message that says what differs; the contract classes of ``molgdl.testing.suites`` call them.


def _close(a: torch.Tensor, b: torch.Tensor, rtol: float, atol: float) -> bool:
    """allclose with ``atol`` relative to the magnitude of ``a`` (outputs may be large)."""
    scale = float(a.detach().abs().max()) if a.numel() else 0.0
    return a.shape == b.shape and torch.allclose(a, b, rtol=rtol, atol=atol * max(1.0, scale))


def _maxdiff(a: torch.Tensor, b: torch.Tensor) -> str:
    if a.shape != b.shape:
        return f"shapes {tuple(a.shape)} vs {tuple(b.shape)}"
    return f"max |diff| = {(a - b).abs().max():.3g}" if a.numel() else "empty"


def relabel_molecule(data: Data, generator: torch.Generator) -> tuple[Data, torch.Tensor]:
    """A random relabelling of ``data``: atoms permuted, bonds shuffled, bond directions flipped (the
    (2k, 2k+1) pairing of the two directions of a bond is kept). Returns ``(new, perm)`` where new atom
    ``i`` is old atom ``perm[i]``; every per-atom and per-edge tensor is moved accordingly."""
    n = data.num_nodes
    perm = torch.randperm(n, generator=generator)
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(n)
    num_bonds = data.edge_index.size(1) // 2
    bond_perm = torch.randperm(num_bonds, generator=generator)
    flip = torch.randint(0, 2, (num_bonds,), generator=generator)
    gather = torch.stack([2 * bond_perm + flip, 2 * bond_perm + 1 - flip], dim=1).reshape(-1)
    out = data.clone()
    for key, value in data.items():
        if not isinstance(value, torch.Tensor) or key == "edge_index":
            continue
        if data.is_node_attr(key) and value.size(0) == n:
            setattr(out, key, value[perm])
        elif data.is_edge_attr(key) and value.size(0) == data.edge_index.size(1):
            setattr(out, key, value[gather])
    out.edge_index = inv[data.edge_index[:, gather]]
    return out, perm


def check_node_permutation_equivariance(encoder: Callable[[Batch], torch.Tensor], data: Data, *, seed: int = 0,
                                        rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """Node embeddings follow the atoms: ``encoder(relabelled)[i] == encoder(data)[perm[i]]`` for a random
    relabelling of atoms and bonds (``relabel_molecule``)."""
    moved, perm = relabel_molecule(data, torch.Generator().manual_seed(seed))
    h = encoder(Batch.from_data_list([data]))
    h_moved = encoder(Batch.from_data_list([moved]))
    if not _close(h_moved, h[perm], rtol, atol):
        raise AssertionError("node embeddings are not permutation-equivariant (relabelled atoms and bonds): "
                             + _maxdiff(h_moved, h[perm]))


def check_node_batch_consistency(encoder: Callable[[Batch], torch.Tensor], graphs: list[Data], *,
                                 rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """The node embeddings of each molecule are the same alone as inside a batch with the others (no
    information leaks between molecules of a batch, no batch statistics)."""
    batch = Batch.from_data_list(graphs)
    together = encoder(batch)
    if together.size(0) != batch.num_nodes:
        raise AssertionError(f"encoder returned {together.size(0)} rows for a batch of {batch.num_nodes} atoms")
    for i, g in enumerate(graphs):
        alone = encoder(Batch.from_data_list([g]))
        inside = together[batch.ptr[i]:batch.ptr[i + 1]]
        if not _close(alone, inside, rtol, atol):
            raise AssertionError(f"molecule {i} ({g.num_nodes} atoms): node embeddings differ alone vs inside a "
                                 f"batch of {len(graphs)}: {_maxdiff(alone, inside)}")


def random_rotation(generator: torch.Generator, *, proper: bool = True,
                    dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A random 3 x 3 orthogonal matrix (det +1 when ``proper``, else det -1: a rotation-reflection)."""
    q, r = torch.linalg.qr(torch.randn(3, 3, generator=generator, dtype=torch.float64))
    q = q * torch.sign(torch.diagonal(r))
    if (torch.det(q) > 0) != proper:
        q[:, 0] = -q[:, 0]
    return q.to(dtype)


def check_euclidean_invariance(encoder: Callable[[Batch], torch.Tensor], graphs: list[Data], *,
                               reflections: bool = True, seed: int = 0, rtol: float = 1e-4,
                               atol: float = 1e-4) -> None:
    """Node embeddings do not change when ``pos`` is rotated (and reflected when ``reflections``) and
    translated, molecule by molecule."""
    gen = torch.Generator().manual_seed(seed)
    batch = Batch.from_data_list(graphs)
    if getattr(batch, "pos", None) is None:
        raise AssertionError("the model claims a Euclidean symmetry but the test graphs have no pos")
    h = encoder(batch)
    cases = [("rotation", True)] + ([("rotation-reflection", False)] if reflections else [])
    for label, proper in cases:
        moved = []
        for g in graphs:
            g2 = g.clone()
            rot = random_rotation(gen, proper=proper, dtype=g.pos.dtype)
            g2.pos = g.pos @ rot.T + torch.randn(3, generator=gen).to(g.pos.dtype) * 5.0
            moved.append(g2)
        h_moved = encoder(Batch.from_data_list(moved))
        if not _close(h_moved, h, rtol, atol):
            raise AssertionError(f"node embeddings changed under a {label} + translation of pos: "
                                 + _maxdiff(h_moved, h))


def to_float64(graphs: list[Data]) -> list[Data]:
    """Copies of ``graphs`` with every floating-point tensor (x, edge_attr, pos, ...) in float64."""
    out = []
    for g in graphs:
        g2 = g.clone()
        for key, value in g.items():
            if isinstance(value, torch.Tensor) and value.is_floating_point():
                setattr(g2, key, value.double())
        out.append(g2)
    return out


def forces_of(energy: Callable[[Batch], torch.Tensor], graphs: list[Data]) -> torch.Tensor:
    """``-dE/dpos`` ``[N, 3]`` of ``energy(batch) -> [B]`` for the batch of ``graphs`` (autograd)."""
    batch = Batch.from_data_list(graphs)
    with torch.enable_grad():
        pos = batch.pos.detach().clone().requires_grad_(True)
        batch.pos = pos
        (grad,) = torch.autograd.grad(energy(batch).sum(), pos)
    return -grad


def check_force_equivariance(energy: Callable[[Batch], torch.Tensor], graphs: list[Data], *,
                             reflections: bool = True, seed: int = 0, rtol: float = 1e-4,
                             atol: float = 1e-4) -> None:
    """Forces ``F = -dE/dpos`` of an invariant energy rotate with the molecule, ``F(x R^T + t) = F(x) R^T``
    (also for rotation-reflections when ``reflections``), and follow relabelled atoms,
    ``F(relabelled) = F[perm]``."""
    gen = torch.Generator().manual_seed(seed)
    forces = forces_of(energy, graphs)
    sizes = [g.num_nodes for g in graphs]
    cases = [("rotation", True)] + ([("rotation-reflection", False)] if reflections else [])
    for label, proper in cases:
        moved, expected = [], []
        for g, f in zip(graphs, forces.split(sizes)):
            rot = random_rotation(gen, proper=proper, dtype=g.pos.dtype)
            g2 = g.clone()
            g2.pos = g.pos @ rot.T + torch.randn(3, generator=gen).to(g.pos.dtype) * 5.0
            moved.append(g2)
            expected.append(f @ rot.T)
        got, want = forces_of(energy, moved), torch.cat(expected)
        if not _close(got, want, rtol, atol):
            raise AssertionError(f"forces do not rotate with the molecule under a {label} + translation: "
                                 + _maxdiff(got, want))
    for i, (g, f) in enumerate(zip(graphs, forces.split(sizes))):
        if g.num_nodes < 2:
            continue
        moved, perm = relabel_molecule(g, gen)
        got = forces_of(energy, [moved])
        if not _close(got, f[perm], rtol, atol):
            raise AssertionError(f"molecule {i}: forces do not follow relabelled atoms: " + _maxdiff(got, f[perm]))


def check_irreps_equivariance(features: Callable[[Batch], torch.Tensor], irreps: Any, graphs: list[Data], *,
                              reflections: bool = True, seed: int = 0, rtol: float = 1e-4,
                              atol: float = 1e-4) -> None:
    """Equivariant node features ``[N, irreps.dim]`` transform with the Wigner matrices of ``irreps``:
    ``f(x R^T + t) = f(x) D(R)^T``, with parity applied for rotation-reflections when ``reflections``.
    ``irreps`` is any object with ``D_from_matrix(R) -> Tensor[dim, dim]``, e.g. an ``e3nn.o3.Irreps`` (the core
    does not import e3nn)."""
    gen = torch.Generator().manual_seed(seed)
    batch = Batch.from_data_list(graphs)
    base = features(batch)
    cases = [("rotation", True)] + ([("rotation-reflection", False)] if reflections else [])
    for label, proper in cases:
        rot = random_rotation(gen, proper=proper, dtype=torch.float64)
        shift = torch.randn(3, generator=gen, dtype=torch.float64) * 5.0
        moved = []
        for g in graphs:
            g2 = g.clone()
            g2.pos = g.pos @ rot.to(g.pos.dtype).T + shift.to(g.pos.dtype)
            moved.append(g2)
        got = features(Batch.from_data_list(moved))
        wigner = _wigner_float64(irreps, rot).to(base.dtype)
        want = base @ wigner.T
        if not _close(got, want, rtol, atol):
            raise AssertionError(f"features of irreps {irreps} are not equivariant under a {label} + translation: "
                                 + _maxdiff(got, want))


def _wigner_float64(irreps: Any, rot: torch.Tensor) -> torch.Tensor:
    """e3nn's ``D_from_matrix`` builds its Wigner matrices in the default dtype (float32: errors ~1e-7)."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return irreps.D_from_matrix(rot.double())
    finally:
        torch.set_default_dtype(old)


SymmetryCheck = Callable[..., None]
SYMMETRY_CHECKS: dict[str, SymmetryCheck] = {}
"""Checks for the names a ``ModelSpec.symmetry`` may claim, called as
``check(encode, graphs, model, rtol=..., atol=...)``: ``encode(batch) -> Tensor[num_nodes, out_dim]`` runs
the encoder without gradients, ``graphs`` are the test molecules (with ``pos``), ``model`` is the encoder
module itself (for what a check may need beyond its output: ``ModelContract`` also differentiates through it
for forces, and reads ``model.irreps_features``/``model.forward_features`` when present). ``rtol``/``atol``
are relative tolerances (1e-4 in float32, 1e-9 in float64). ``ModelContract`` runs the check of every claimed
name; a claim without a check gives a ``ContractWarning``. Register more with ``register_symmetry_check``."""


def register_symmetry_check(name: str) -> Callable[[SymmetryCheck], SymmetryCheck]:
    """Decorator: ``@register_symmetry_check("E3") def check(encode, graphs, model, rtol, atol): ...``
    (raises AssertionError)."""

    def deco(fn: SymmetryCheck) -> SymmetryCheck:
        SYMMETRY_CHECKS[name] = fn
        return fn

    return deco


@register_symmetry_check("permutation")
def _permutation(encode, graphs, model=None, rtol: float = 1e-4, atol: float = 1e-4):
    """Relabelling atoms (and shuffling bonds) permutes the node embeddings the same way."""
    for i, g in enumerate(graphs):
        if g.num_nodes > 1:
            check_node_permutation_equivariance(encode, g, seed=i, rtol=rtol, atol=atol)


def _euclidean(encode, graphs, model, reflections: bool, rtol: float, atol: float) -> None:
    check_euclidean_invariance(encode, graphs, reflections=reflections, rtol=rtol, atol=atol)
    features = getattr(model, "forward_features", None)
    if model is not None and callable(features) and getattr(model, "irreps_features", None) is not None:
        def run(batch):
            with torch.no_grad():
                return features(batch)

        check_irreps_equivariance(run, model.irreps_features, graphs, reflections=reflections, rtol=rtol, atol=atol)


@register_symmetry_check("E3")
def _e3(encode, graphs, model=None, rtol: float = 1e-4, atol: float = 1e-4):
    """E(3): rotations, reflections and translations leave node embeddings unchanged (and transform
    ``model.forward_features`` by the Wigner matrices of ``model.irreps_features`` when the model has them)."""
    _euclidean(encode, graphs, model, True, rtol, atol)


@register_symmetry_check("SE3")
def _se3(encode, graphs, model=None, rtol: float = 1e-4, atol: float = 1e-4):
    """SE(3): proper rotations and translations leave node embeddings unchanged (chiral models)."""
    _euclidean(encode, graphs, model, False, rtol, atol)


def check_graph_data(data: Data, dims, where: str = "graph") -> None:
    """The molgdl graph data contract (see plugins/CONVENTIONS.md and docs/plugins.md) for one featurized
    graph, against the featurizer's ``dims`` (``FeatureDims``)."""

    def fail(msg: str) -> None:
        raise AssertionError(f"{where}: {msg}")

    if not isinstance(data, Data):
        fail(f"expected torch_geometric.data.Data, got {type(data).__name__}")
    z = getattr(data, "z", None)
    if not isinstance(z, torch.Tensor) or z.dtype != torch.int64 or z.dim() != 1 or z.numel() == 0:
        fail(f"z must be a non-empty int64 tensor [N] of atomic numbers, got {_describe(z)}")
    n = z.numel()
    if int(z.min()) < 1 or int(z.max()) > 118:
        fail(f"z holds atomic numbers outside 1..118: {z.tolist()}")
    x = getattr(data, "x", None)
    if dims.atom_dim > 0 or x is not None:
        if not isinstance(x, torch.Tensor) or x.dtype != torch.float32 or tuple(x.shape) != (n, dims.atom_dim):
            fail(f"x must be float32 [{n}, {dims.atom_dim}] (N atoms, dims.atom_dim), got {_describe(x)}")
        if not torch.isfinite(x).all():
            fail("x holds NaN or inf")
    ei = getattr(data, "edge_index", None)
    if not isinstance(ei, torch.Tensor) or ei.dtype != torch.int64 or ei.dim() != 2 or ei.size(0) != 2:
        fail(f"edge_index must be int64 [2, E], got {_describe(ei)}")
    num_edges = ei.size(1)
    if num_edges % 2:
        fail(f"edge_index has an odd number of edges ({num_edges}): both directions of every bond are needed")
    if num_edges:
        if int(ei.min()) < 0 or int(ei.max()) >= n:
            fail(f"edge_index points outside 0..{n - 1}")
        if not torch.equal(ei[:, 1::2], ei.flip(0)[:, 0::2]):
            bad = int((ei[:, 1::2] != ei.flip(0)[:, 0::2]).any(0).nonzero()[0])
            fail(f"edges {2 * bad} and {2 * bad + 1} are not the two directions of one bond "
                 f"({ei[:, 2 * bad].tolist()} vs {ei[:, 2 * bad + 1].tolist()}): the reverse of edge e must be e ^ 1")
        if bool((ei[0] == ei[1]).any()):
            fail("edge_index holds self-loops")
    ea = getattr(data, "edge_attr", None)
    if dims.bond_dim > 0 or ea is not None:
        if not isinstance(ea, torch.Tensor) or ea.dtype != torch.float32 or tuple(ea.shape) != (num_edges, dims.bond_dim):
            fail(f"edge_attr must be float32 [{num_edges}, {dims.bond_dim}] (E, dims.bond_dim), got {_describe(ea)}")
        if not torch.isfinite(ea).all():
            fail("edge_attr holds NaN or inf")
    pos = getattr(data, "pos", None)
    if dims.is_3d:
        if not isinstance(pos, torch.Tensor) or pos.dtype != torch.float32 or tuple(pos.shape) != (n, 3):
            fail(f"dims.is_3d is true: pos must be float32 [{n}, 3] in Å, got {_describe(pos)}")
        if not torch.isfinite(pos).all():
            fail("pos holds NaN or inf")
    elif pos is not None:
        fail("pos is set but dims.is_3d is false")
    for key in ("y", "extra", "mol_index"):
        if key in data:
            fail(f"{key!r} is added by the core; a featurizer must not set it")


def _describe(t: object) -> str:
    if isinstance(t, torch.Tensor):
        return f"{t.dtype} {list(t.shape)}"
    return type(t).__name__ if t is not None else "None"
