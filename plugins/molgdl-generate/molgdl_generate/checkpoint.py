"""Language-model files in a run folder: ``seed_<s>/checkpoint.pt`` (resume) and ``seed_<s>/model.pt`` (final)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from molgdl.errors import RunDirError

from .models import build_model
from .tokenizers import Vocabulary


def save_atomic(obj: Any, path: Path) -> None:
    """torch.save to a temporary file, then rename (a kill never leaves half a checkpoint)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def model_record(model_name: str, options: dict, model: torch.nn.Module, vocab: Vocabulary) -> dict:
    return {"model": model_name, "options": options, "state": model.state_dict(), "vocab": vocab.to_json()}


def load_language_model(run: str | Path, seed: int | None = None) -> tuple[torch.nn.Module, Vocabulary]:
    """The trained model and vocabulary of a ``language_model`` run folder (its first seed unless given)."""
    run = Path(run)
    files = sorted(run.glob("seed_*/model.pt")) if seed is None else [run / f"seed_{seed}" / "model.pt"]
    files = [f for f in files if f.exists()]
    if not files:
        raise RunDirError(f"{run} holds no trained language model (no seed_*/model.pt)",
                          hint="give the folder of a completed `task: language_model` run (molgdl run configs/lm_smiles.yaml)")
    record = torch.load(files[0], map_location="cpu", weights_only=False)
    vocab = Vocabulary.from_json(record["vocab"])
    model = build_model(record["model"], len(vocab), record["options"])
    model.load_state_dict(record["state"])
    model.eval()
    return model, vocab
