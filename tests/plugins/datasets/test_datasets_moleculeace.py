"""Bundled MoleculeACE sets (``moleculeace``) and the csv reader's metadata columns (split, cliff flag)."""

from __future__ import annotations

import typing

import numpy as np
import pandas as pd
import pytest

from molgdl.data.splits import ColumnSplitter, check_split
from molgdl.data.table import CLIFF_COLUMN, SPLIT_COLUMN
from molgdl.errors import DataError
from molgdl_datasets.bundled import MOLECULEACE_SETS, data_path
from molgdl_datasets.factories import csv_dataset, moleculeace_dataset
from molgdl_datasets.params import CsvParams, MoleculeAceName, MoleculeAceParams


def test_param_choices_are_the_bundled_sets():
    assert set(typing.get_args(MoleculeAceName)) == set(MOLECULEACE_SETS) and len(MOLECULEACE_SETS) == 10


@pytest.mark.parametrize("name", sorted(MOLECULEACE_SETS))
def test_every_set_loads_with_target_split_and_cliff_flag(name):
    meta = MOLECULEACE_SETS[name]
    raw = pd.read_csv(data_path(meta.filename))  # the bundled file, read independently of the reader
    table = moleculeace_dataset(MoleculeAceParams(set=name))
    assert len(table) == meta.rows == len(raw) and not table.invalid
    assert table.target_names == ["y"] and table.task == "regression"
    assert table.units == {"y": f"-log10({name.rsplit('_', 1)[1]}/nM)"}
    # the unit claim: y = -log10(exp_mean [nM])
    np.testing.assert_allclose(table.targets[:, 0], -np.log10(raw["exp_mean [nM]"].to_numpy()), atol=1e-9)
    np.testing.assert_array_equal(table.columns[SPLIT_COLUMN], raw["split"].to_numpy())
    np.testing.assert_array_equal(table.columns[CLIFF_COLUMN], raw["cliff_mol"].to_numpy(dtype=float))
    test = raw["split"] == "test"
    assert int(test.sum()) == meta.n_test and int(raw.loc[test, "cliff_mol"].sum()) == meta.n_test_cliff


def test_column_split_matches_the_files_own_split():
    raw = pd.read_csv(data_path(MOLECULEACE_SETS["CHEMBL2047_EC50"].filename))
    table = moleculeace_dataset(MoleculeAceParams(set="CHEMBL2047_EC50"))
    split = ColumnSplitter("split", "train", "test", None, 0.1, None).split(table, seed=3)
    check_split(split, len(table))
    np.testing.assert_array_equal(np.sort(split["test"]), np.flatnonzero(raw["split"] == "test"))
    train_rows = np.flatnonzero(raw["split"] == "train")
    np.testing.assert_array_equal(np.sort(np.concatenate([split["train"], split["val"]])), train_rows)
    assert len(split["val"]) == round(0.1 * len(train_rows)) == 50


def test_limit_keeps_the_labels_of_the_first_rows():
    table = moleculeace_dataset(MoleculeAceParams(set="CHEMBL4203_Ki", limit=30))
    raw = pd.read_csv(data_path("moleculeace_CHEMBL4203_Ki.csv"), nrows=30)
    assert len(table) == 30 and table.columns[SPLIT_COLUMN].tolist() == raw["split"].tolist()


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_csv_metadata_stays_aligned_when_rows_are_skipped(tmp_path):
    path = _write(tmp_path / "d.csv", ["smiles,y,set,flag,note", "CCO,1.0,train,0,a", ",2.0,test,1,b",
                                       "CCN,x,train,1,c", "CCC,3.0,test,1,d", "CCCl,4.0,train,,e"])
    table = csv_dataset(CsvParams(path=path, target_columns=["y"], split_column="set", cliff_column="flag",
                                  metadata_columns=["note"]))
    assert [r.row for r in table.records] == [1, 4, 5]  # rows 2 (no SMILES) and 3 (target 'x') are invalid
    assert table.columns[SPLIT_COLUMN].tolist() == ["train", "test", "train"]
    assert table.columns["note"].tolist() == ["a", "d", "e"]
    np.testing.assert_array_equal(table.columns[CLIFF_COLUMN], [0.0, 1.0, np.nan])


def test_csv_cliff_column_must_be_binary(tmp_path):
    path = _write(tmp_path / "d.csv", ["smiles,y,cliff_mol", "CCO,1.0,0", "CCN,2.0,yes", "CCC,3.0,2"])
    with pytest.raises(DataError, match=r"cliff column 'cliff_mol' must hold 0 or 1.*'yes' in data row 2 "
                                        r"\(2 such row"):
        csv_dataset(CsvParams(path=path, target_columns=["y"], cliff_column="cliff_mol"))


def test_csv_missing_metadata_column_suggests_the_name(tmp_path):
    path = _write(tmp_path / "d.csv", ["smiles,y,Split", "CCO,1.0,train"])
    with pytest.raises(DataError, match=r"no metadata column 'split' \(did you mean 'Split'\?\)") as exc:
        csv_dataset(CsvParams(path=path, target_columns=["y"], split_column="split"))
    assert "split_column" in str(exc.value)


def test_csv_params_refuse_metadata_that_would_shadow_split_or_cliff():
    with pytest.raises(ValueError, match="would overwrite"):
        CsvParams(path="d.csv", target_columns=["y"], split_column="set", metadata_columns=["split"])
    with pytest.raises(ValueError, match="would overwrite"):
        CsvParams(path="d.csv", target_columns=["y"], metadata_columns=["cliff"])
    CsvParams(path="d.csv", target_columns=["y"], metadata_columns=["split"])  # text column used as is
