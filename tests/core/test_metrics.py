"""Evaluation metrics and the masked training loss, checked against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from molgdl.run.metrics import compute_metrics, primary_metric
from molgdl.train.module import masked_loss

NAN = float("nan")


def test_regression_metrics_by_hand_with_missing_targets():
    # two targets; NaN marks a missing value that must not count
    y = np.array([[1.0, 10.0], [2.0, NAN], [3.0, 30.0], [NAN, 40.0], [5.0, 50.0]])
    p = np.array([[1.5, 12.0], [2.0, 99.0], [2.0, 30.0], [7.0, 37.0], [6.0, 50.0]])
    m = compute_metrics(y, p, "regression", ["a", "b"])

    # target a: rows 0, 1, 2, 4 -> errors 0.5, 0, -1, 1
    err_a = np.array([0.5, 0.0, -1.0, 1.0])
    rmse_a = math.sqrt((0.25 + 0 + 1 + 1) / 4)
    mae_a = (0.5 + 0 + 1 + 1) / 4
    ya = np.array([1.0, 2.0, 3.0, 5.0])
    r2_a = 1 - (err_a**2).sum() / ((ya - ya.mean()) ** 2).sum()
    assert m["a"]["rmse"] == pytest.approx(rmse_a)
    assert m["a"]["mae"] == pytest.approx(mae_a)
    assert m["a"]["r2"] == pytest.approx(r2_a)

    # target b: rows 0, 2, 3, 4 -> errors 2, 0, -3, 0 (the 99 in row 1 is ignored: its target is missing)
    yb = np.array([10.0, 30.0, 40.0, 50.0])
    err_b = np.array([2.0, 0.0, -3.0, 0.0])
    assert m["b"]["rmse"] == pytest.approx(math.sqrt(13 / 4))
    assert m["b"]["mae"] == pytest.approx(5 / 4)
    assert m["b"]["r2"] == pytest.approx(1 - 13 / ((yb - yb.mean()) ** 2).sum())
    assert (err_b**2).sum() == 13

    for k in ("rmse", "mae", "r2"):
        assert m["overall"][k] == pytest.approx((m["a"][k] + m["b"][k]) / 2)
    assert primary_metric("regression") == "rmse"


def _auc_by_pairs(y: np.ndarray, p: np.ndarray) -> float:
    """Mann-Whitney form of ROC-AUC: P(score of a positive > score of a negative), ties count 1/2."""
    pos, neg = p[y == 1], p[y == 0]
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def test_classification_roc_auc_with_missing_labels():
    y = np.array([[1, 0], [0, NAN], [1, 1], [NAN, 1], [0, 0], [1, 1], [0, NAN]], dtype=float)
    p = np.array([[0.9, 0.2], [0.4, 0.9], [0.35, 0.7], [0.5, 0.3], [0.6, 0.1], [0.8, 0.6], [0.1, 0.99]])
    m = compute_metrics(y, p, "classification", ["t1", "t2"])
    for t, name in enumerate(("t1", "t2")):
        keep = ~np.isnan(y[:, t])
        expected = roc_auc_score(y[keep, t], p[keep, t])
        assert m[name]["roc_auc"] == pytest.approx(expected)
        assert m[name]["roc_auc"] == pytest.approx(_auc_by_pairs(y[keep, t], p[keep, t]))
    # t1: positives 0.9, 0.35, 0.8 vs negatives 0.4, 0.6, 0.1 -> 7 of 9 pairs ordered correctly
    assert m["t1"]["roc_auc"] == pytest.approx(7 / 9)
    assert m["overall"]["roc_auc"] == pytest.approx((m["t1"]["roc_auc"] + m["t2"]["roc_auc"]) / 2)
    assert primary_metric("classification") == "roc_auc"


def test_single_class_target_gives_nan_auc_not_an_error():
    y = np.array([[1.0], [1.0], [1.0]])
    m = compute_metrics(y, np.array([[0.2], [0.5], [0.9]]), "classification", ["y"])
    assert math.isnan(m["y"]["roc_auc"])


def test_target_with_no_values_is_left_out_of_overall():
    y = np.array([[1.0, NAN], [2.0, NAN], [4.0, NAN]])
    p = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    m = compute_metrics(y, p, "regression", ["a", "empty"])
    assert m["empty"] == {}
    assert m["overall"]["mae"] == pytest.approx(1 / 3)


def test_masked_loss_regression_ignores_nan_targets():
    out = torch.tensor([[0.5, 1.0], [2.0, -1.0], [0.0, 3.0]], requires_grad=True)
    y = torch.tensor([[1.0, NAN], [NAN, NAN], [1.0, 1.0]])
    loss = masked_loss(out, y, "regression")
    # present: (0.5-1)^2 = 0.25, (0-1)^2 = 1, (3-1)^2 = 4 -> mean over 3 entries
    assert loss.item() == pytest.approx((0.25 + 1 + 4) / 3)
    loss.backward()
    assert torch.isfinite(out.grad).all()
    # entries whose target is missing get no gradient
    assert out.grad[0, 1] == 0 and out.grad[1].abs().sum() == 0
    assert out.grad[2, 1].item() == pytest.approx(2 * (3 - 1) / 3)


def test_masked_loss_classification_matches_bce_by_hand():
    out = torch.tensor([[2.0, -1.0], [0.3, 0.0], [-0.7, 4.0]])
    y = torch.tensor([[1.0, 0.0], [NAN, 1.0], [0.0, NAN]])
    loss = masked_loss(out, y, "classification")

    def bce(logit: float, label: float) -> float:
        s = 1 / (1 + math.exp(-logit))
        return -(label * math.log(s) + (1 - label) * math.log(1 - s))

    expected = (bce(2.0, 1) + bce(-1.0, 0) + bce(0.0, 1) + bce(-0.7, 0)) / 4
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_masked_loss_all_missing_is_zero():
    out = torch.randn(4, 2, requires_grad=True)
    loss = masked_loss(out, torch.full((4, 2), NAN), "regression")
    assert loss.item() == 0.0
    loss.backward()
    assert torch.equal(out.grad, torch.zeros(4, 2))
