"""The DiffPool readout module: invariance, masking, gradients, auxiliary losses, adjacency choices, params."""

from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError
from torch_geometric.data import Batch

from molgdl.errors import DataError, TrainingError
from molgdl.testing import relabel_molecule, tiny_graphs
from molgdl_diffpool.params import DiffPoolParams
from molgdl_diffpool.readout import build_diffpool

IN_DIM = 8


def make(seed=0, **params):
    torch.manual_seed(seed)
    return build_diffpool(DiffPoolParams(**{"max_nodes": 12, "hidden_dim": 16, **params}), IN_DIM)


def features(graphs, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(g.num_nodes, IN_DIM, generator=gen) for g in graphs]


@pytest.fixture(scope="module")
def graphs():
    return tiny_graphs()


@pytest.mark.parametrize("params", [{}, {"adjacency": "radius", "radius_cutoff": 2.5}, {"conv": "gcn"},
                                    {"levels": [4, 2, 1]}])
def test_output_is_permutation_invariant(graphs, params):
    readout = make(**params).eval()
    feats = features(graphs)
    moved, moved_feats = [], []
    for i, (g, h) in enumerate(zip(graphs, feats)):
        g2, perm = relabel_molecule(g, torch.Generator().manual_seed(i))
        moved.append(g2)
        moved_feats.append(h[perm])
    with torch.no_grad():
        a = readout(torch.cat(feats), Batch.from_data_list(graphs))
        aux_a = {k: v.clone() for k, v in readout.auxiliary_losses.items()}
        b = readout(torch.cat(moved_feats), Batch.from_data_list(moved))
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    for key, value in readout.auxiliary_losses.items():
        torch.testing.assert_close(value, aux_a[key], rtol=1e-4, atol=1e-6)


def test_batch_consistency_with_radius_adjacency(graphs):
    readout = make(adjacency="radius", radius_cutoff=2.5).eval()
    feats = features(graphs)
    with torch.no_grad():
        together = readout(torch.cat(feats), Batch.from_data_list(graphs))
        for i, (g, h) in enumerate(zip(graphs, feats)):
            torch.testing.assert_close(readout(h, Batch.from_data_list([g]))[0], together[i], rtol=1e-4, atol=1e-5)


def test_padding_receives_no_assignment_mass(graphs):
    readout = make().eval()
    batch = Batch.from_data_list(graphs)
    with torch.no_grad():
        readout(torch.cat(features(graphs)), batch)
    s = readout.last_assignments[0]  # [B, N_max, K], padded
    sizes = torch.bincount(batch.batch)
    assert s.shape == (len(graphs), int(sizes.max()), 3)  # ceil(0.25 * 12) = 3 clusters
    for g, n in enumerate(sizes.tolist()):
        assert torch.equal(s[g, n:], torch.zeros_like(s[g, n:]))
        torch.testing.assert_close(s[g, :n].sum(-1), torch.ones(n))
    assert readout.last_assignment.shape == (batch.num_nodes, 3)  # real atoms only, in batch order
    torch.testing.assert_close(readout.last_assignment.sum(-1), torch.ones(batch.num_nodes))


def test_gradients_reach_both_gnns_and_the_input(graphs):
    readout = make().train()
    h = torch.cat(features(graphs)).requires_grad_(True)
    out = readout(h, Batch.from_data_list(graphs))
    loss = out.pow(2).mean() + sum(readout.auxiliary_losses.values())
    loss.backward()
    assert h.grad is not None and h.grad.abs().sum() > 0
    for part in ("embed", "assign"):
        params = list(getattr(readout.levels[0], part).parameters())
        assert params and all(p.grad is not None and p.grad.abs().sum() > 0 for p in params), part
    assert readout.levels[1].assign is None  # one cluster: S is fixed, no assignment GNN


def test_auxiliary_losses_alone_train_the_assignment_gnn(graphs):
    readout = make().train()
    readout(torch.cat(features(graphs)), Batch.from_data_list(graphs))
    sum(readout.auxiliary_losses.values()).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in readout.levels[0].assign.parameters())


