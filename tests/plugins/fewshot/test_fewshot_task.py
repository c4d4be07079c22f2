"""The fewshot task end to end on a bundled MoleculeACE set with a tiny pretrained encoder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import molgdl
import molgdl_datasets
from molgdl.errors import ConfigError

SLICE = Path(__file__).parents[2] / "pretrain" / "data" / "moses_train_240.csv"
SET = Path(molgdl_datasets.__file__).parent / "data" / "moleculeace_CHEMBL2047_EC50.csv"


@pytest.fixture(scope="module")
def tiny_pretrained(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fs")
    return molgdl.run({"task": "pretrain", "run": {"name": "pre", "output_dir": str(out)},
                       "data": {"path": str(SLICE), "val_molecules": 20, "max_molecules": 32},
                       "model": {"name": "dmpnn", "hidden_dim": 8, "depth": 2}, "head": {"hidden_dim": 8},
                       "trainer": {"batch_size": 16}}).path


def test_every_arm_on_every_episode(tiny_pretrained, tmp_path):
    run = molgdl.run({"task": "fewshot", "run": {"name": "fs", "output_dir": str(tmp_path)},
                      "pretrained": str(tiny_pretrained), "data": {"path": str(SET)}, "sizes": [16, 24],
                      "draws": 2, "finetune": {"epochs": 2, "head_hidden": 8},
                      "scratch": {"epochs": 2, "head_hidden": 8},
                      "rf": {"name": "random_forest", "n_estimators": 10}})
    records = [json.loads(line) for line in (run.path / "episodes.jsonl").read_text().splitlines()]
    assert sorted((r["size"], r["draw"]) for r in records) == [(16, 0), (16, 1), (24, 0), (24, 1)]
    for r in records:
        assert set(r["rmse"]) == {"protonet", "knn", "finetune", "scratch", "svm", "rf", "mean"}
        assert all(np.isfinite(v) and v > 0 for v in r["rmse"].values())
    summary = json.loads((run.path / "summary.json").read_text())
    mean16 = np.mean([r["rmse"]["svm"] for r in records if r["size"] == 16])
    assert summary["test"]["rmse"]["svm_k16"] == pytest.approx(mean16)


def test_missing_pretrained_run_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        molgdl.run({"task": "fewshot", "run": {"name": "fs", "output_dir": str(tmp_path)},
                    "pretrained": str(tmp_path / "none"), "data": {"path": str(SET)}})


def _support_and_query(tiny_pretrained, n_support=20, n_query=15):
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry
    from molgdl_fewshot.encoder import featurize, load_embedder

    import pandas as pd

    frame = pd.read_csv(SET).head(n_support + n_query)
    emb = load_embedder(tiny_pretrained, Registry(create_plugin_manager()))
    graphs, ok = featurize(emb.featurizer, frame["smiles"].tolist())
    y = frame["y"].to_numpy(float)[ok]
    return emb, graphs[:n_support], y[:n_support], graphs[n_support:]


def test_linear_probe_is_closed_form_ridge_on_the_standardised_embedding(tiny_pretrained):
    """head_init='ridge' with no training step predicts (X'X + aI)^-1 X'y on the standardised embedding (the
    penalty the leave-one-out choice returned), solved here with numpy."""
    import torch
    from molgdl_fewshot.encoder import embed
    from molgdl_fewshot.finetune import fit_predict

    emb, support, y, query = _support_and_query(tiny_pretrained)
    encoder, readout = emb.build(True)
    Zs, Zq = embed(encoder, readout, support), embed(encoder, readout, query)
    pred = fit_predict(encoder, readout, support, y, query, epochs=0, lr=1e-3, lr_multiplier=1.0, freeze="all",
                       head_hidden=8, head_kind="mlp", batch_size=16, seed=0, head_layers=1, head_init="ridge")
    mu, sd = Zs.mean(0), Zs.std(0)
    sd[sd < 1e-8] = 1.0
    X = (Zs - mu) / sd
    y_std = float(torch.as_tensor(y, dtype=torch.float32).std())  # MolecularModel's scaler: unbiased float32 std
    t = (y - y.mean()) / y_std
    best = None
    for alpha in np.logspace(-3, 5, 17):  # leave-one-out error of each penalty, by refitting without each row
        errs = []
        for i in range(len(y)):
            keep = np.arange(len(y)) != i
            Xk, tk = X[keep], t[keep]
            xm, tm = Xk.mean(0), tk.mean()
            w = np.linalg.solve((Xk - xm).T @ (Xk - xm) + alpha * np.eye(X.shape[1]), (Xk - xm).T @ (tk - tm))
            errs.append((X[i] - xm) @ w + tm - t[i])
        score = float(np.mean(np.square(errs)))
        if best is None or score < best[0] - 1e-12:
            best = (score, alpha)
    alpha = best[1]
    xm, tm = X.mean(0), t.mean()
    w = np.linalg.solve((X - xm).T @ (X - xm) + alpha * np.eye(X.shape[1]), (X - xm).T @ (t - tm))
    expected = (((Zq - mu) / sd - xm) @ w + tm) * y_std + y.mean()
    assert np.allclose(pred, expected, atol=1e-4)
    assert np.std(expected) > 1e-3  # the probe is not the mean predictor here, so the check can fail


def test_ridge_initialisation_needs_a_linear_head(tiny_pretrained):
    from molgdl_fewshot.finetune import fit_predict

    emb, support, y, query = _support_and_query(tiny_pretrained)
    encoder, readout = emb.build(True)
    with pytest.raises(ValueError, match="single linear head"):
        fit_predict(encoder, readout, support, y, query, epochs=0, lr=1e-3, lr_multiplier=1.0, freeze="all",
                    head_hidden=8, head_kind="mlp", batch_size=16, seed=0, head_layers=2, head_init="ridge")


def test_ridge_head_with_a_two_layer_head_is_a_clear_config_error(tiny_pretrained, tmp_path):
    with pytest.raises(ConfigError, match="head_layers: 1"):
        molgdl.run({"task": "fewshot", "run": {"name": "fs", "output_dir": str(tmp_path)},
                    "pretrained": str(tiny_pretrained), "data": {"path": str(SET)},
                    "finetune": {"head_init": "ridge"}})


def test_scratch_arm_keeps_its_own_training_whatever_the_finetune_recipe():
    """The finetune section configures only the pretrained arm; scratch trains every weight at its own lr with a
    randomly initialised head."""
    from molgdl_fewshot.params import FewShotConfig
    from molgdl_fewshot.protocol import arm_settings

    cfg = FewShotConfig.model_validate({"pretrained": "x", "data": {"path": str(SET)},
                                        "finetune": {"head_init": "ridge", "head_layers": 1, "lr": 1e-4,
                                                     "lr_multiplier": 1.0, "epochs": 5}})
    ft, sc = arm_settings(cfg.finetune), arm_settings(cfg.scratch)
    assert (ft["head_init"], ft["head_layers"], ft["lr"], ft["lr_multiplier"], ft["epochs"]) == ("ridge", 1, 1e-4,
                                                                                                1.0, 5)
    assert (sc["head_init"], sc["head_layers"], sc["lr"], sc["lr_multiplier"], sc["freeze"], sc["epochs"]) == (
        "random", 2, 1e-3, 1.0, "none", 30)
    with pytest.raises(ValueError, match="head_init: ridge"):
        FewShotConfig.model_validate({"pretrained": "x", "data": {"path": str(SET)}, "finetune": {"epochs": 0}})
