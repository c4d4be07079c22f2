"""The CI-sized configs end to end (language_model, generate, guided generate) and clear messages for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

import molgdl
from molgdl.cli import main
from molgdl.errors import ConfigError, DataError

CONFIGS = Path(__file__).resolve().parents[3] / "configs"


def load(name: str, tmp: Path, **changes) -> dict:
    cfg = yaml.safe_load((CONFIGS / name).read_text())
    cfg["run"]["output_dir"] = str(tmp)
    cfg.update(changes)
    return cfg


def write(tmp: Path, name: str, cfg: dict) -> Path:
    path = tmp / name
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture(scope="module")
def lm_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("lm")
    assert main(["run", str(write(tmp, "lm.yaml", load("lm_smiles_ci.yaml", tmp)))]) == 0
    return tmp / "lm_smiles_ci"


@pytest.fixture(scope="module")
def guide_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("guide")
    cfg = {"run": {"name": "esol_forest", "output_dir": str(tmp), "seeds": [0]},
           "data": {"source": {"name": "esol", "limit": 150}, "cache_dir": str(tmp / "cache"), "progress": False,
                    "num_workers": 1},
           "descriptors": [{"name": "ecfp", "radius": 2, "n_bits": 256, "counts": True}],
           "model": {"name": "random_forest", "n_estimators": 20, "n_jobs": 1}}
    assert main(["run", str(write(tmp, "guide.yaml", cfg))]) == 0
    return tmp / "esol_forest"


def test_language_model_learns_and_resume_keeps_it(lm_run):
    import math

    summary = json.loads((lm_run / "summary.json").read_text())
    vocab = json.loads((lm_run / "seed_0" / "vocab.json").read_text())
    assert summary["seeds"]["0"]["steps"] > 0
    # better than a uniform guess over the tokens
    assert summary["val"]["nll_per_token"] < math.log(len(vocab["tokens"]))
    again = molgdl.run(yaml.safe_load((lm_run / "config.yaml").read_text()), resume=True)
    assert again.summary["seeds"]["0"]["steps"] == summary["seeds"]["0"]["steps"]


def test_generate_ci_config_end_to_end(lm_run, tmp_path):
    cfg = load("generate_ci.yaml", tmp_path, model={"run": str(lm_run)}, n=40, batch_size=40, max_len=50)
    assert main(["generate", str(write(tmp_path, "gen.yaml", cfg))]) == 0
    out = tmp_path / "generate_ci" / "seed_0"
    frame = pd.read_csv(out / "molecules.csv")
    assert list(frame.columns) == ["smiles", "valid", "canonical", "log_likelihood", "entropy", "guide_score",
                                   "dead_end", "retries", "restarted"]
    assert len(frame) == 40 and (frame["log_likelihood"] < 0).all() and (frame["entropy"] > 0).all()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["validity"] == pytest.approx(frame["valid"].mean())
    for key in ("unique@100", "novelty", "intdiv", "scaffold_similarity", "fragment_similarity", "properties"):
        assert key in metrics
    assert (out / "properties.png").exists()
    assert (out / "grid.png").exists() == bool(frame["valid"].any())


def test_guided_ci_config_draws_the_tradeoff(lm_run, guide_run, tmp_path):
    cfg = load("generate_guided_ci.yaml", tmp_path, model={"run": str(lm_run)}, n=20, batch_size=20,
               guide={"run": str(guide_run), "samples": 60, "epochs": 2},
               report={"unique_k": [20], "grid": 0, "sweep": {"lams": [0.0, 2.0], "taus": [1.0], "n": 10}})
    run = molgdl.run(cfg)
    out = run.path / "seed_0"
    frame = pd.read_csv(out / "molecules.csv")
    assert frame.loc[frame["valid"], "guide_score"].notna().all()
    assert frame.loc[~frame["valid"], "guide_score"].isna().all()
    sweep = pd.read_csv(out / "tradeoff.csv")
    assert sorted(sweep["lam"]) == [0.0, 2.0] and (out / "tradeoff.png").exists()
    assert (out / "prefix_value.pt").exists()


@pytest.mark.parametrize("change, message", [
    ({"decoder": {"name": "nucleus"}}, r"unknown decoder 'nucleus'.*choices: beam"),
    ({"decoder": {"name": "top_k", "k": 0}}, r"decoder.k: Input should be greater than or equal to 1"),
    ({"decoder": {"name": "contrastive"}}, r"needs a second language model: amateur is missing"),
    ({"decoder": {"name": "guided"}}, r"needs a property guide: guide is missing"),
    ({"guide": {"run": "no/such/run"}}, r"guide.run: guide run folder no/such/run does not exist"),
    ({"model": {"run": "no/such/lm"}}, r"model.run: no/such/lm holds no trained language model"),
])
def test_bad_generate_configs_say_what_and_where(lm_run, tmp_path, change, message):
    cfg = load("generate_ci.yaml", tmp_path, model={"run": str(lm_run)}, n=5, **{k: v for k, v in change.items()
                                                                                 if k != "model"})
    if "model" in change:
        cfg["model"] = change["model"]
    with pytest.raises(ConfigError, match=message):
        molgdl.run(cfg)


def test_a_folder_that_is_not_a_property_run_is_refused(lm_run, tmp_path):
    cfg = load("generate_ci.yaml", tmp_path, model={"run": str(lm_run)}, n=5, guide={"run": str(lm_run)})
    with pytest.raises(ConfigError, match=r"guide.run: .* is not a usable molgdl property run"):
        molgdl.run(cfg)


def test_molgdl_generate_refuses_other_tasks(tmp_path, capsys):
    path = write(tmp_path, "lm.yaml", load("lm_smiles_ci.yaml", tmp_path))
    assert main(["generate", str(path)]) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "molgdl generate runs configs with `task: generate`" in said and "'language_model'" in said


def test_training_data_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("smiles_x\nCCO\n")
    with pytest.raises(DataError, match=r"has no column 'SMILES' \(columns: smiles_x\)"):
        molgdl.run(load("lm_smiles_ci.yaml", tmp_path, data={"train": str(bad)}))
    with pytest.raises(DataError, match=r"missing.csv does not exist"):
        molgdl.run(load("lm_smiles_ci.yaml", tmp_path, data={"train": str(tmp_path / "missing.csv")}), overwrite=True)


def test_selfies_language_model_generates_only_valid_molecules(tmp_path):
    lm = load("lm_smiles_ci.yaml", tmp_path, tokenizer="selfies")
    lm["run"]["name"] = "lm_selfies"
    lm["training"]["epochs"] = 1
    lm["data"].update(limit=500, validation_rows=50)
    molgdl.run(lm)
    gen = load("generate_ci.yaml", tmp_path, model={"run": str(tmp_path / "lm_selfies")}, n=50, batch_size=50,
               max_len=40, decoder={"name": "sample", "tau": 1.0}, reference=None)
    metrics = molgdl.run(gen).summary["test"]
    assert metrics["n"] == 50 and metrics["validity"] == 1.0


def test_a_finished_language_model_trains_on_when_resumed_with_a_larger_budget(tmp_path):
    from molgdl.errors import ResumeMismatchError

    cfg = load("lm_smiles_ci.yaml", tmp_path)
    cfg["training"] = {**cfg["training"], "max_steps": 2, "max_minutes": None}
    first = molgdl.run(cfg)
    assert first.summary["seeds"]["0"]["steps"] == 2
    cfg["training"]["max_steps"] = 4  # a key --resume may change for this task
    more = molgdl.run(cfg, resume=True)
    assert more.summary["seeds"]["0"]["steps"] == 4
    log = pd.read_csv(first.path / "seed_0" / "train_log.csv")
    assert list(log["step"]) == [2, 4]  # one log, continued
    cfg["model"] = {**cfg["model"], "hidden_dim": cfg["model"].get("hidden_dim", 256) + 8}
    with pytest.raises(ResumeMismatchError, match="model.hidden_dim"):
        molgdl.run(cfg, resume=True)
