"""Config validation: every mistake is reported with its key path, the valid choices and a did-you-mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from core_helpers import REPO, flat, tiny_config, write_config
from molgdl.config import load_config, validate_components
from molgdl.errors import ConfigError

CONFIG_FILES = sorted((REPO / "configs").glob("*.yaml"))


def _validate(run_cli, tmp_path: Path, cfg: dict) -> tuple[int, str]:
    path = write_config(tmp_path / "cfg.yaml", cfg)
    code, out, err = run_cli("validate", path)
    return code, flat(err)


def test_tiny_config_is_valid(run_cli, tmp_path):
    code, msg = _validate(run_cli, tmp_path, tiny_config(tmp_path))
    assert code == 0, msg
    assert "is valid" in msg


def test_unknown_top_level_key(run_cli, tmp_path):
    cfg = tiny_config(tmp_path)
    cfg["trainr"] = cfg.pop("trainer")
    code, msg = _validate(run_cli, tmp_path, cfg)
    assert code == 2
    assert "error: invalid config in" in msg
    assert "trainr: unknown key (did you mean 'trainer'?)" in msg
    assert "valid keys: analyses, callbacks, data, descriptors, ensemble, featurizer, head, loss, model, " \
           "optimizer, plugins, pretrained, readout, run, scaling, scheduler, split, trainer, tune, uncertainty" in msg
    assert "fix: see configs/tutorial.yaml" in msg


def test_unknown_nested_key(run_cli, tmp_path):
    cfg = tiny_config(tmp_path)
    cfg["trainer"]["max_epoch"] = cfg["trainer"].pop("max_epochs")
    cfg["data"]["cache"] = "x"
    code, msg = _validate(run_cli, tmp_path, cfg)
    assert code == 2
    assert "trainer.max_epoch: unknown key (did you mean 'max_epochs'?); valid keys: accelerator, batch_size," in msg
    assert "data.cache: unknown key (did you mean 'cache_dir'?); valid keys: cache_dir, disk_above, " \
           "max_invalid_fraction, num_workers, progress, source, storage" in msg


def test_unknown_component_parameter(run_cli, tmp_path):
    cfg = tiny_config(tmp_path, model={"name": "dmpnn", "hiden_dim": 32})
    code, msg = _validate(run_cli, tmp_path, cfg)
    assert code == 2
    assert "model.hiden_dim: unknown key (did you mean 'hidden_dim'?); valid keys:" in msg
    assert "depth" in msg and "hidden_dim" in msg


def test_unknown_component_name_lists_installed_ones(run_cli, tmp_path):
    cfg = tiny_config(tmp_path, model={"name": "dmpn"}, readout={"name": "avg"})
    code, msg = _validate(run_cli, tmp_path, cfg)
    assert code == 2
    assert "model.name: unknown model 'dmpn' (did you mean 'dmpnn'?); installed models: dmpnn, " in msg
    assert "readout.name: unknown readout 'avg'; installed readouts: atomwise, attention, " in msg
    assert ", mean, set2set, sum" in msg
    assert "molgdl components --kind KIND" in msg


def test_unknown_component_name_in_a_list(run_cli, tmp_path):
    cfg = tiny_config(tmp_path, callbacks=[{"name": "no_such_callback"}])
    code, msg = _validate(run_cli, tmp_path, cfg)
    assert code == 2
    assert "callbacks[0].name: unknown callback 'no_such_callback'" in msg


def test_wrong_parameter_type_names_the_key_path(run_cli, tmp_path):
    cfg = tiny_config(tmp_path, model={"name": "dmpnn", "hidden_dim": "big"})
    cfg["trainer"]["batch_size"] = "eight"
    code, msg = _validate(run_cli, tmp_path, cfg)
    assert code == 2
    assert "trainer.batch_size: Input should be a valid integer" in msg
    assert "(got 'eight')" in msg
    # component params are checked once the schema is valid
    cfg["trainer"]["batch_size"] = 8
    code, msg = _validate(run_cli, tmp_path, cfg)
    assert code == 2
    assert "model.hidden_dim: Input should be a valid integer, unable to parse string as an integer (got 'big')" in msg


def test_out_of_range_parameter(run_cli, tmp_path):
    cfg = tiny_config(tmp_path, optimizer={"name": "adam", "lr": -1})
    code, msg = _validate(run_cli, tmp_path, cfg)
    assert code == 2
    assert "optimizer.lr: Input should be greater than 0 (got -1)" in msg


def test_split_fractions_must_sum_to_one(run_cli, tmp_path):
    cfg = tiny_config(tmp_path, split={"name": "random", "sizes": [0.8, 0.1, 0.2]})
    code, msg = _validate(run_cli, tmp_path, cfg)
    assert code == 2
    assert "split.sizes: Value error, split fractions must sum to 1, got 1.1 from [0.8, 0.1, 0.2]" in msg


def test_kfold_fold_out_of_range(run_cli, tmp_path):
    cfg = tiny_config(tmp_path, split={"name": "kfold", "n_folds": 3, "fold": 3})
    code, msg = _validate(run_cli, tmp_path, cfg)
    assert code == 2
    assert "split.fold: Value error, fold must be < n_folds (3)" in msg


def test_all_problems_are_reported_at_once(run_cli, tmp_path):
    cfg = tiny_config(tmp_path, model={"name": "dmpn"}, optimizer={"name": "adam", "lr": "fast"},
                      split={"name": "random", "sizes": [0.5, 0.5, 0.5]})
    code, msg = _validate(run_cli, tmp_path, cfg)
    assert code == 2
    assert "model.name: unknown model 'dmpn'" in msg
    assert "optimizer.lr: Input should be a valid number" in msg
    assert "split.sizes: Value error, split fractions must sum to 1" in msg


def test_missing_required_section(run_cli, tmp_path):
    cfg = tiny_config(tmp_path)
    del cfg["model"]
    code, msg = _validate(run_cli, tmp_path, cfg)
    assert code == 2
    assert "model: required key is missing" in msg


def test_invalid_yaml_reports_the_line(run_cli, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("data:\n  source: {name: esol\nmodel: {name: dmpnn}\n")
    code, out, err = run_cli("validate", path)
    msg = flat(err)
    assert code == 2
    assert "not valid YAML at line 3, column 6" in msg
    assert "fix: check indentation and quoting around that line" in msg


def test_top_level_must_be_a_mapping(run_cli, tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- data\n- model\n")
    code, out, err = run_cli("validate", path)
    assert code == 2
    assert "the top level must be a mapping of sections" in flat(err)


def test_config_file_not_found(run_cli, tmp_path):
    code, out, err = run_cli("validate", "no_such.yaml")
    assert code == 2
    assert f"error: config file not found: {tmp_path / 'no_such.yaml'}" in flat(err)


def test_set_overrides_are_validated(run_cli, tmp_path):
    path = write_config(tmp_path / "cfg.yaml", tiny_config(tmp_path))
    code, out, err = run_cli("validate", path, "--set", "trainer.max_epochs=0")
    assert code == 2
    assert "trainer.max_epochs: Input should be greater than or equal to 1 (got 0)" in flat(err)
    code, out, err = run_cli("validate", path, "--set", "trainer.max_epochs")
    assert code == 2
    assert "--set expects KEY=VALUE, got 'trainer.max_epochs'" in flat(err)
    code, out, err = run_cli("validate", path, "--set", "model.hidden_dim=16")
    assert code == 0, err


def test_plugins_section_only_accepts_disable(run_cli, tmp_path):
    cfg = tiny_config(tmp_path, plugins={"enable": ["x"]})
    code, msg = _validate(run_cli, tmp_path, cfg)
    assert code == 2
    assert "plugins: Value error, unknown key(s) ['enable']; allowed: ['disable']" in msg


@pytest.mark.parametrize("path", CONFIG_FILES, ids=[p.name for p in CONFIG_FILES])
def test_shipped_configs_validate(run_cli, path):
    code, out, err = run_cli("validate", path)
    assert code == 0, err
    assert "is valid" in flat(err)


def test_shipped_configs_exist():
    names = {p.name for p in CONFIG_FILES}
    assert {"esol.yaml", "tutorial.yaml"} <= names


def test_validate_components_in_process(tmp_path):
    """The library API raises ConfigError (a MolgdlError) carrying every problem and a fix hint."""
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry

    path = write_config(tmp_path / "cfg.yaml", tiny_config(tmp_path, model={"name": "gine", "num_layer": 2}))
    config = load_config(path)
    with pytest.raises(ConfigError) as info:
        validate_components(config, Registry(create_plugin_manager()))
    assert "model.num_layer: unknown key (did you mean 'num_layers'?)" in str(info.value)
    assert info.value.hint and "molgdl components" in info.value.hint
