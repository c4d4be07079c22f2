"""Training from the disk store gives the predictions of training from memory, bit for bit, for the same seed;
a second run reuses the store; ``storage: auto`` switches at ``disk_above``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from molgdl.cli import main


def _run(tmp_path, name: str, data: dict) -> pd.DataFrame:
    cfg = {"run": {"name": name, "output_dir": str(tmp_path / "runs"), "seeds": [0]},
           "data": {"source": {"name": "esol", "limit": 90}, "cache_dir": str(tmp_path / "cache"), "progress": False,
                    **data},
           "descriptors": [{"name": "rdkit2d", "names": ["MolWt", "TPSA", "NumHDonors", "Ipc_log1p"]}],
           "model": {"name": "dmpnn", "hidden_dim": 16, "depth": 2}, "head": {"hidden_dim": 16},
           "trainer": {"max_epochs": 2, "batch_size": 16, "progress_bar": False, "accelerator": "cpu"}}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert main(["run", str(path)]) == 0
    return pd.read_csv(tmp_path / "runs" / name / "seed_0" / "predictions.csv")


def _log(tmp_path, name: str) -> str:
    return (tmp_path / "runs" / name / "run.log").read_text()


def test_training_on_disk_predicts_as_training_in_memory_and_reuses_the_store(tmp_path, monkeypatch):
    import molgdl.data.disk_store as disk_store

    monkeypatch.setattr(disk_store, "SHARD_MOLECULES", 25)  # 90 molecules in 4 shards
    memory = _run(tmp_path, "memory", {"storage": "memory"})
    disk = _run(tmp_path, "disk", {"storage": "disk"})
    column = [c for c in memory.columns if c.endswith("_pred")][0]
    assert np.isfinite(memory[column]).all() and memory[column].std() > 0
    assert np.array_equal(memory[column].to_numpy(), disk[column].to_numpy())  # bit for bit
    assert "computed, now cached, on disk" in _log(tmp_path, "disk")
    assert len(list((tmp_path / "cache" / "disk").glob("*/shard_*"))) == 4

    again = _run(tmp_path, "disk_again", {"storage": "auto", "disk_above": 50})  # auto: 90 >= 50 -> disk
    assert "cache hit, on disk" in _log(tmp_path, "disk_again")
    assert np.array_equal(again[column].to_numpy(), disk[column].to_numpy())


def test_auto_storage_stays_in_memory_below_the_threshold():
    from molgdl.config.schema import DataSection
    from molgdl.run.data_stage import use_disk
    from molgdl.testing import tiny_table

    table = tiny_table(12)
    section = DataSection(source={"name": "esol"})
    assert section.storage == "auto" and not use_disk(section, table)
    assert use_disk(DataSection(source={"name": "esol"}, disk_above=12), table)
    assert use_disk(DataSection(source={"name": "esol"}, storage="disk"), table)
    assert not use_disk(DataSection(source={"name": "esol"}, storage="memory", disk_above=1), table)


def test_disk_storage_refuses_force_data_with_a_clear_message():
    from molgdl.config.schema import DataSection
    from molgdl.errors import ConfigError
    from molgdl.run.data_stage import use_disk
    from molgdl.testing import tiny_table

    table = tiny_table(3)
    table.records[0].forces = np.zeros((1, 3))
    with pytest.raises(ConfigError, match="does not store reference forces") as info:
        use_disk(DataSection(source={"name": "xyz"}, storage="disk"), table)
    assert "storage: memory" in info.value.hint
    assert not use_disk(DataSection(source={"name": "xyz"}, storage="auto", disk_above=1), table)


def test_a_run_recorded_before_storage_existed_still_resumes():
    from molgdl.run.identity import _may_change, config_changes

    old = {"data": {"source": {"name": "esol"}, "num_workers": "auto"}}
    new = {"data": {"source": {"name": "esol"}, "num_workers": "auto", "storage": "auto", "disk_above": 500_000}}
    changes = config_changes(old, new)
    assert [k for k, _, _ in changes] == ["data.disk_above", "data.storage"]
    assert all(_may_change(k) for k, _, _ in changes)  # the store trains bit for bit as memory does
    assert not _may_change("data.source.name")
