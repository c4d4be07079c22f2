"""CSV reader of molgdl-datasets: happy path, per-row invalid rows, and every file-level error message."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from molgdl.errors import DataError
from molgdl_datasets.factories import csv_dataset
from molgdl_datasets.params import CsvParams


def _write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _read(path: Path, **kw):
    kw.setdefault("target_columns", ["y"])
    return csv_dataset(CsvParams(path=str(path), **kw))


def test_happy_path_missing_target_kept_as_nan(tmp_path):
    path = _write(
        tmp_path,
        "name,smiles,y,z2\n"
        "ethanol,CCO ,1.5,2\n"  # trailing space (as in ESOL)
        "benzene, c1ccccc1,-0.25,\n"  # missing second target
        ",CC(=O)O,3e-1,NaN\n",  # no id, NaN token
    )
    table = _read(path, target_columns=["y", "z2"], id_column="name", units={"y": "kcal/mol"})
    assert len(table) == 3 and table.n_read == 3 and table.invalid == []
    assert table.smiles == ["CCO", "c1ccccc1", "CC(=O)O"]
    assert [r.id for r in table.records] == ["ethanol", "benzene", "row3"]
    assert [r.row for r in table.records] == [1, 2, 3]
    assert table.target_names == ["y", "z2"]
    assert table.task == "regression"
    assert table.units == {"y": "kcal/mol"}
    assert table.targets.dtype == np.float64 and table.targets.shape == (3, 2)
    np.testing.assert_allclose(table.targets[:, 0], [1.5, -0.25, 0.3])
    assert table.targets[0, 1] == 2.0
    assert math.isnan(table.targets[1, 1]) and math.isnan(table.targets[2, 1])
    assert table.source == str(path.resolve())


def test_default_ids_are_row_numbers(tmp_path):
    table = _read(_write(tmp_path, "smiles,y\nC,1\nCC,2\n"))
    assert [r.id for r in table.records] == ["row1", "row2"]


def test_invalid_rows_counted_not_raised(tmp_path):
    path = _write(
        tmp_path,
        "id,smiles,y\n"
        "a,C,1.0\n"
        "b,,2.0\n"  # empty SMILES
        "c,CC,abc\n"  # non-numeric target cell
        "d,CCC,\n"  # missing target: kept as NaN
        "e,   ,xyz\n"  # both problems: one invalid row
        "f,CCCC,4.0\n",
    )
    table = _read(path, id_column="id")
    assert table.n_read == 6
    assert [r.id for r in table.records] == ["a", "d", "f"]
    assert [r.row for r in table.records] == [1, 4, 6]
    assert math.isnan(table.targets[1, 0])
    assert len(table.invalid) == 3
    rows = {inv.row: inv for inv in table.invalid}
    assert set(rows) == {2, 3, 5}
    assert rows[2].id == "b" and "empty SMILES" in rows[2].reason
    assert rows[3].smiles == "CC" and "'abc'" in rows[3].reason and "'y'" in rows[3].reason
    assert "empty SMILES" in rows[5].reason and "'xyz'" in rows[5].reason


def test_classification_binary_and_non_binary(tmp_path):
    ok = _read(_write(tmp_path, "smiles,label\nC,1\nCC,0\nCCC,1.0\nCCCC,\n"), target_columns=["label"],
               task="classification")
    assert ok.task == "classification"
    np.testing.assert_array_equal(ok.targets[:3, 0], [1, 0, 1])
    assert math.isnan(ok.targets[3, 0])
    with pytest.raises(DataError) as err:
        _read(_write(tmp_path, "smiles,label\nC,1\nCC,2\nCCC,-1\n", "bad.csv"), target_columns=["label"],
              task="classification")
    msg = str(err.value)
    assert "'label'" in msg and "0 or 1" in msg and "2" in msg and "-1" in msg
    assert err.value.hint


def test_validate_smiles_sends_unparseable_rows_to_invalid(tmp_path):
    pytest.importorskip("rdkit")
    path = _write(tmp_path, "smiles,y\nCCO,1\nC1CC,2\nc1ccccc1,3\n")
    table = _read(path, validate_smiles=True)
    assert table.smiles == ["CCO", "c1ccccc1"]
    assert [(i.row, i.smiles) for i in table.invalid] == [(2, "C1CC")]
    assert "RDKit" in table.invalid[0].reason
    assert len(_read(path)) == 3  # without the option the featurizer reports it later


# ----------------------------------------------------------------------------- file-level errors


def test_missing_file_names_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as err:
        _read(Path("sub/nope.csv"))
    assert str(tmp_path / "sub" / "nope.csv") in str(err.value)
    assert "not found" in str(err.value)
    assert err.value.hint and "current directory" in err.value.hint


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(DataError, match="not a file"):
        _read(tmp_path)


def test_empty_file(tmp_path):
    with pytest.raises(DataError, match="empty") as err:
        _read(_write(tmp_path, ""))
    assert err.value.hint


def test_header_only_has_no_data_rows(tmp_path):
    with pytest.raises(DataError, match="no data rows") as err:
        _read(_write(tmp_path, "smiles,y\n"))
    assert "'smiles'" in str(err.value)


def test_missing_smiles_column_lists_columns_and_suggests(tmp_path):
    path = _write(tmp_path, "Name,SMILES,y\na,C,1\n")
    with pytest.raises(DataError) as err:
        _read(path)
    msg = str(err.value)
    assert "no SMILES column 'smiles'" in msg
    assert "did you mean 'SMILES'?" in msg
    assert "['Name', 'SMILES', 'y']" in msg
    assert "smiles_column" in err.value.hint


def test_missing_target_column_lists_columns_and_suggests(tmp_path):
    path = _write(tmp_path, "smiles,solubility,weight\nC,1,16\n")
    with pytest.raises(DataError) as err:
        _read(path, target_columns=["solubilty"])
    msg = str(err.value)
    assert "no target column 'solubilty'" in msg
    assert "did you mean 'solubility'?" in msg
    assert "['smiles', 'solubility', 'weight']" in msg
    assert "target_columns" in err.value.hint


def test_missing_target_column_without_close_match(tmp_path):
    with pytest.raises(DataError) as err:
        _read(_write(tmp_path, "smiles,y\nC,1\n"), target_columns=["qqqqqq"])
    assert "did you mean" not in str(err.value) and "['smiles', 'y']" in str(err.value)


def test_missing_id_column(tmp_path):
    with pytest.raises(DataError) as err:
        _read(_write(tmp_path, "ID,smiles,y\na,C,1\n"), id_column="id")
    assert "no id column 'id'" in str(err.value) and "did you mean 'ID'?" in str(err.value)


def test_target_column_entirely_missing(tmp_path):
    with pytest.raises(DataError) as err:
        _read(_write(tmp_path, "smiles,y,w\nC,,1\nCC, ,2\nCCC,NaN,3\n"))
    msg = str(err.value)
    assert "'y'" in msg and "entirely empty" in msg


def test_target_column_non_numeric_shows_sample(tmp_path):
    path = _write(tmp_path, "smiles,name,y\nC,methane,1\nCC,ethane,2\n")
    with pytest.raises(DataError) as err:
        _read(path, target_columns=["name"])
    msg = str(err.value)
    assert "target column 'name' is not numeric" in msg
    assert "'methane'" in msg and "row 1" in msg
    assert err.value.hint


def test_mostly_non_numeric_column_is_an_error_not_invalid_rows(tmp_path):
    path = _write(tmp_path, "smiles,y\nC,a\nCC,b\nCCC,3\n")
    with pytest.raises(DataError, match="2 of 3 non-empty cells"):
        _read(path)


# ----------------------------------------------------------------------------- params


def test_params_validation():
    with pytest.raises(ValidationError):
        CsvParams(path="x.csv", target_columns=[])
    with pytest.raises(ValidationError):
        CsvParams(path="x.csv")  # target_columns is required
    with pytest.raises(ValidationError):
        CsvParams(path="x.csv", target_columns=["y"], colour="red")  # extra keys are forbidden
    with pytest.raises(ValidationError):
        CsvParams(path="x.csv", target_columns=["y", "y"])
    with pytest.raises(ValidationError):
        CsvParams(path="x.csv", target_columns=["y"], units={"w": "eV"})
    with pytest.raises(ValidationError):
        CsvParams(path="x.csv", target_columns=["y"], task="ranking")
    p = CsvParams(path="x.csv", target_columns=[" y "])
    assert p.target_columns == ["y"] and p.smiles_column == "smiles" and p.task == "regression"


def test_tab_separated_file_gets_delimiter_hint(tmp_path):
    with pytest.raises(DataError) as err:
        _read(_write(tmp_path, "smiles\ty\nC\t1\n"))
    assert "comma-separated" in err.value.hint


def test_ragged_rows_are_a_parse_error_with_line(tmp_path):
    with pytest.raises(DataError) as err:
        _read(_write(tmp_path, "smiles,y\nC,1\nCC,2,3\n"))
    assert "line 3" in str(err.value)
