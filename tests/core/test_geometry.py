"""radius_graph (plain torch) against a brute-force double loop."""

from __future__ import annotations

import math

import pytest
import torch

from molgdl.geometry import radius_graph


def brute_force(pos: torch.Tensor, batch: torch.Tensor, r: float, k: int | None) -> set[tuple[int, int]]:
    """(source j, centre i) pairs by a double loop; keeps the k nearest (ties: lower index) per centre."""
    p = pos.tolist()
    b = batch.tolist()
    members: dict[int, list[int]] = {}
    for atom, g in enumerate(b):
        members.setdefault(g, []).append(atom)
    edges = set()
    for i in range(len(p)):
        cand = []
        for j in members[b[i]]:  # the double loop over atoms, restricted to i's molecule
            if i == j:
                continue
            d = math.dist(p[i], p[j])
            if d < r:
                cand.append((d, j))
        cand.sort()
        if k is not None:
            cand = cand[:k]
        edges.update((j, i) for _, j in cand)
    return edges


def as_set(edge_index: torch.Tensor) -> set[tuple[int, int]]:
    return set(map(tuple, edge_index.t().tolist()))


def random_batch(gen, sizes, box=4.0, dtype=torch.float64, shuffle=False):
    batch = torch.cat([torch.full((s,), g, dtype=torch.long) for g, s in enumerate(sizes)])
    pos = torch.rand(len(batch), 3, generator=gen, dtype=dtype) * box
    if shuffle:
        order = torch.randperm(len(batch), generator=gen)
        batch = batch[order]
    return pos, batch


@pytest.mark.parametrize("r", [0.5, 1.5, 2.5, 100.0])
@pytest.mark.parametrize("k", [None, 3, 32])
@pytest.mark.parametrize("shuffle", [False, True])
def test_matches_brute_force(r, k, shuffle):
    gen = torch.Generator().manual_seed(7)
    for trial in range(4):
        sizes = torch.randint(1, 15, (int(torch.randint(1, 6, (1,), generator=gen)),), generator=gen).tolist()
        pos, batch = random_batch(gen, sizes, shuffle=shuffle)
        ei = radius_graph(pos, batch, r, k)
        assert ei.dtype == torch.long and ei.shape[0] == 2
        assert ei.shape[1] == len(as_set(ei)), "duplicate edges"
        assert as_set(ei) == brute_force(pos, batch, r, k)


def test_direction_and_cap_apply_to_the_centre():
    # atom 0 in the middle of 4 neighbours at distances 1, 2, 3, 4; cap 2 keeps the two nearest *into* 0.
    pos = torch.tensor([[0.0, 0, 0], [1, 0, 0], [0, 2, 0], [0, 0, 3], [-4, 0, 0]])
    ei = radius_graph(pos, None, r_max=10.0, max_num_neighbors=2)
    into_0 = ei[0, ei[1] == 0].tolist()
    assert sorted(into_0) == [1, 2]
    assert (ei[0] != ei[1]).all()


def test_cutoff_is_exclusive_and_no_self_loops():
    pos = torch.tensor([[0.0, 0, 0], [1.0, 0, 0], [0, 0, 0]])  # atoms 0 and 2 coincide
    ei = radius_graph(pos, torch.zeros(3, dtype=torch.long), r_max=1.0, max_num_neighbors=None)
    assert as_set(ei) == {(0, 2), (2, 0)}


def test_empty_graphs_and_gaps():
    assert radius_graph(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long), 5.0, 32).shape == (2, 0)
    one = radius_graph(torch.zeros(1, 3), torch.zeros(1, dtype=torch.long), 5.0, 32)
    assert one.shape == (2, 0)
    gen = torch.Generator().manual_seed(3)
    pos = torch.rand(6, 3, generator=gen, dtype=torch.float64)
    batch = torch.tensor([0, 0, 2, 2, 2, 5])  # graphs 1, 3, 4 have no atoms
    assert as_set(radius_graph(pos, batch, 5.0, None)) == brute_force(pos, batch, 5.0, None)


def test_large_batch_is_block_wise_and_correct():
    """128 molecules x 30 atoms: pairs are enumerated per molecule (115 200 candidates, not 3840^2)."""
    gen = torch.Generator().manual_seed(11)
    pos, batch = random_batch(gen, [30] * 128, box=6.0, dtype=torch.float32)
    ei = radius_graph(pos, batch, 5.0, 32)
    assert (batch[ei[0]] == batch[ei[1]]).all()
    assert as_set(ei) == brute_force(pos, batch, 5.0, 32)


def test_does_not_track_gradients():
    pos = torch.rand(5, 3, requires_grad=True)
    ei = radius_graph(pos, None, 2.0, 32)
    assert not ei.requires_grad
