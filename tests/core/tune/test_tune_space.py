"""``tune.space`` is checked against the config schema and the registry before anything heavy: each mistake
names ``tune.space.<key>``, says what is wrong and how to fix it. Sampled trial configs are valid configs."""

from __future__ import annotations

import pytest

from molgdl.config.load import parse_config
from molgdl.config.schema import RunConfig, TrainerSection
from tune_helpers import flat, rf_config, write_config


def _validate(run_cli, tmp_path, csv, space: dict, **over) -> tuple[int, str]:
    cfg = rf_config(tmp_path, csv)
    cfg["model"] = {"name": "dmpnn", "hidden_dim": 16}
    cfg["tune"]["space"] = space
    cfg["tune"].update(over)
    code, _, err = run_cli("validate", write_config(tmp_path / "cfg.yaml", cfg))
    return code, flat(err)


def _dmpnn_params() -> str:
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry

    return ", ".join(sorted(Registry(create_plugin_manager()).get("model", "dmpnn").params.model_fields))


CASES = {
    "range low > high": (
        {"model.hidden_dim": {"int": [600, 100]}},
        "error: invalid config: tune.space.model.hidden_dim: low 600 > high 100 fix: write the range as [100, 600]"),
    "log range from zero": (
        {"optimizer.lr": {"float": [0.0, 0.01], "log": True}},
        "error: invalid config: tune.space.optimizer.lr: a log range needs low > 0, got [0.0, 0.01] "
        "fix: use a positive low end, or drop log: true"),
    "unknown component in a choice": (
        {"model": {"choice": ["random_forrest", "dmpnn"]}},
        "error: invalid config: tune.space.model: choice 'random_forrest' is not a registered model (did you mean "
        "'random_forest'?); installed models: {models} fix: `molgdl components --kind model` lists them, or install "
        "the plugin that provides it"),
    "value outside the schema": (
        {"head.dropout": {"float": [0.0, 1.5]}},
        "error: invalid config: tune.space.head.dropout: the value 1.5 gives an invalid config: head.dropout: Input "
        "should be less than 1 (got 1.5) fix: narrow the range or drop that choice so every value is valid"),
    "float range for an int key": (
        {"trainer.max_epochs": {"float": [1.5, 3.0]}},
        "error: invalid config: tune.space.trainer.max_epochs: the value 1.5 gives an invalid config: "
        "trainer.max_epochs: Input should be a valid integer, got a number with a fractional part (got 1.5) "
        "fix: narrow the range or drop that choice so every value is valid"),
    "unknown section": (
        {"trainr.max_epochs": {"int": [1, 3]}},
        "error: invalid config: tune.space.trainr.max_epochs: unknown config key 'trainr' (did you mean 'trainer'?); "
        "config sections: {sections} fix: use a dotted path of the config, e.g. model.hidden_dim"),
    "unknown key of a section": (
        {"trainer.max_epoch": {"int": [1, 3]}},
        "error: invalid config: tune.space.trainer.max_epoch: unknown key 'max_epoch' in trainer (did you mean "
        "'max_epochs'?); valid keys: {trainer_keys} fix: see configs/tutorial.yaml for the keys of each section"),
    "unknown component parameter": (
        {"model.hiden_dim": {"int": [8, 32]}},
        "error: invalid config: tune.space.model.hiden_dim: no model among ['dmpnn'] has a parameter 'hiden_dim' "
        "(did you mean 'hidden_dim'?); their parameters: {dmpnn_params} fix: `molgdl components --kind model` "
        "lists the parameters of each model"),
    "the outer split": (
        {"split.sizes": {"choice": [[0.8, 0.1, 0.1], [0.7, 0.1, 0.2]]}},
        "error: invalid config: tune.space.split.sizes: split cannot be searched: the outer split is fixed (trials "
        "only see its training molecules) fix: search model, featurizer, descriptors, readout, head, optimizer, "
        "scheduler, trainer, loss or scaling keys"),
    "not a dimension": (
        {"model.hidden_dim": {"range": [8, 32]}},
        "error: invalid config: tune.space.model.hidden_dim: expected exactly one of int, float, choice, got keys "
        "['range'] fix: write it as {int: [low, high]}, {float: [low, high]} (both with optional log: true, step: S) "
        "or {choice: [v1, v2, ...]}"),
    "a list instead of a dimension": (
        {"model.hidden_dim": [8, 32]},
        "error: invalid config: tune.space.model.hidden_dim: expected a mapping, got [8, 32] fix: write it as "
        "{int: [low, high]}, {float: [low, high]} (both with optional log: true, step: S) or {choice: [v1, v2, ...]}"),
    "log with step": (
        {"model.hidden_dim": {"int": [8, 32], "log": True, "step": 8}},
        "error: invalid config: tune.space.model.hidden_dim: step and log: true cannot be combined (optuna samples "
        "log ranges continuously) fix: drop one of them"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_space_refusals_name_the_key_and_the_fix(run_cli, tmp_path, esol_csv, case):
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry

    space, expected = CASES[case]
    expected = (expected.replace("{models}", ", ".join(Registry(create_plugin_manager()).names("model")))
                .replace("{trainer_keys}", ", ".join(sorted(TrainerSection.model_fields)))
                .replace("{dmpnn_params}", _dmpnn_params())
                .replace("{sections}", ", ".join(sorted(RunConfig.model_fields))))
    code, msg = _validate(run_cli, tmp_path, esol_csv, space)
    assert code == 2
    assert msg == expected


def test_unknown_tune_key_is_a_schema_error(run_cli, tmp_path, esol_csv):
    code, msg = _validate(run_cli, tmp_path, esol_csv, {"model.hidden_dim": {"int": [8, 32]}}, n_trial=4)
    assert code == 2
    assert "tune.n_trial: unknown key (did you mean 'n_trials'?)" in msg


def test_valid_space_validates(run_cli, tmp_path, esol_csv):
    code, msg = _validate(run_cli, tmp_path, esol_csv, {
        "model": {"choice": [{"name": "random_forest", "n_estimators": 10}, "dmpnn"]},
        "model.hidden_dim": {"int": [8, 32], "log": True},
        "optimizer.lr": {"float": [1.0e-4, 1.0e-2], "log": True},
        "readout": {"choice": ["mean", "sum"]},
        "descriptors": {"choice": [[], [{"name": "morgan", "radius": 2, "n_bits": 64}]]},
    })
    assert code == 0, msg


def test_tune_without_a_tune_section(run_cli, tmp_path, esol_csv):
    cfg = rf_config(tmp_path, esol_csv)
    del cfg["tune"]
    code, _, err = run_cli("tune", write_config(tmp_path / "cfg.yaml", cfg))
    assert code == 2
    assert flat(err) == ("error: the config has no tune: section, so there is nothing to search fix: add tune: "
                         "{space: {model.hidden_dim: {int: [100, 600]}}, n_trials: 20} (docs/tune.md)")


def test_metric_of_the_wrong_task(run_cli, tmp_path, esol_csv):
    cfg = rf_config(tmp_path, esol_csv, metric="roc_auc")
    code, _, err = run_cli("tune", write_config(tmp_path / "cfg.yaml", cfg))
    assert code == 2
    assert flat(err).endswith("error: tune.metric: 'roc_auc' is not a regression metric fix: use one of rmse, "
                              "mae, r2, or leave it out for rmse")
    assert not (tmp_path / "runs" / "t" / "tune" / "study.db").exists()  # refused before any trial


def test_sampled_configs_are_conditional_and_valid(tmp_path, esol_csv):
    """A random forest trial samples neither the D-MPNN width nor the learning rate; a D-MPNN trial gets both,
    on top of the config's own D-MPNN block; every sampled config passes the run schema."""
    import optuna

    from molgdl.run.resolve import resolve
    from molgdl.tune.sample import sample_config
    from molgdl.tune.space import check_space

    cfg = rf_config(tmp_path, esol_csv)
    cfg["model"] = {"name": "dmpnn", "hidden_dim": 16, "depth": 2}
    cfg["tune"]["space"] = {"model": {"choice": [{"name": "random_forest", "n_estimators": 10}, "dmpnn"]},
                            "model.hidden_dim": {"int": [8, 32]},
                            "optimizer.lr": {"float": [1.0e-4, 1.0e-2], "log": True}}
    res = resolve(parse_config(cfg))
    dims = check_space(res.config, res.registry)
    assert [d.key for d in dims] == ["model", "model.hidden_dim", "optimizer.lr"]  # the slot first
    base = res.config.model_dump(mode="json", exclude_unset=True)

    rf = sample_config(optuna.trial.FixedTrial({"model": "random_forest"}), dims, base, res.registry)
    assert rf["model"] == {"name": "random_forest", "n_estimators": 10}
    assert rf["optimizer"] == {"name": "adam", "lr": 0.001} and "tune" not in rf

    nn = sample_config(optuna.trial.FixedTrial({"model": "dmpnn", "model.hidden_dim": 24, "optimizer.lr": 0.005}),
                       dims, base, res.registry)
    assert nn["model"] == {"name": "dmpnn", "hidden_dim": 24, "depth": 2}  # the config's block, width searched
    assert nn["optimizer"]["lr"] == 0.005
    for raw in (rf, nn):
        resolve(parse_config(raw), pm=res.pm)  # the run schema accepts both

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(12):
        trial = study.ask()
        raw = sample_config(trial, dims, base, res.registry)
        assert set(trial.params) == ({"model"} if raw["model"]["name"] == "random_forest" else
                                     {"model", "model.hidden_dim", "optimizer.lr"})
        resolve(parse_config(raw), pm=res.pm)
        study.tell(trial, 0.0)


def test_tune_and_ensemble_in_one_config_are_refused(run_cli, tmp_path, esol_csv):
    cfg = rf_config(tmp_path, esol_csv)
    cfg["ensemble"] = {"members": {"rf": {}, "rf_deep": {"model": {"name": "random_forest", "min_samples_leaf": 1}}}}
    code, _, err = run_cli("tune", write_config(tmp_path / "cfg.yaml", cfg))
    assert code == 2
    assert flat(err).startswith("error: invalid config: tune: an ensemble config cannot be tuned with `molgdl tune`")
    assert not (tmp_path / "runs").exists()
