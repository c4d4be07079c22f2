"""The verdict helpers of the benchmark reports against values worked out by hand."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "stats.py"


@pytest.fixture(scope="module")
def st():
    spec = importlib.util.spec_from_file_location("bench_stats_under_test", PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_fewer_than_five_pairs_give_no_verdict(st):
    assert st.paired([1, 2, 3, 4], [2, 3, 4, 5]).endswith("no verdict (n = 4 < 5)")
    assert st.below_threshold([1.0, 1.1], 1.3) == "no verdict (n = 2 < 5)"


def test_paired_t_test_by_hand(st):
    # differences -0.1, -0.2, -0.1, -0.2, -0.1: mean -0.14, sd 0.0548, t = -0.14 / (0.0548 / sqrt 5) = -5.72
    # two-sided p with 4 degrees of freedom = 0.0046
    text = st.paired([0.9, 0.8, 0.9, 0.8, 0.9], [1.0, 1.0, 1.0, 1.0, 1.0], "A better", "A worse")
    assert "mean difference -0.14" in text and "p = 0.0046" in text and text.endswith("A better")
    assert st.paired([1.0, 1.1, 0.9, 1.0, 1.05], [1.0, 1.0, 1.0, 1.0, 1.0]).endswith("no difference at 5 %")


def test_threshold_and_mcnemar_by_hand(st):
    # mean 1.2, sd 0.0158 -> t = -14.1 against 1.3: far below; against 1.2: indistinguishable
    ratios = [1.18, 1.19, 1.2, 1.21, 1.22]
    assert st.below_threshold(ratios, 1.3).startswith("below")
    assert st.below_threshold(ratios, 1.2) == "not distinguishable (n = 5)"
    assert st.below_threshold(ratios, 1.1).startswith("above")
    # 8 discordant pairs, all one way: exact two-sided p = 2 * 0.5^8
    assert st.mcnemar([1] * 8 + [0, 1], [0] * 8 + [0, 1]) == (8, 0, pytest.approx(2 * 0.5**8))
