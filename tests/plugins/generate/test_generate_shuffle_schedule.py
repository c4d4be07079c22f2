"""Language-model training: the on-disk whole-file shuffle and the cosine learning-rate schedule."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

import molgdl
from molgdl.errors import ConfigError
from molgdl_generate.lm_params import LMTraining
from molgdl_generate.stream import iter_smiles, shuffled_copy
from molgdl_generate.train import learning_rate

CONFIGS = Path(__file__).resolve().parents[3] / "configs"


def test_shuffled_copy_is_a_permutation_of_every_row(tmp_path):
    rows = list(iter_smiles("moses_train_2000"))
    first = shuffled_copy("moses_train_2000", "SMILES", tmp_path / "a.csv", seed=3, buckets=7)
    shuffled = list(iter_smiles(first))
    assert Counter(shuffled) == Counter(rows) and len(shuffled) == len(rows) == 2000
    assert shuffled != rows
    # the same seed gives the same order (a resumed epoch skips the rows it already read); another seed differs
    assert list(iter_smiles(shuffled_copy("moses_train_2000", "SMILES", tmp_path / "b.csv", seed=3, buckets=7))) == shuffled
    assert list(iter_smiles(shuffled_copy("moses_train_2000", "SMILES", tmp_path / "c.csv", seed=4, buckets=7))) != shuffled
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv", "c.csv"]  # no scratch left


def test_shuffled_copy_mixes_the_whole_file_not_only_neighbours(tmp_path):
    """A file in blocks (as MOSES train is, by chemical series): the first tenth of the copy draws from every
    tenth of the source in about equal shares, which a neighbour-mixing buffer of 20 rows cannot do."""
    source = tmp_path / "ordered.csv"
    source.write_text("SMILES\n" + "".join(f"{'C' * (1 + i // 100)}\n" for i in range(1000)))
    out = list(iter_smiles(shuffled_copy(source, "SMILES", tmp_path / "s.csv", seed=0, buckets=16)))
    blocks = Counter(len(s) - 1 for s in out[:100])
    assert len(blocks) == 10 and max(blocks.values()) < 25  # binomial(100, 0.1): mean 10, sd 3
    limited = list(iter_smiles(shuffled_copy(source, "SMILES", tmp_path / "l.csv", seed=0, limit=150)))
    assert sorted(limited) == sorted(f"{'C' * (1 + i // 100)}" for i in range(150))


def test_cosine_schedule_hand_values():
    cfg = SimpleNamespace(lr_schedule="cosine", lr=1e-3, lr_min=1e-5, max_minutes=None, max_steps=100)
    at = lambda step, section=None: learning_rate(cfg, {"step": step, "elapsed": 0.0, "section": section})  # noqa: E731
    assert at(0) == pytest.approx(1e-3)
    assert at(50) == pytest.approx(1e-5 + 0.5 * (1e-3 - 1e-5))
    assert at(25) == pytest.approx(1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + math.cos(math.pi / 4)))
    assert at(100) == pytest.approx(1e-5) and at(150) == pytest.approx(1e-5)
    # a section that starts at step 60 (a finished run resumed with max_steps 100) decays over its 40 steps
    assert at(60, {"step": 60, "elapsed": 0.0}) == pytest.approx(1e-3)
    assert at(80, {"step": 60, "elapsed": 0.0}) == pytest.approx(1e-5 + 0.5 * (1e-3 - 1e-5))
    # time and step budgets: whichever is nearer its end sets the progress
    both = SimpleNamespace(**{**vars(cfg), "max_minutes": 10.0})
    assert learning_rate(both, {"step": 10, "elapsed": 300.0}) == pytest.approx(1e-5 + 0.5 * (1e-3 - 1e-5))
    assert learning_rate(SimpleNamespace(**{**vars(cfg), "lr_schedule": "constant"}), {"step": 99}) == 1e-3


def test_cosine_without_a_budget_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="neither training.max_minutes nor training.max_steps"):
        LMTraining(lr_schedule="cosine")
    with pytest.raises(ValueError, match="lr_min"):
        LMTraining(lr=1e-3, lr_min=1e-2)


def test_training_run_with_disk_shuffle_and_cosine_ends_at_lr_min(tmp_path):
    import torch

    cfg = yaml.safe_load((CONFIGS / "lm_smiles_ci.yaml").read_text())
    cfg["run"]["output_dir"] = str(tmp_path)
    cfg["training"].update(epochs=1, max_steps=6, lr_schedule="cosine", lr_min=1e-4, shuffle="disk")
    cfg["data"]["limit"] = 600
    run = molgdl.run(cfg)
    seed = run.path / "seed_0"
    saved = torch.load(seed / "checkpoint.pt", weights_only=False)
    assert saved["optimizer"]["param_groups"][0]["lr"] == pytest.approx(learning_rate(
        LMTraining(**cfg["training"]), {"step": 5, "elapsed": 0.0, "section": {"step": 0, "elapsed": 0.0}}))
    # the epoch's permutation of the first 600 rows stays in the run folder while the epoch is unfinished
    assert sorted(iter_smiles(seed / "shuffled" / "epoch_0.csv")) == sorted(iter_smiles("moses_train_2000", limit=600))
    cfg["training"].update(max_steps=None, max_minutes=5.0, lr_schedule="cosine")
    finished = molgdl.run(cfg, resume=True)  # trains to the end of the epoch, which removes its permutation
    assert finished.summary["seeds"]["0"]["epochs_completed"] == 1
    assert not (seed / "shuffled" / "epoch_0.csv").exists()


def test_cosine_without_budget_in_a_config_is_a_config_error(tmp_path):
    cfg = yaml.safe_load((CONFIGS / "lm_smiles_ci.yaml").read_text())
    cfg["run"]["output_dir"] = str(tmp_path)
    cfg["training"]["lr_schedule"] = "cosine"
    with pytest.raises(ConfigError, match="training.max_minutes"):
        molgdl.run(cfg)