def test_auxiliary_losses_are_weighted(graphs):
    feats, batch = torch.cat(features(graphs)), Batch.from_data_list(graphs)
    base, heavy = make(link_weight=1.0, entropy_weight=1.0), make(link_weight=2.0, entropy_weight=0.5)
    with torch.no_grad():
        base(feats, batch)
        heavy(feats, batch)
    torch.testing.assert_close(heavy.auxiliary_losses["link"], 2 * base.auxiliary_losses["link"])
    torch.testing.assert_close(heavy.auxiliary_losses["entropy"], 0.5 * base.auxiliary_losses["entropy"])
    off = make(link_weight=0.0, entropy_weight=0.0)
    off(feats, batch)
    assert off.auxiliary_losses == {}


def test_memory_guard_in_training_forward(graphs):
    readout = make(max_dense_entries=50)
    with pytest.raises(TrainingError, match="max_dense_entries"):
        readout(torch.cat(features(graphs)), Batch.from_data_list(graphs))


def test_inference_splits_a_batch_too_large_for_one_dense_tensor(graphs):
    """Evaluation uses larger batches than training: without gradients the batch is pooled in groups of
    molecules that fit, with the same outputs, assignments and auxiliary losses as in one pass."""
    feats, batch = torch.cat(features(graphs)), Batch.from_data_list(graphs)
    big, small = make(max_dense_entries=10**6).eval(), make(max_dense_entries=60).eval()  # 60 >= 7^2: one molecule fits
    with torch.no_grad():
        ref = big(feats, batch)
        out = small(feats, batch)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(small.last_assignment, big.last_assignment, rtol=1e-5, atol=1e-6)
    for key, value in big.auxiliary_losses.items():
        torch.testing.assert_close(small.auxiliary_losses[key], value, rtol=1e-5, atol=1e-6)
    with pytest.raises(TrainingError):  # a molecule larger than the limit on its own still stops
        with torch.no_grad():
            make(max_dense_entries=10).eval()(feats, batch)


def test_radius_adjacency_needs_positions(graphs):
    g = graphs[2].clone()
    del g.pos
    with pytest.raises(DataError, match="batch.pos"):
        make(adjacency="radius")(torch.randn(g.num_nodes, IN_DIM), Batch.from_data_list([g]))


def test_radius_and_bond_adjacency_differ(graphs):
    """With a cutoff above every intramolecular distance the radius graph is complete, unlike the bond graph."""
    feats, batch = torch.cat(features(graphs)), Batch.from_data_list(graphs)
    with torch.no_grad():
        a = make(adjacency="bond")(feats, batch)
        b = make(adjacency="radius", radius_cutoff=50.0)(feats, batch)
    assert not torch.allclose(a, b)


def test_levels_resolve_ratios_and_counts():
    assert DiffPoolParams().cluster_counts() == [16, 1]
    assert DiffPoolParams(levels=[0.25, 1], max_nodes=55).cluster_counts() == [14, 1]
    assert DiffPoolParams(levels=[10, 0.1, 1], max_nodes=29).cluster_counts() == [10, 3, 1]
    for bad in ([], [1.0], [0], [0.0], [True]):
        with pytest.raises(ValidationError):
            DiffPoolParams(levels=bad)


@pytest.mark.parametrize("line", ["{name: sum}", "{name: mean}", "{name: max}", "{name: attention}",
                                  "{name: set2set}", "{name: diffpool}", "{name: diffpool, levels: [8, 2, 1]}"])
def test_each_readout_is_one_line_of_config(run_cli, diffpool_e2e, line):
    """The comparison readouts come from molgdl-models (not re-registered here): one config line each."""
    code, out, err = run_cli("validate", diffpool_e2e.root / "configs" / "esol_diffpool.yaml", "--set", f"readout={line}")
    assert code == 0, out + err


def test_diffpool_registers_only_its_own_components():
    from molgdl_diffpool import hooks

    assert [s.name for s in hooks.molgdl_readouts()] == ["diffpool"]
    assert [s.name for s in hooks.molgdl_analyses()] == ["diffpool_clusters"]


def test_validate_rejects_a_misspelled_readout(run_cli, diffpool_e2e):
    code, out, err = run_cli("validate", diffpool_e2e.root / "configs" / "esol_diffpool.yaml", "--set",
                             "readout={name: diffpol}")
    assert code != 0 and "diffpool" in out + err  # "did you mean"
