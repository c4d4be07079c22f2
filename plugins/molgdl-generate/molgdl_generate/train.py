"""Train a token language model by teacher forcing, streaming the training CSV, with checkpoints and resume.

Loss: mean next-token cross-entropy (nats/token) over non-pad positions. A checkpoint every
``checkpoint_every_s`` seconds holds model, optimizer, step, epoch and rows consumed in the epoch; ``--resume``
continues from it (the rows that sat in the shuffle buffer at the checkpoint are not revisited that epoch).
With ``shuffle: disk`` each epoch reads a random permutation of the file written to ``seed_<s>/shuffled/``
(deleted when the epoch ends). The learning rate follows ``lr_schedule`` over the training section.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import time
from pathlib import Path

import torch

from molgdl.errors import TrainingError

from .checkpoint import model_record, save_atomic
from .lm_params import LanguageModelParams
from .models import build_model
from .stream import SmilesStream, iter_smiles, pad_batch, shuffled_copy
from .tokenizers import Vocabulary


def sequence_loss(model: torch.nn.Module, batch: torch.Tensor, pad: int = 0) -> tuple[torch.Tensor, int]:
    """Summed next-token NLL (nats) and token count. batch: int64 [B, T] of [bos .. eos pad ..]."""
    logits = model(batch[:, :-1])
    target = batch[:, 1:]
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                             ignore_index=pad, reduction="sum")
    return loss, int((target != pad).sum())


@torch.no_grad()
def validation_nll(model: torch.nn.Module, molecules: list[list[int]], batch_size: int = 256) -> float:
    """Mean NLL per token (nats) on encoded molecules."""
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(molecules), batch_size):
        loss, n = sequence_loss(model, pad_batch(molecules[i:i + batch_size]))
        total, count = total + float(loss), count + n
    model.train()
    return total / max(count, 1)


def _vocabulary(params: LanguageModelParams, seed_dir: Path, log: logging.Logger) -> Vocabulary:
    path = seed_dir / "vocab.json"
    if path.exists():
        return Vocabulary.from_json(json.loads(path.read_text()))
    rows = params.data.vocab_rows if params.data.limit is None else min(params.data.limit, params.data.vocab_rows or params.data.limit)
    t0 = time.time()
    vocab = Vocabulary.build(params.tokenizer, iter_smiles(params.data.train, params.data.column, rows))
    log.info("vocabulary: %d tokens from %s rows in %.0f s", len(vocab), rows or "all", time.time() - t0)
    path.write_text(json.dumps(vocab.to_json()))
    return vocab


def _out_of_time_or_steps(cfg, state: dict) -> bool:
    return ((cfg.max_minutes is not None and state["elapsed"] >= 60 * cfg.max_minutes)
            or (cfg.max_steps is not None and state["step"] >= cfg.max_steps))


def _budget_spent(cfg, state: dict) -> bool:
    """Whether epochs, wall-clock minutes or steps of the (current) training section are used up."""
    return state["epoch"] >= cfg.epochs or _out_of_time_or_steps(cfg, state)


def learning_rate(cfg, state: dict) -> float:
    """The step's learning rate: ``lr``, or a cosine from ``lr`` to ``lr_min`` over the training section
    (``state["section"]``: elapsed seconds and step where it began) to the end of the time or step budget,
    whichever comes first."""
    if cfg.lr_schedule == "constant":
        return cfg.lr
    start = state.get("section") or {"elapsed": 0.0, "step": 0}
    done = []
    if cfg.max_minutes is not None:
        done.append((state["elapsed"] - start["elapsed"]) / max(60 * cfg.max_minutes - start["elapsed"], 1e-9))
    if cfg.max_steps is not None:
        done.append((state["step"] - start["step"]) / max(cfg.max_steps - start["step"], 1))
    progress = min(max(max(done), 0.0), 1.0)
    return cfg.lr_min + 0.5 * (cfg.lr - cfg.lr_min) * (1 + math.cos(math.pi * progress))


def _epoch_file(params: LanguageModelParams, seed: int, seed_dir: Path, epoch: int, log: logging.Logger) -> Path:
    """The file epoch ``epoch`` reads: data.train itself, or (shuffle: disk) its permutation for this epoch."""
    if params.training.shuffle == "buffer":
        return Path(params.data.train)
    dest = seed_dir / "shuffled" / f"epoch_{epoch}.csv"
    if dest.exists():  # written before a kill or a budget stop in this epoch: the same permutation
        return dest
    t0 = time.time()
    dest.parent.mkdir(exist_ok=True)
    shuffled_copy(params.data.train, params.data.column, dest, seed=seed * 1000 + epoch, limit=params.data.limit)
    log.info("epoch %d: shuffled %s into %s in %.0f s", epoch, params.data.train, dest, time.time() - t0)
    return dest


def train_language_model(params: LanguageModelParams, seed: int, seed_dir: Path, resume: bool,
                         log: logging.Logger) -> dict:
    """Train (or continue) one seed; writes vocab.json, checkpoint.pt, train_log.csv and model.pt."""
    cfg = params.training
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(seed)
    vocab = _vocabulary(params, seed_dir, log)
    options = params.model.model_dump(exclude={"name"})
    model = build_model(params.model.name, len(vocab), options)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    state = {"step": 0, "epoch": 0, "rows": 0, "elapsed": 0.0, "done": False, "val_nll": None}
    ckpt = seed_dir / "checkpoint.pt"
    if resume and ckpt.exists():
        saved = torch.load(ckpt, map_location="cpu", weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        state = saved["progress"]
        log.info("resumed at step %d (epoch %d, %d rows)", state["step"], state["epoch"], state["rows"])
    validation = []
    if params.data.validation is not None:
        for smiles in iter_smiles(params.data.validation, params.data.column, params.data.validation_rows):
            try:
                validation.append(vocab.encode(smiles))
            except Exception:  # noqa: BLE001 - an untokenizable validation row is skipped
                continue
    log_path = seed_dir / "train_log.csv"
    new_log = not log_path.exists() or not resume
    log_file = open(log_path, "w" if new_log else "a", newline="")
    writer = csv.writer(log_file)
    if new_log:
        writer.writerow(["step", "epoch", "molecules", "seconds", "train_nll", "val_nll"])

    def checkpoint(train_nll: float) -> None:
        state["val_nll"] = validation_nll(model, validation) if validation else None
        writer.writerow([state["step"], state["epoch"], state["molecules"], round(state["elapsed"], 1),
                         round(train_nll, 5), None if state["val_nll"] is None else round(state["val_nll"], 5)])
        log_file.flush()
        save_atomic({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "progress": dict(state)}, ckpt)
        log.info("step %d: train %.4f nats/token, val %s", state["step"], train_nll, state["val_nll"])

    state.setdefault("molecules", 0)
    start, last_ckpt = time.time() - state["elapsed"], time.time()
    run_loss, run_tokens = 0.0, 0
    model.train()
    stop = _budget_spent(cfg, state)  # a finished run resumed with a larger budget trains on
    if (not stop and state["done"]) or "section" not in state:
        state["section"] = {"elapsed": state["elapsed"], "step": state["step"]}  # where the lr schedule starts
    if not stop:
        state["done"] = False
    while not stop and state["epoch"] < cfg.epochs:
        path = _epoch_file(params, seed, seed_dir, state["epoch"], log)
        stream = SmilesStream(path, vocab, params.data.column, cfg.shuffle_buffer,
                              seed=seed * 1000 + state["epoch"], skip=state["rows"],
                              limit=params.data.limit if cfg.shuffle == "buffer" else None,
                              max_tokens=cfg.max_tokens)
        batch: list[list[int]] = []
        for ids in stream:
            batch.append(ids)
            if len(batch) < cfg.batch_size:
                continue
            loss, n = sequence_loss(model, pad_batch(batch))
            if not math.isfinite(float(loss.detach())):
                raise TrainingError(f"language-model loss became {float(loss)} at step {state['step']}",
                                    hint="lower training.lr or training.grad_clip")
            optimizer.zero_grad(set_to_none=True)
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(cfg, state)
            (loss / n).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            optimizer.step()
            run_loss, run_tokens = run_loss + float(loss.detach()), run_tokens + n
            state["step"] += 1
            state["rows"] += len(batch)
            state["molecules"] += len(batch)
            state["elapsed"] = time.time() - start
            batch = []
            out_of_budget = _out_of_time_or_steps(cfg, state)
            if out_of_budget or time.time() - last_ckpt >= cfg.checkpoint_every_s:
                checkpoint(run_loss / max(run_tokens, 1))
                run_loss, run_tokens, last_ckpt = 0.0, 0, time.time()
            if out_of_budget:
                stop = True
                break
        else:
            if cfg.shuffle == "disk":
                path.unlink(missing_ok=True)  # this epoch's permutation (in the run folder) is spent
            state["epoch"] += 1
            state["rows"] = 0
    if not state["done"]:
        state["done"] = True
        if run_tokens:
            checkpoint(run_loss / run_tokens)
        else:
            save_atomic({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "progress": dict(state)}, ckpt)
    log_file.close()
    if state["step"] == 0:
        raise TrainingError(f"no training step was taken: {params.data.train} gave fewer than "
                            f"{cfg.batch_size} usable molecules", hint="lower training.batch_size or check the data")
    save_atomic(model_record(params.model.name, options, model, vocab), seed_dir / "model.pt")
    return {"steps": state["step"], "molecules_seen": state["molecules"], "epochs_completed": state["epoch"],
            "train_seconds": round(state["elapsed"], 1), "val_nll_per_token": state["val_nll"],
            "vocab_size": len(vocab), "parameters": sum(p.numel() for p in model.parameters())}
