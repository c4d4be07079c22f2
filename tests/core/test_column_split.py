"""The ``column`` splitter (train/test from a metadata column, seeded val fraction), MoleculeTable.columns
and cliff_rmse, on hand-built tables (no files)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from molgdl.builtin_params import ColumnSplitParams
from molgdl.data.splits import ColumnSplitter, check_split
from molgdl.data.table import CLIFF_COLUMN, SPLIT_COLUMN, MoleculeRecord, MoleculeTable
from molgdl.errors import DataError
from molgdl.run.evaluate import evaluate_predictions
from molgdl.run.metrics import cliff_rmse
from molgdl.run.summary import summarize


def _table(labels: list[str], cliff: list[float] | None = None, y: np.ndarray | None = None) -> MoleculeTable:
    n = len(labels)
    recs = [MoleculeRecord(id=f"m{i}", smiles="C" * (i % 5 + 1), row=i + 1) for i in range(n)]
    columns = {SPLIT_COLUMN: np.array(labels, dtype=object)}
    if cliff is not None:
        columns[CLIFF_COLUMN] = np.array(cliff, dtype=np.float64)
    return MoleculeTable(recs, np.arange(n, dtype=float) if y is None else y, ["y"], "regression", "inline",
                         columns=columns)


def _splitter(**params) -> ColumnSplitter:
    p = ColumnSplitParams(**params)
    return ColumnSplitter(p.column, p.train_value, p.test_value, p.val_value, p.val_fraction, p.val_seed)


LABELS = ["train"] * 40 + ["test"] * 10 + ["train"] * 20 + ["test"] * 5


def test_train_and_test_follow_the_column_and_val_is_a_fraction_of_train():
    table = _table(LABELS)
    split = _splitter(val_fraction=0.1).split(table, seed=0)
    check_split(split, len(table))
    labels = np.array(LABELS)
    np.testing.assert_array_equal(np.sort(split["test"]), np.flatnonzero(labels == "test"))
    np.testing.assert_array_equal(np.sort(np.concatenate([split["train"], split["val"]])),
                                  np.flatnonzero(labels == "train"))
    assert len(split["val"]) == 6  # round(0.1 * 60)


def test_val_draw_is_seeded():
    table = _table(LABELS)
    s = _splitter()
    a, b, c = s.split(table, 0), s.split(table, 0), s.split(table, 1)
    np.testing.assert_array_equal(a["val"], b["val"])
    assert not np.array_equal(a["val"], c["val"])
    np.testing.assert_array_equal(a["test"], c["test"])  # the test set never depends on the seed
    fixed = _splitter(val_seed=7)
    np.testing.assert_array_equal(fixed.split(table, 0)["val"], fixed.split(table, 1)["val"])


def test_val_value_takes_validation_from_the_column():
    labels = ["train"] * 8 + ["valid"] * 3 + ["test"] * 2
    split = _splitter(val_value="valid").split(_table(labels), seed=0)
    assert split["val"].tolist() == [8, 9, 10] and split["test"].tolist() == [11, 12]
    assert split["train"].tolist() == list(range(8))


def test_custom_column_name_and_labels():
    table = _table(LABELS)
    table.columns["fold"] = np.where(np.array(LABELS) == "test", "B", "A").astype(object)
    split = _splitter(column="fold", train_value="A", test_value="B").split(table, 0)
    np.testing.assert_array_equal(np.sort(split["test"]), np.flatnonzero(np.array(LABELS) == "test"))


def test_missing_column_is_a_data_error():
    table = MoleculeTable([MoleculeRecord("a", "C", 1)], [1.0], ["y"], "regression", "inline")
    with pytest.raises(DataError, match=r"split column 'split' not found.*carries columns none") as exc:
        _splitter().split(table, 0)
    assert "split_column" in str(exc.value)  # the hint says how to declare it


def test_unexpected_value_names_the_value_and_rows():
    labels = ["train"] * 5 + ["validation", "test", "TEST"]
    with pytest.raises(DataError, match=r"unexpected value\(s\) \['TEST', 'validation'\] in 2 row\(s\) "
                                        r"\(data rows 6, 8\)"):
        _splitter().split(_table(labels), 0)


def test_no_test_rows_is_a_data_error():
    with pytest.raises(DataError, match="no row labelled 'test'"):
        _splitter().split(_table(["train"] * 10), 0)


def test_params_reject_equal_labels():
    with pytest.raises(ValueError, match="must differ"):
        ColumnSplitParams(train_value="x", test_value="x")


def test_column_splitter_is_registered_as_core_builtin():
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry

    reg = Registry(create_plugin_manager(autoload=False))
    spec = reg.get("splitter", "column")
    splitter = spec.factory(spec.build_params({"val_fraction": 0.2}))
    assert isinstance(splitter, ColumnSplitter) and splitter.val_fraction == 0.2


def test_columns_are_checked_and_carried_by_subset():
    table = _table(LABELS, cliff=[i % 2 for i in range(len(LABELS))])
    sub = table.subset(np.array([3, 0, 41]))
    assert sub.columns[SPLIT_COLUMN].tolist() == ["train", "train", "test"]
    assert sub.columns[CLIFF_COLUMN].tolist() == [1.0, 0.0, 1.0]
    with pytest.raises(DataError, match=r"metadata column 'cliff'.*expected \(2,\)"):
        MoleculeTable([MoleculeRecord("a", "C", 1), MoleculeRecord("b", "CC", 2)], [1.0, 2.0], ["y"],
                      "regression", "inline", columns={"cliff": np.zeros(3)})


def test_cliff_rmse_by_hand():
    y = np.array([[1.0, 0.0], [2.0, np.nan], [3.0, 1.0], [4.0, 2.0]])
    pred = np.array([[1.5, 1.0], [1.0, 5.0], [3.0, 1.0], [0.0, 0.0]])
    cliff = np.array([1.0, 1.0, 0.0, np.nan])
    out = cliff_rmse(y, pred, cliff, ["a", "b"])
    assert out["a"] == pytest.approx(math.sqrt((0.5 ** 2 + 1.0 ** 2) / 2))
    assert out["b"] == pytest.approx(1.0)  # row 2 is missing for b, row 4 has an unknown flag
    assert out["overall"] == pytest.approx((out["a"] + 1.0) / 2)
    assert cliff_rmse(y, pred, np.zeros(4), ["a", "b"]) == {}


def test_evaluation_reports_cliff_rmse_per_split_and_summary_aggregates_it():
    rng = np.random.default_rng(0)
    labels = ["train"] * 12 + ["test"] * 8
    cliff = rng.integers(0, 2, len(labels)).astype(float)
    y = rng.normal(size=len(labels))
    table = _table(labels, cliff=cliff.tolist(), y=y)
    split = _splitter(val_fraction=0.25).split(table, 0)
    replicates = {}
    for seed in (0, 1):
        pred = y[:, None] + np.random.default_rng(seed + 10).normal(size=(len(y), 1))
        metrics = evaluate_predictions(table, pred, split)
        for name, idx in split.items():
            sel = idx[cliff[idx] == 1]
            expected = math.sqrt(np.mean((y[sel] - pred[sel, 0]) ** 2))
            assert metrics[name]["y"]["cliff_rmse"] == pytest.approx(expected)
            assert metrics[name]["overall"]["cliff_rmse"] == pytest.approx(expected)
        replicates[seed] = {"metrics": metrics}
    summary = summarize(replicates, "regression", ["y"])
    values = [replicates[s]["metrics"]["test"]["overall"]["cliff_rmse"] for s in (0, 1)]
    assert summary["test"]["overall"]["cliff_rmse"]["values"] == values
    assert summary["test"]["overall"]["cliff_rmse"]["mean"] == pytest.approx(np.mean(values))


def test_no_cliff_metric_without_a_flag_or_for_classification():
    table = _table(["train"] * 6 + ["test"] * 4)
    metrics = evaluate_predictions(table, table.targets + 0.5, {"train": np.arange(6), "test": np.arange(6, 10)})
    assert "cliff_rmse" not in metrics["test"]["overall"]
    clf = MoleculeTable(table.records, np.array([0, 1] * 5, dtype=float), ["y"], "classification", "inline",
                        columns={CLIFF_COLUMN: np.ones(10)})
    metrics = evaluate_predictions(clf, np.linspace(0, 1, 10)[:, None], {"test": np.arange(10)})
    assert "cliff_rmse" not in metrics["test"]["overall"] and "roc_auc" in metrics["test"]["overall"]
