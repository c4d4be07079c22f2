"""Few-shot heads against closed forms and a brute-force loop; episodes never leak query molecules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from molgdl.errors import DataError
from molgdl_fewshot.episodes import check_no_leak, draw_episodes
from molgdl_fewshot.heads import knn_regression, protonet_classification, protonet_regression


def test_protonet_regression_closed_form():
    Zs = np.array([[0.0], [0.0], [2.0], [2.0]])
    ys = np.array([1.0, 1.0, 3.0, 3.0])
    # prototypes c = (0, 2) with values (1, 3); temperature = median squared distance between them = 4
    pred = protonet_regression(Zs, ys, np.array([[1.0], [0.0]]), n_prototypes=2)
    w = math.exp(-4 / 4)
    assert pred[0] == pytest.approx(2.0)  # equidistant: the mean of the two values
    assert pred[1] == pytest.approx((1 + 3 * w) / (1 + w))


def test_protonet_regression_is_nearest_neighbour_at_low_temperature():
    rng = np.random.default_rng(0)
    Zs, ys, Zq = rng.normal(size=(6, 3)), rng.normal(size=6), rng.normal(size=(4, 3))
    pred = protonet_regression(Zs, ys, Zq, n_prototypes=6, temperature=1e-4)
    nearest = ((Zq[:, None] - Zs[None]) ** 2).sum(-1).argmin(1)
    np.testing.assert_allclose(pred, ys[nearest], atol=1e-8)


def test_protonet_classification_closed_form():
    Zs = np.array([[0.0, 0.0], [0.0, 2.0], [4.0, 0.0], [4.0, 2.0]])
    ys = np.array([0, 0, 1, 1])
    # class means (0, 1) and (4, 1); temperature 16; query (1, 1): distances 1 and 9
    p = protonet_classification(Zs, ys, np.array([[1.0, 1.0]]))
    assert p[0] == pytest.approx(math.exp(-9 / 16) / (math.exp(-1 / 16) + math.exp(-9 / 16)))


def test_knn_matches_a_loop():
    rng = np.random.default_rng(1)
    Zs, ys, Zq = rng.normal(size=(9, 4)), rng.normal(size=9), rng.normal(size=(5, 4))
    got = knn_regression(Zs, ys, Zq, k=3)
    for q in range(5):
        sims = [Zq[q] @ Zs[i] / np.linalg.norm(Zq[q]) / np.linalg.norm(Zs[i]) for i in range(9)]
        top = sorted(range(9), key=lambda i: -sims[i])[:3]
        w = [max(sims[i], 0) + 1e-6 for i in top]
        assert got[q] == pytest.approx(sum(wi * ys[i] for wi, i in zip(w, top)) / sum(w))


def test_episodes_never_leak_query_molecules():
    rng = np.random.default_rng(2)
    keys = [f"m{rng.integers(0, 150)}" for _ in range(300)]  # many duplicated molecules across rows
    train, test = np.arange(0, 240), np.arange(240, 300)
    episodes = draw_episodes(keys, train, test, [16, 32, 64], draws=10, seed=0)
    query_keys = {keys[i] for i in test}
    assert len(episodes) == 30
    for ep in episodes:
        assert len(ep.support) == ep.size == len(set(ep.support.tolist()))
        assert not {keys[i] for i in ep.support} & query_keys
        assert set(ep.support.tolist()) <= set(train.tolist())
        assert np.array_equal(ep.query, test)
    by = {(e.size, e.draw): set(e.support.tolist()) for e in episodes}
    assert all(by[(16, d)] <= by[(32, d)] <= by[(64, d)] for d in range(10))  # nested learning curve
    assert by[(16, 0)] != by[(16, 1)]
    again = draw_episodes(keys, train, test, [16, 32, 64], draws=10, seed=0)
    assert all(np.array_equal(a.support, b.support) for a, b in zip(episodes, again))


def test_leak_check_and_too_small_train_split_are_clear_errors():
    with pytest.raises(DataError, match="also query molecules"):
        check_no_leak(["CCO", "CCN"], ["CCN"], "size 16, draw 0")
    with pytest.raises(DataError, match="fewer than the largest support"):
        draw_episodes([str(i) for i in range(20)], np.arange(10), np.arange(10, 20), [16], 1, 0)


def test_full_train_episodes_hold_the_whole_pool_and_no_query_molecule():
    keys = [f"m{i % 70}" for i in range(100)]  # rows 70-99 repeat molecules 0-29
    train, test = np.arange(0, 80), np.arange(80, 100)  # test molecules m10..m29
    eps = draw_episodes(keys, train, test, [], draws=0, seed=0, full_draws=2)
    assert [e.draw for e in eps] == [0, 1]
    expected = [i for i in range(80) if keys[i] not in {keys[j] for j in test}]
    assert all(e.support.tolist() == expected and e.size == len(expected) for e in eps)
