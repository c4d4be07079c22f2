"""Pretraining on a streamed MOSES slice (tests/pretrain/data, 240 molecules) and fine-tuning from the artifact:
exact weight loading, freezing, discriminative learning rates, resume, clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

import molgdl
from molgdl.errors import ConfigError
from molgdl.pretrain.artifact import load_artifact
from molgdl.pretrain.finetune import parameter_groups, scale_pretrained_lr

SLICE = Path(__file__).parent / "data" / "moses_train_240.csv"
ENCODER = {"name": "dmpnn", "hidden_dim": 16, "depth": 2}


def pretrain_config(out: Path, **trainer) -> dict:
    return {"task": "pretrain", "run": {"name": "pre", "output_dir": str(out)},
            "data": {"path": str(SLICE), "val_molecules": 40, "max_molecules": 80, "chunk_size": 30},
            "targets": [{"name": "rdkit2d"}], "model": ENCODER, "head": {"hidden_dim": 16},
            "trainer": {"batch_size": 16, "checkpoint_every_n_steps": 2, **trainer}}


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pre")
    run = molgdl.run(pretrain_config(out))
    return run.path


def finetune_config(out: Path, source: Path, **pre) -> dict:
    return {"run": {"name": "ft", "output_dir": str(out)},
            "data": {"source": {"name": "esol", "limit": 60}, "progress": False, "cache_dir": str(out / "cache")},
            "model": ENCODER, "head": {"hidden_dim": 8}, "pretrained": {"from": str(source), **pre},
            "trainer": {"max_epochs": 2, "batch_size": 16, "progress_bar": False, "early_stopping": None}}


def test_artifact_records_what_produced_it(pretrained):
    art = load_artifact(pretrained)
    meta = art.meta
    assert meta["model"]["name"] == "dmpnn" and meta["model"]["params"]["hidden_dim"] == 16
    assert meta["featurizer"]["name"] == "graph2d" and meta["featurizer"]["version"]
    n = len(meta["target_names"])
    assert n > 100 and len(meta["target_mean"]) == n == len(meta["target_std"])
    assert meta["data"]["train_molecules_seen"] == 80  # val rows 0-39 held out, rows 40-119 streamed once
    assert meta["data"]["last_row"] == 119
    ckpt = torch.load(pretrained / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    for key, value in art.encoder.items():  # the artifact holds the final weights of the training run
        assert torch.equal(ckpt[f"model.encoder.{key}"], value), key


def _built(tmp_path, source, **pre):
    """The fine-tuning model as train_neural builds it (config resolved, pretrained weights applied)."""
    from molgdl.config.load import parse_config
    from molgdl.run.data_stage import prepare_data
    from molgdl.run.resolve import resolve
    from molgdl.run.train_stage import build_model, feature_dims, load_pretrained

    res = resolve(parse_config(finetune_config(tmp_path, source, **pre)))
    data = prepare_data(res, None)
    model = build_model(res, feature_dims(data), 1)
    load_pretrained(res, model)
    return model, data


def test_weights_load_exactly(pretrained, tmp_path):
    model, _ = _built(tmp_path, pretrained)
    art = load_artifact(pretrained)
    got = model.encoder.state_dict()
    assert set(got) == set(art.encoder)
    for key, value in art.encoder.items():
        assert torch.equal(got[key], value), key
    for key, value in art.readout.items():
        assert torch.equal(model.readout.state_dict()[key], value), key


def test_freeze_all_gives_no_gradients_and_keeps_weights(pretrained, tmp_path):
    from torch_geometric.data import Batch

    model, data = _built(tmp_path, pretrained, freeze="all")
    model.train()
    batch = Batch.from_data_list([data.graphs.dataset[i] for i in range(8)])
    model(batch).pow(2).mean().backward()
    assert all(p.grad is None for p in model.encoder.parameters())
    assert all(p.grad is not None for p in model.head.parameters())
    assert not model.encoder.training  # frozen parts stay in eval mode (dropout, batch-norm statistics)
    # through the whole pipeline: after training, model.pt holds the pretrained encoder unchanged
    run = molgdl.run(finetune_config(tmp_path, pretrained, freeze="all"), overwrite=True)
    state = torch.load(run.path / "seed_0" / "model.pt", weights_only=True)["state_dict"]
    art = load_artifact(pretrained)
    for key, value in art.encoder.items():
        assert torch.equal(state[f"encoder.{key}"], value), key
    assert any(not torch.equal(v, model.state_dict()[k]) for k, v in state.items() if k.startswith("head."))


def test_freeze_first_k_and_discriminative_lr(pretrained, tmp_path):
    model, _ = _built(tmp_path, pretrained, freeze=1, lr_multiplier=0.1)
    parts = [m for m in model.encoder.children() if any(True for _ in m.parameters())]
    assert all(not p.requires_grad for p in parts[0].parameters())
    assert all(p.requires_grad for m in parts[1:] for p in m.parameters())
    groups = parameter_groups(model)
    opt = scale_pretrained_lr(torch.optim.Adam(groups, lr=1e-3), 0.1)
    pre, head = opt.param_groups
    assert pre["lr"] == pytest.approx(1e-4) and head["lr"] == pytest.approx(1e-3)
    frozen = {id(p) for p in parts[0].parameters()}
    in_opt = {id(p) for g in opt.param_groups for p in g["params"]}
    assert not frozen & in_opt
    assert in_opt == {id(p) for p in model.parameters() if p.requires_grad}


def test_mismatching_encoder_names_both(pretrained, tmp_path):
    cfg = finetune_config(tmp_path, pretrained)
    cfg["model"] = {**ENCODER, "hidden_dim": 24}
    with pytest.raises(ConfigError) as info:
        molgdl.run(cfg)
    msg = str(info.value)
    assert "hidden_dim=16" in msg and "hidden_dim=24" in msg and "dmpnn" in msg


def test_wrong_from_path_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        molgdl.run(finetune_config(tmp_path, tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="holds no pretrained encoder"):
        molgdl.run(finetune_config(tmp_path, tmp_path / "empty"), overwrite=True)


def test_pretraining_resumes_after_the_last_row(tmp_path, monkeypatch):
    """A run killed after step 3 resumes from the step-2 checkpoint and streams each training row once."""
    from molgdl.pretrain.module import PretrainModule

    original = PretrainModule.training_step

    def dies(self, batch, batch_idx):
        if self.global_step == 3:
            raise RuntimeError("killed")
        return original(self, batch, batch_idx)

    monkeypatch.setattr(PretrainModule, "training_step", dies)
    with pytest.raises(RuntimeError, match="killed"):
        molgdl.run(pretrain_config(tmp_path))
    monkeypatch.setattr(PretrainModule, "training_step", original)
    ckpt = torch.load(tmp_path / "pre" / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 2 and ckpt["stream_row"] == 40 + 2 * 16 - 1
    run = molgdl.run(pretrain_config(tmp_path), resume=True)
    meta = json.loads((run.path / "pretrained" / "pretrained.json").read_text())
    assert meta["data"]["train_molecules_seen"] == 80 and meta["data"]["last_row"] == 119
    assert meta["steps"] == 5  # ceil(80 / 16): the two steps before the kill are not repeated


def test_pretraining_with_loader_workers_resumes_every_row_once(tmp_path, monkeypatch):
    """Two loader workers deal 10-row chunks and read ahead; a run killed after the step-2 checkpoint resumes
    with every training row trained exactly once (before the checkpoint or after the resume), none skipped."""
    from molgdl.pretrain.module import PretrainModule

    original = PretrainModule.training_step
    before, after = [], []

    def dies(self, batch, batch_idx):
        if self.global_step == 3:
            raise RuntimeError("killed")
        if self.global_step < 2:  # what the step-2 checkpoint holds
            before.extend(batch.src_row.tolist())
        return original(self, batch, batch_idx)

    def records(self, batch, batch_idx):
        after.extend(batch.src_row.tolist())
        return original(self, batch, batch_idx)

    config = pretrain_config(tmp_path, loader_workers=2)
    config["data"]["chunk_size"] = 10
    monkeypatch.setattr(PretrainModule, "training_step", dies)
    with pytest.raises(RuntimeError, match="killed"):
        molgdl.run(config)
    chunks = {r // 10 for r in before}
    assert len(chunks) >= 3  # both workers' chunks were in flight at the checkpoint
    monkeypatch.setattr(PretrainModule, "training_step", records)
    run = molgdl.run(config, resume=True)
    assert sorted(before + after) == list(range(40, 120))  # each row once: none skipped, none repeated
    meta = json.loads((run.path / "pretrained" / "pretrained.json").read_text())
    assert meta["data"]["train_molecules_seen"] == 80 and meta["data"]["last_row"] == 119


def test_fine_tuned_run_predicts_without_its_pretrained_artifact(pretrained, tmp_path):
    """A fine-tuned run holds all its weights: predict and embed must not need the encoder it started from
    (moved or deleted after training), and give the same numbers as before."""
    source = tmp_path / "pre_copy"
    shutil.copytree(pretrained, source)
    run = molgdl.run(finetune_config(tmp_path, source))
    smiles = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]
    before, emb_before = run.predict(smiles), run.embed(smiles)
    shutil.rmtree(source)
    again = molgdl.open_run(run.path)
    after, emb_after = again.predict(smiles), again.embed(smiles)
    assert after.equals(before) and emb_after.equals(emb_before)
    assert before.select_dtypes("number").notna().all().all()


def test_shipped_encoder_by_name_loads_exactly(tmp_path):
    """`pretrained: {from: molgdl:moses_1m}` finds the encoder shipped in the package (from any folder) and loads
    its weights bit for bit; an unknown name is refused with the shipped names."""
    from molgdl.pretrain.artifact import BUNDLED_DIR, bundled_encoders

    assert "moses_1m" in bundled_encoders()
    cfg = finetune_config(tmp_path, Path("molgdl:moses_1m"))
    cfg["model"] = {"name": "dmpnn", "hidden_dim": 300, "depth": 3}
    from molgdl.config.load import parse_config
    from molgdl.run.data_stage import prepare_data
    from molgdl.run.resolve import resolve
    from molgdl.run.train_stage import build_model, feature_dims, load_pretrained

    res = resolve(parse_config(cfg))
    data = prepare_data(res, None)
    model = build_model(res, feature_dims(data), 1)
    load_pretrained(res, model)
    shipped = torch.load(BUNDLED_DIR / "moses_1m" / "pretrained" / "encoder.pt", weights_only=True)
    for key, value in shipped["encoder"].items():
        assert torch.equal(model.encoder.state_dict()[key], value), key

    with pytest.raises(ConfigError) as info:
        resolve(parse_config(finetune_config(tmp_path, Path("molgdl:moses_2m"))))
    assert "ships no encoder named 'moses_2m'" in str(info.value) and "molgdl:moses_1m" in info.value.hint
