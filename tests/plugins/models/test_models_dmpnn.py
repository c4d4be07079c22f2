"""D-MPNN against a slow loop-based reference of chemprop's equations, and its input checks."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Data

from molgdl.errors import DataError
from molgdl.specs import FeatureDims
from molgdl_models.dmpnn import DMPNNEncoder
from molgdl_models.params import DMPNNParams

ACTS = {"relu": torch.relu, "tanh": torch.tanh}


def reference_dmpnn(model: DMPNNEncoder, data: Data, activation: str, undirected: bool) -> torch.Tensor:
    """Loop-based D-MPNN with the weights of ``model`` (state dict copied into plain tensors).

    Message into the directed bond v->w: sum of h(k->v) over the bonds k->v with k != w.
    Atom state: tau(W_o [x_v || sum_k h(k->v)]). depth counts the initial bond state (chemprop).
    """
    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    W_i, W_h, W_o, b_o = sd["W_i.weight"], sd["W_h.weight"], sd["W_o.weight"], sd["W_o.bias"]
    b_i = sd.get("W_i.bias", torch.zeros(W_i.shape[0], dtype=W_i.dtype))
    b_h = sd.get("W_h.bias", torch.zeros(W_h.shape[0], dtype=W_h.dtype))
    tau = ACTS[activation]
    x, ea = data.x, data.edge_attr
    edges = [tuple(e) for e in data.edge_index.t().tolist()]
    n = x.shape[0]

    h0 = {}
    for e, (v, w) in enumerate(edges):
        h0[(v, w)] = W_i @ torch.cat([x[v], ea[e]]) + b_i
    h = {vw: tau(val) for vw, val in h0.items()}
    for _ in range(model.depth - 1):
        if undirected:
            h = {(v, w): (h[(v, w)] + h[(w, v)]) / 2 for (v, w) in h}
        new = {}
        for v, w in edges:
            m = torch.zeros(W_h.shape[0], dtype=x.dtype)
            for k, v2 in edges:
                if v2 == v and k != w:
                    m = m + h[(k, v)]
            new[(v, w)] = tau(h0[(v, w)] + W_h @ m + b_h)
        h = new
    out = []
    for v in range(n):
        s = torch.zeros(W_h.shape[0], dtype=x.dtype)
        for k, v2 in edges:
            if v2 == v:
                s = s + h[(k, v)]
        out.append(tau(W_o @ torch.cat([x[v], s]) + b_o))
    return torch.stack(out)


def tiny_graph(dtype=torch.float64) -> Data:
    """Atoms 0-1-2 form a triangle, 3 hangs on 2, 4 has no bonds."""
    gen = torch.Generator().manual_seed(0)
    bonds = [(0, 1), (1, 2), (2, 0), (2, 3)]
    cols = [c for u, v in bonds for c in ((u, v), (v, u))]
    return Data(
        x=torch.randn(5, 3, generator=gen, dtype=dtype),
        edge_index=torch.tensor(cols).t().contiguous(),
        edge_attr=torch.randn(len(bonds), 2, generator=gen, dtype=dtype).repeat_interleave(2, 0),
    )


@pytest.mark.parametrize(
    "depth,bias,activation,undirected",
    [
        (1, False, "relu", False),
        (2, False, "relu", False),
        (3, False, "relu", False),
        (5, True, "tanh", False),
        (3, True, "relu", True),
    ],
)
def test_matches_loop_reference(depth, bias, activation, undirected):
    torch.manual_seed(depth)
    model = DMPNNEncoder(
        3, 2, hidden_dim=6, depth=depth, bias=bias, activation=activation, undirected=undirected
    )
    model = model.double().eval()
    with torch.no_grad():  # positive weights so that ReLU keeps most units active
        for p in model.parameters():
            p.copy_(p.abs() * 0.5 + 0.05 if activation == "relu" else p)
    data = tiny_graph()
    got = model(data)
    ref = reference_dmpnn(model, data, activation, undirected)
    assert got.shape == (5, 6)
    torch.testing.assert_close(got, ref, rtol=1e-12, atol=1e-12)
    # the isolated atom is tau(W_o [x || 0])
    iso = ACTS[activation](model.W_o(torch.cat([data.x[4], torch.zeros(6, dtype=torch.float64)])))
    torch.testing.assert_close(got[4], iso, rtol=1e-12, atol=1e-12)


def test_messages_use_the_reverse_pairing():
    """Swapping the columns of one bond pair does not change the output (pairing is what matters)."""
    torch.manual_seed(0)
    model = DMPNNEncoder(3, 2, hidden_dim=6, depth=3).double().eval()
    data = tiny_graph()
    swapped = data.clone()
    order = torch.tensor([1, 0, 2, 3, 4, 5, 6, 7])
    swapped.edge_index = data.edge_index[:, order]
    swapped.edge_attr = data.edge_attr[order]
    torch.testing.assert_close(model(data), model(swapped))


def test_unpaired_edges_raise():
    model = DMPNNEncoder(3, 2, hidden_dim=4)
    data = tiny_graph(torch.float32)
    bad = data.clone()
    bad.edge_index = data.edge_index[:, torch.tensor([0, 2, 1, 3, 4, 5, 6, 7])]
    with pytest.raises(DataError, match="2k"):
        model(bad)
    odd = data.clone()
    odd.edge_index, odd.edge_attr = data.edge_index[:, :7], data.edge_attr[:7]
    with pytest.raises(DataError, match="odd"):
        DMPNNEncoder(3, 2, hidden_dim=4)(odd)


def test_wrong_feature_widths_raise():
    data = tiny_graph(torch.float32)
    with pytest.raises(DataError, match="atom features"):
        DMPNNEncoder(4, 2)(data)
    with pytest.raises(DataError, match="bond features"):
        DMPNNEncoder(3, 5)(data)


def test_no_bonds_at_all_and_no_bond_features():
    model = DMPNNEncoder(3, 0, hidden_dim=4).eval()
    data = Data(x=torch.randn(2, 3), edge_index=torch.zeros(2, 0, dtype=torch.long))
    out = model(data)
    torch.testing.assert_close(out, torch.relu(model.W_o(torch.cat([data.x, torch.zeros(2, 4)], 1))))


def test_factory_defaults_follow_chemprop():
    from molgdl_models.dmpnn import build_dmpnn

    model = build_dmpnn(DMPNNParams(), FeatureDims(atom_dim=10, bond_dim=3))
    assert model.out_dim == 300 and model.depth == 3
    assert model.W_i.bias is None and model.W_h.bias is None and model.W_o.bias is not None
    assert model.W_i.in_features == 13 and model.W_o.in_features == 310
