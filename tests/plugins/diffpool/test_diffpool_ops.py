"""DiffPool maths (molgdl_diffpool.ops) against closed forms, hand-built graphs and PyG's dense_diff_pool."""

from __future__ import annotations

import math

import pytest
import torch
from torch_geometric.nn import dense_diff_pool

from molgdl.errors import TrainingError
from molgdl_diffpool.ops import check_dense_size, dense_graph, entropy_loss, link_loss, masked_assignment, pool


def padded_batch(sizes, k=3, f=4, seed=0, dtype=torch.float64):
    """Random symmetric 0/1 adjacency with self-loops, features and assignment logits, padded to max(sizes)."""
    gen = torch.Generator().manual_seed(seed)
    b, n = len(sizes), max(sizes)
    mask = torch.zeros(b, n, dtype=torch.bool)
    adj = torch.zeros(b, n, n, dtype=dtype)
    for g, m in enumerate(sizes):
        mask[g, :m] = True
        a = (torch.rand(m, m, generator=gen) < 0.4).to(dtype)
        a = torch.triu(a, 1)
        adj[g, :m, :m] = a + a.T + torch.eye(m, dtype=dtype)
    z = torch.randn(b, n, f, generator=gen, dtype=dtype) * mask.unsqueeze(-1)
    logits = torch.randn(b, n, k, generator=gen, dtype=dtype) * 3
    return z, adj, mask, logits


def test_padding_rows_of_s_are_exactly_zero_and_real_rows_sum_to_one():
    _, _, mask, logits = padded_batch([5, 2, 4])
    s = masked_assignment(logits, mask)
    assert torch.equal(s[~mask], torch.zeros_like(s[~mask]))
    torch.testing.assert_close(s[mask].sum(-1), torch.ones(int(mask.sum()), dtype=s.dtype))


def test_mass_conservation():
    """Rows of S sum to 1: sum_c X'_c = sum_n Z_n and 1^T A' 1 = 1^T A 1, per graph (Ying et al., test 1)."""
    z, adj, mask, logits = padded_batch([6, 3, 1])
    s = masked_assignment(logits, mask)
    x2, adj2 = pool(z, adj, s)
    torch.testing.assert_close(x2.sum(1), (z * mask.unsqueeze(-1)).sum(1))
    torch.testing.assert_close(adj2.sum((1, 2)), adj.sum((1, 2)))


def test_hard_assignment_gives_the_quotient_graph_and_zero_losses():
    """Two disjoint complete graphs (3 and 2 nodes) with self-loops, S one-hot block-wise: S S^T = A, so the
    link loss is exactly 0; one-hot rows have exactly 0 entropy; A' holds the block sums."""
    adj = torch.zeros(1, 5, 5)
    adj[0, :3, :3] = 1.0
    adj[0, 3:, 3:] = 1.0
    s = torch.zeros(1, 5, 2)
    s[0, :3, 0] = 1.0
    s[0, 3:, 1] = 1.0
    mask = torch.ones(1, 5, dtype=torch.bool)
    assert link_loss(adj, s, mask).item() == 0.0
    assert entropy_loss(s, mask).item() == 0.0
    _, adj2 = pool(torch.zeros(1, 5, 1), adj, s)
    torch.testing.assert_close(adj2[0], torch.tensor([[9.0, 0.0], [0.0, 4.0]]))


def test_zero_losses_with_padding_and_finite_gradients():
    """The same hand-built graph padded inside a batch: still exactly 0, and backward gives no NaN."""
    adj = torch.zeros(2, 5, 5)
    adj[0, :3, :3] = 1.0
    adj[0, 3:, 3:] = 1.0
    adj[1, :2, :2] = 1.0
    mask = torch.tensor([[True] * 5, [True, True, False, False, False]])
    logits = torch.full((2, 5, 2), -1e4)
    logits[0, :3, 0] = logits[0, 3:, 1] = logits[1, :2, 0] = 1e4
    logits.requires_grad_(True)
    s = masked_assignment(logits, mask)
    link, ent = link_loss(adj, s, mask), entropy_loss(s, mask)
    assert link.tolist() == [0.0, 0.0] and ent.tolist() == [0.0, 0.0]
    (link.sum() + ent.sum()).backward()
    assert torch.isfinite(logits.grad).all()


