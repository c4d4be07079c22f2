"""The Python API (``molgdl.api``): the CLI calls it, configs as dicts with overrides, predictions that match
the run's own, any registered analysis through ``Run.analyse``, notebook display."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

import molgdl
from molgdl import api
from molgdl.cli import main
from molgdl.errors import ConfigError, DataError


# --- the CLI calls the API ---------------------------------------------------------------------------------------
def test_cli_run_calls_molgdl_api_run(trained, tiny_config, tmp_path, monkeypatch, capsys):
    calls = []

    def spy(config, /, **kwargs):
        calls.append((config, kwargs))
        return api.Run(trained.path)

    monkeypatch.setattr(api, "run", spy)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(tiny_config))
    assert main(["run", str(cfg), "--set", "trainer.max_epochs=3", "--overwrite", "--disable-plugin", "x"]) == 0
    (config, kwargs), = calls
    assert config == str(cfg)
    assert kwargs["trainer.max_epochs"] == 3 and kwargs["overwrite"] is True and kwargs["resume"] is False
    assert kwargs["disable_plugins"] == ["x"] and kwargs["strict"] is False
    out = capsys.readouterr().err
    assert "test metrics" in out and "rmse" in out and str(trained.path) in out  # printed from the Run it got


@pytest.mark.parametrize("command,method", [("predict", "predict"), ("embed", "embed")])
def test_cli_predict_and_embed_call_the_api_methods(trained, tmp_path, monkeypatch, command, method):
    """The CLI streams through ``Run.predict_file``/``embed_file``, whose chunks go through ``Run``'s core function
    (molgdl.predict): the file has the columns and numbers of ``Run.predict``/``embed``."""
    calls = []
    original = getattr(api.Run, f"{method}_file")

    def spy(self, inp, out, **options):  # options: chunk size, shard, resume, coverage (uncertainty runs)
        calls.append((self.path, inp, out))
        return original(self, inp, out, **options)

    monkeypatch.setattr(api.Run, f"{method}_file", spy)
    inp, out = tmp_path / "in.csv", tmp_path / "out.csv"
    pd.DataFrame({"smiles": ["CCO", "c1ccccc1"]}).to_csv(inp, index=False)
    assert main([command, "--run", str(trained.path), "--input", str(inp), "--output", str(out)]) == 0
    assert calls == [(trained.path, inp, out)]
    written = pd.read_csv(out, keep_default_na=False)
    expected = getattr(api.Run, method)(trained, ["CCO", "c1ccccc1"])
    assert list(written.columns) == list(expected.columns)
    numeric = [c for c in expected.columns if c not in ("smiles", "id", "error")]
    assert written[numeric].to_numpy() == pytest.approx(expected[numeric].to_numpy(), rel=1e-6)


def test_molgdl_run_is_the_api_function_even_after_the_pipeline_package_is_imported(trained):
    import molgdl.run.pipeline  # noqa: F401  (sets the attribute molgdl.run to the package)

    assert callable(molgdl.run)
    with pytest.raises(ConfigError, match="model: required key is missing"):
        molgdl.run({"data": {"source": {"name": "esol"}}})


# --- configs ---------------------------------------------------------------------------------------------------
def test_a_dict_config_with_overrides_and_clear_errors(tmp_path, monkeypatch):
    from molgdl.api.configs import build_config

    base = {"data": {"source": {"name": "esol", "limit": 40}}, "model": {"name": "dmpnn", "hidden_dim": 8},
            "trainer": {"batch_size": 8}}
    cfg = build_config(base, {"trainer": {"max_epochs": 3}, "model.depth": 2, "run": {"name": "x"}})
    assert (cfg.trainer.max_epochs, cfg.trainer.batch_size) == (3, 8)  # merged into the section
    assert cfg.model.params == {"hidden_dim": 8, "depth": 2} and cfg.run.name == "x"
    assert base["trainer"] == {"batch_size": 8}  # the caller's dict is not changed
    with pytest.raises(ConfigError) as err:
        build_config(base, {"trainer": {"max_epoch": 3}})
    assert "trainer.max_epoch: unknown key (did you mean 'max_epochs'?)" in str(err.value)
    with pytest.raises(ConfigError, match="YAML file path or a dict"):
        build_config(42)


def test_unknown_component_names_fail_before_anything_runs(tiny_config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as err:
        molgdl.run({**tiny_config, "model": {"name": "dmpnnn"}})
    assert "model.name: unknown model 'dmpnnn' (did you mean 'dmpnn'?)" in str(err.value)
    assert not (tmp_path / "runs").exists()


# --- a finished run --------------------------------------------------------------------------------------------
def test_predict_matches_the_runs_own_predictions_for_every_kind_of_input(trained, tmp_path):
    own = trained.predictions
    target = [c for c in own.columns if c.endswith("_pred")][0]
    smiles = own["smiles"].tolist()[:4]
    path = tmp_path / "new.csv"
    pd.DataFrame({"smiles": smiles}).to_csv(path, index=False)
    for given in (smiles, pd.DataFrame({"smiles": smiles, "other": 1}), path, str(path)):
        got = trained.predict(given)
        assert got[target].to_numpy() == pytest.approx(own[target].to_numpy()[:4], rel=1e-5, abs=1e-5)
    with pytest.raises(DataError, match="list of SMILES"):
        trained.predict(42)
    with pytest.raises(DataError, match="no SMILES column"):
        trained.predict(pd.DataFrame({"mol": smiles}))


def test_metrics_are_the_summary_in_a_table(trained):
    m = trained.metrics.set_index(["split", "target", "metric"])
    assert m.loc[("test", "overall", "rmse"), "value"] == pytest.approx(
        trained.summary["test"]["overall"]["rmse"]["mean"])
    assert set(trained.predictions["split"]) == {"train", "val", "test"}


def test_analyse_runs_any_registered_analysis_with_checked_params(trained):
    from pydantic import Field

    from molgdl.specs import AnalysisSpec, Params

    class TopParams(Params):
        k: int = Field(2, ge=1)

    seen = {}

    def factory(params):
        def analysis(ctx):
            emb = ctx.embeddings()
            seen.update(n=len(ctx.table), k=params.k, shape=emb.shape)
            pd.DataFrame({"x": range(params.k)}).to_csv(ctx.out_dir / "rows.csv", index=False)
            return {"n_molecules": len(ctx.table), "width": int(emb.shape[1])}
        return analysis

    class Plugin:
        @molgdl.hookimpl
        def molgdl_analyses(self):
            return [AnalysisSpec("count_rows", "test analysis", factory, TopParams)]

    molgdl.register_plugin(Plugin(), "api_test_plugin")
    try:
        assert "count_rows" in set(molgdl.components("analysis").name)
        result = trained.analyse("count_rows", k=3)
        assert result["n_molecules"] == 40 and result["width"] == 16 and seen["k"] == 3
        assert result.table("rows").x.tolist() == [0, 1, 2]
        assert trained.summary["analyses"]["count_rows"]["width"] == 16
        assert "count_rows" in result._repr_html_()
        with pytest.raises(ConfigError, match="k: Input should be greater than or equal to 1"):
            trained.analyse("count_rows", k=0)
        with pytest.raises(ConfigError, match="unknown analysis 'count_row'"):
            trained.analyse("count_row")
    finally:
        molgdl.unregister_plugin("api_test_plugin")
    assert "count_rows" not in set(molgdl.components("analysis").name)


def test_a_broken_session_plugin_is_refused_when_registered():
    class Broken:
        @molgdl.hookimpl
        def molgdl_modelz(self):
            return []

    with pytest.raises(molgdl.PluginError, match="molgdl_modelz"):
        molgdl.register_plugin(Broken(), "broken")
    assert molgdl.unregister_plugin("broken") is False


def test_notebook_display(trained):
    html = trained._repr_html_()
    assert "test metrics" in html and "data:image/png;base64" in html and "dmpnn" in html
    fig = trained.figure("parity")
    assert fig._repr_png_()[:4] == b"\x89PNG"
    with pytest.raises(molgdl.MolgdlError, match="figures: learning_curve, parity"):
        trained.figure("nope")
    assert "featurizer" in molgdl.featurize(["CCO"])._repr_html_()
