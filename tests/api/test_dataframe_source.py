"""``molgdl.run({...})`` with an in-memory config dict and a pandas DataFrame as the data source."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import molgdl
from molgdl.errors import ConfigError, DataError


@pytest.fixture
def frame():
    esol = molgdl.dataset("esol", limit=48)
    return pd.DataFrame({"SMILES": esol.smiles, "logS": esol.iloc[:, 2].to_numpy(), "name": esol.id})


def _config(tmp_path, **source):
    return {"run": {"name": "df", "output_dir": str(tmp_path / "runs")},
            "data": {"source": {"name": "dataframe", "smiles_column": "SMILES", "target_columns": ["logS"],
                                **source}, "progress": False, "cache_dir": str(tmp_path / "cache")},
            "model": {"name": "dmpnn", "hidden_dim": 8, "depth": 2},
            "trainer": {"max_epochs": 1, "batch_size": 8, "progress_bar": False, "accelerator": "cpu"}}


def test_a_dataframe_trains_like_the_same_csv(frame, tmp_path):
    from_frame = molgdl.run(_config(tmp_path), data=frame)
    frame.to_csv(tmp_path / "same.csv", index=False)
    csv_cfg = _config(tmp_path, name="csv", path=str(tmp_path / "same.csv"))
    csv_cfg["run"]["name"] = "csv"
    from_csv = molgdl.run(csv_cfg)
    a, b = from_frame.predictions, from_csv.predictions
    assert (a["smiles"] == b["smiles"]).all() and (a["split"] == b["split"]).all()
    assert a["logS_pred"].to_numpy() == pytest.approx(b["logS_pred"].to_numpy(), rel=1e-5, abs=1e-6)
    recorded = from_frame.config["data"]["source"]
    assert recorded["name"] == "dataframe" and recorded["frame"].startswith("frame-")  # a key, not the table
    yaml.safe_dump(from_frame.config)  # config.yaml holds plain values


def test_the_frame_may_sit_in_the_config_dict_and_the_run_can_be_reopened_and_analysed(frame, tmp_path):
    cfg = _config(tmp_path, frame=frame)
    run = molgdl.run(cfg)
    assert cfg["data"]["source"]["frame"] is frame  # the caller's dict is left alone
    again = molgdl.open_run(run.path, data=frame)
    result = again.analyse("learned_vs_descriptors", max_communities=3)
    assert result["n_molecules"] == 48


def test_bad_rows_and_missing_values_are_handled_as_in_a_csv(frame, tmp_path):
    frame = frame.copy()
    frame.loc[3, "logS"] = np.nan  # missing target: kept, masked
    frame.loc[5, "SMILES"] = None  # no SMILES: an invalid row
    run = molgdl.run(_config(tmp_path), data=frame)
    assert run.summary["n_molecules"] == 47 and run.summary["n_invalid"] == 1


def test_clear_errors(frame, tmp_path):
    with pytest.raises(DataError) as err:
        molgdl.run(_config(tmp_path, target_columns=["logs"]), data=frame)
    assert "no target column 'logs' (did you mean 'logS'?)" in str(err.value)
    with pytest.raises(ConfigError, match="data.source.name is 'csv'"):
        molgdl.run({**_config(tmp_path), "data": {"source": {"name": "csv", "path": "x.csv",
                                                              "target_columns": ["y"]}}}, data=frame)
    with pytest.raises(ConfigError, match="must be a pandas DataFrame"):
        molgdl.run(_config(tmp_path, frame=[1, 2]), overwrite=True)
    with pytest.raises(ConfigError, match="target_columns: required key is missing"):
        molgdl.run({"data": {"source": {"name": "dataframe"}}, "model": {"name": "dmpnn"}}, data=frame)
    with pytest.raises(DataError, match="not held in this Python process"):
        molgdl.run(_config(tmp_path, frame="frame-0000000000000000"), overwrite=True)


def test_frame_keys_follow_the_content():
    from molgdl.data.frames import frame_key

    a = pd.DataFrame({"smiles": ["CCO", "CCN"], "y": [1.0, 2.0]})
    assert frame_key(a) == frame_key(a.copy())
    assert frame_key(a) != frame_key(a.assign(y=[1.0, 2.5]))
    assert frame_key(a) != frame_key(a.iloc[::-1])
