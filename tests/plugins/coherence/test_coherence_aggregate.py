"""Robust aggregators against hand-computed values, and the RobustOptimizer wrapper."""

from __future__ import annotations

import torch

from molgdl_coherence.aggregate import m3, median_of_3, order_statistic, winsorized_mean
from molgdl_coherence.optimizer import RobustOptimizer


def test_winsorized_c0_is_the_mean():
    g = torch.randn(8, 3, 2)
    torch.testing.assert_close(winsorized_mean(g, 0), g.mean(0))


def test_winsorized_clips_the_extremes_by_hand():
    g = torch.tensor([[1.0], [2.0], [3.0], [4.0], [100.0]])
    # c = 1: clip to [2, 4] -> 2, 2, 3, 4, 4
    assert float(winsorized_mean(g, 1)) == (2 + 2 + 3 + 4 + 4) / 5
    # c larger than the batch allows: (B-1)//2 = 2 -> every value clipped to the median 3
    assert float(winsorized_mean(g, 7)) == 3.0


def test_winsorized_is_per_coordinate():
    g = torch.tensor([[0.0, 10.0], [1.0, -10.0], [2.0, 0.0], [-50.0, 1.0]])
    # coord 0 sorted: -50, 0, 1, 2 -> clip to [0, 1]: 0, 1, 1, 0
    # coord 1 sorted: -10, 0, 1, 10 -> clip to [0, 1]: 1, 0, 0, 1
    torch.testing.assert_close(winsorized_mean(g, 1), torch.tensor([0.5, 0.5]))


def test_order_statistic_equals_kthvalue_with_ties():
    gen = torch.Generator().manual_seed(0)
    g = torch.randint(-3, 4, (9, 5, 4), generator=gen).float()  # many ties
    for k in range(9):
        torch.testing.assert_close(order_statistic(g, k), g.kthvalue(k + 1, 0).values, rtol=0, atol=0)
        torch.testing.assert_close(order_statistic(g, k, largest=True), g.kthvalue(9 - k, 0).values, rtol=0, atol=0)


def test_m3_hand_built():
    # 6 examples -> groups of 2: means (1, 0), (3, 10), (2, -4): median per coordinate (2, 0)
    g = torch.tensor([[0.0, 1.0], [2.0, -1.0], [3.0, 20.0], [3.0, 0.0], [2.0, -4.0], [2.0, -4.0]])
    torch.testing.assert_close(m3(g), torch.tensor([2.0, 0.0]))
    # 7 examples: groups 3, 2, 2
    g7 = torch.tensor([[3.0], [3.0], [3.0], [10.0], [10.0], [-1.0], [-1.0]])
    torch.testing.assert_close(m3(g7), torch.tensor([3.0]))


def test_median_of_3_permutations():
    a, b, c = torch.tensor([1.0, 5.0, 9.0]), torch.tensor([5.0, 9.0, 1.0]), torch.tensor([9.0, 1.0, 5.0])
    for x, y, z in ((a, b, c), (c, a, b), (b, c, a), (b, a, c)):
        torch.testing.assert_close(median_of_3(x, y, z), torch.tensor([5.0, 5.0, 5.0]))


def _sgd(w):
    return torch.optim.SGD([w], lr=1.0)


def test_rm3_of_three_identical_gradients_is_that_gradient():
    w = torch.nn.Parameter(torch.zeros(3))
    opt = RobustOptimizer(_sgd(w), "rm3")
    g = torch.tensor([1.0, -2.0, 0.5])
    for k in range(3):
        before = w.detach().clone()
        w.grad = g.clone()
        opt.step()
        torch.testing.assert_close(before - w.detach(), g)
    assert opt.epoch_stats() == {"robust_frac": 1 / 3}


def test_rm3_takes_the_median_of_the_last_three():
    w = torch.nn.Parameter(torch.zeros(2))
    opt = RobustOptimizer(_sgd(w), "rm3")
    for g in ([1.0, 0.0], [100.0, 3.0], [2.0, 1.0]):
        before = w.detach().clone()
        w.grad = torch.tensor(g)
        opt.step()
    torch.testing.assert_close(before - w.detach(), torch.tensor([2.0, 1.0]))  # median of 1/100/2 and 0/3/1


def test_winsorized_optimizer_uses_fed_example_gradients():
    w = torch.nn.Parameter(torch.zeros(1))
    opt = RobustOptimizer(_sgd(w), "winsorized", c=1)
    w.grad = torch.tensor([22.0])  # the plain mean of the examples below
    opt.set_example_gradients({w: torch.tensor([[1.0], [2.0], [3.0], [4.0], [100.0]])})
    opt.step()
    torch.testing.assert_close(w.detach(), torch.tensor([-3.0]))
    w.grad = torch.tensor([22.0])
    opt.step()  # nothing fed: the plain gradient
    torch.testing.assert_close(w.detach(), torch.tensor([-25.0]))
    assert opt.epoch_stats() == {"robust_frac": 0.5}