def test_hand_computed_values():
    """n = 2 isolated atoms (A = I), uniform S over 2 clusters: S S^T = 1/2 everywhere,
    ||A - S S^T||_F = sqrt(4 / 4) = 1, divided by n = 2 -> 0.5; entropy log 2."""
    adj = torch.eye(2).unsqueeze(0)
    s = torch.full((1, 2, 2), 0.5)
    mask = torch.ones(1, 2, dtype=torch.bool)
    assert link_loss(adj, s, mask).item() == pytest.approx(0.5)
    assert entropy_loss(s, mask).item() == pytest.approx(math.log(2))


def test_losses_are_per_graph_not_per_batch():
    """A graph's losses do not change when it is padded inside a batch with a larger graph."""
    z, adj, mask, logits = padded_batch([7, 3])
    s = masked_assignment(logits, mask)
    together = link_loss(adj, s, mask), entropy_loss(s, mask)
    alone_mask = mask[1:, :3]
    alone_s = masked_assignment(logits[1:, :3], alone_mask)
    torch.testing.assert_close(together[0][1], link_loss(adj[1:, :3, :3], alone_s, alone_mask)[0])
    torch.testing.assert_close(together[1][1], entropy_loss(alone_s, alone_mask)[0])


def test_matches_pyg_dense_diff_pool():
    """Second implementation: PyG's dense_diff_pool gives the same X', A' on a padded batch; for one unpadded
    graph its link loss is ||A - S S^T||_F / n^2 (ours divided by n) and its entropy loss is ours."""
    z, adj, mask, logits = padded_batch([6, 4, 2], k=3)
    s = masked_assignment(logits, mask)
    x2, adj2 = pool(z, adj, s)
    ref_x, ref_adj, _, _ = dense_diff_pool(z, adj, logits, mask)
    torch.testing.assert_close(x2, ref_x)
    torch.testing.assert_close(adj2, ref_adj)
    one = slice(0, 1)
    m = mask[one, :6]
    _, _, ref_link, ref_ent = dense_diff_pool(z[one, :6], adj[one, :6, :6], logits[one, :6], m)
    s1 = masked_assignment(logits[one, :6], m)
    torch.testing.assert_close(link_loss(adj[one, :6, :6], s1, m)[0] / 6, ref_link)
    torch.testing.assert_close(entropy_loss(s1, m)[0], ref_ent)


def test_permutation_invariance_of_pooling_and_losses():
    z, adj, mask, logits = padded_batch([6])
    perm = torch.randperm(6, generator=torch.Generator().manual_seed(3))
    s = masked_assignment(logits, mask)
    sp = masked_assignment(logits[:, perm], mask)
    adj_p = adj[:, perm][:, :, perm]
    for a, b in zip(pool(z, adj, s), pool(z[:, perm], adj_p, sp)):
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(link_loss(adj, s, mask), link_loss(adj_p, sp, mask))
    torch.testing.assert_close(entropy_loss(s, mask), entropy_loss(sp, mask))


def test_dense_graph_from_edge_index():
    """Bond list of a 3-atom chain and a 2-atom molecule -> padded adjacency with self-loops, mask."""
    h = torch.arange(5, dtype=torch.float32).unsqueeze(-1)
    index = torch.tensor([0, 0, 0, 1, 1])
    edges = torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]])
    x, adj, mask = dense_graph(h, index, 2, edges, self_loops=True, max_entries=100)
    assert mask.tolist() == [[True, True, True], [True, True, False]]
    assert x[1, 2].item() == 0.0 and x[1, 1].item() == 4.0
    expected0 = torch.tensor([[1.0, 1, 0], [1, 1, 1], [0, 1, 1]])
    expected1 = torch.tensor([[1.0, 1, 0], [1, 1, 0], [0, 0, 0]])
    assert torch.equal(adj[0], expected0) and torch.equal(adj[1], expected1)


def test_memory_guard_raises_a_clear_error():
    check_dense_size(10, 10, 1000)  # exactly at the limit: fine
    with pytest.raises(TrainingError) as info:
        check_dense_size(50, 132, 100_000)
    msg = str(info.value)
    assert "50 x 132^2 = 871,200" in msg and "max_dense_entries" in msg
    assert "batch_size" in info.value.hint
