"""The members of an ensemble run as runs of their own in ``members/<name>/``: resolving and preparing them,
naming a failing member in its error, training one on the outer split (like ``molgdl run``, or on the outer
training and validation molecules with ``ensemble.classical_fit: train_and_val``) and reading its predictions.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from molgdl.data.splits import write_split_file
from molgdl.errors import DataError, MolgdlError, TrainingError
from molgdl.run.data_stage import PreparedData, prepare_data
from molgdl.run.evaluate import evaluate_predictions, split_labels, write_predictions
from molgdl.run.folder import RunFolder, write_json
from molgdl.run.resolve import Resolved

from molgdl.ensemble.members import MEMBERS_DIR, member_configs

log = logging.getLogger("molgdl")


@dataclass
class Member:
    name: str
    res: Resolved
    folder: RunFolder


def open_members(res: Resolved, folder: RunFolder, *, resume: bool) -> list[Member]:
    """Resolve every member and prepare ``members/<name>/`` (config.yaml, versions.json). On resume, a member
    whose resolved config differs from the one in its folder starts again (its results no longer apply)."""
    from molgdl.config.load import parse_config
    from molgdl.run.pipeline import resolved_config, write_resolved_config
    from molgdl.run.resolve import resolve

    out = []
    for mc in member_configs(res.config, folder.path):
        member_res = resolve(parse_config(mc.raw, where=f"of ensemble member {mc.name}"), pm=res.pm)
        path = folder.path / MEMBERS_DIR / mc.name
        previous = path / "config.yaml"
        changed = previous.exists() and \
            yaml.safe_load(previous.read_text()) != _plain(resolved_config(member_res))
        if resume and changed:
            log.warning("member %s: its config changed since it was trained; it is trained again", mc.name)
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
        write_resolved_config(path, member_res)
        member_folder = RunFolder(path)
        member_folder.set_status("running", seeds=res.config.run.seeds)
        out.append(Member(mc.name, member_res, member_folder))
    return out


FIT_FILE = "fit.json"  # written first by a fit on train and validation molecules, so that --resume tells the fits apart


def forget_other_fit(seed_dir: Path, on_val: bool) -> None:
    """On resume: a member replicate trained (or half trained) with the other ``classical_fit`` or ``neural_fit``
    is trained again: its metrics.json, checkpoints and fit marker go (all inside the member's folder)."""
    metrics_file = seed_dir / "metrics.json"
    done = metrics_file.exists()
    marked = (seed_dir / FIT_FILE).exists() or (done and "fitted_on" in json.loads(metrics_file.read_text()))
    if marked == on_val or not (done or (seed_dir / "checkpoints").exists()):
        return
    log.warning("%s was fitted with another ensemble.classical_fit or neural_fit; trained again", seed_dir)
    metrics_file.unlink(missing_ok=True)
    (seed_dir / FIT_FILE).unlink(missing_ok=True)
    shutil.rmtree(seed_dir / "checkpoints", ignore_errors=True)


def oof_seconds(m: Member, key: str) -> float:
    path = m.folder.path / key / "oof_seconds.json"
    return float(json.loads(path.read_text())["seconds"]) if path.exists() else 0.0


def _plain(cfg: dict[str, Any]) -> Any:
    return yaml.safe_load(yaml.safe_dump(cfg, sort_keys=False))


def member_data(m: Member, table: Any) -> PreparedData:
    with member_errors(m, "featurization"):
        data = prepare_data(m.res, m.folder.path)
    if data.table.smiles != table.smiles:
        raise DataError(f"ensemble member {m.name!r} read other molecules than the run ({len(data.table)} vs "
                        f"{len(table)})", hint="members share data:, so this is a bug; please report it")
    return data


class member_errors:
    """Context: a molgdl error inside a member is re-raised naming the member, with how to resume."""

    def __init__(self, m: Member, stage: str) -> None:
        self.m, self.stage = m, stage

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or not isinstance(exc, MolgdlError):
            if exc is not None and not isinstance(exc, KeyboardInterrupt):
                log.error("ensemble member %s failed in its %s", self.m.name, self.stage)
            return False
        self.m.folder.set_status("failed", error=str(exc).split("\n")[0])
        hint = (f"{exc.hint}; then " if exc.hint else "fix it, then ") + \
            ("rerun with --resume: what the other members (and this one) finished is kept and reused")
        raise type(exc)(f"ensemble member {self.m.name!r} ({self.stage}): {exc.args[0]}", hint=hint) from exc


def member_summary(m: Member) -> dict[str, Any]:
    cfg = m.res.config
    return {"model": cfg.model.name, "featurizer": cfg.featurizer.name,
            "descriptors": [d.name for d in cfg.descriptors], "folder": f"{MEMBERS_DIR}/{m.name}"}


def train_member(m: Member, data: PreparedData, unit: Any, *, resume: bool) -> dict[str, Any]:
    from molgdl.run.pipeline import run_replicate

    return run_replicate(m.res, data, m.folder, unit.seed, resume=resume, splitter=unit.splitter,
                         dir_name=unit.dir_name)


def fit_classical_on_train_and_val(m: Member, data: PreparedData, unit: Any, split: dict[str, np.ndarray], *,
                                   resume: bool) -> dict[str, Any]:
    """``ensemble.classical_fit: train_and_val``: a classical member fitted on the outer training and
    validation molecules, written like ``run_replicate`` writes a replicate (split.json lists the validation
    molecules under train, since the model saw them; metrics are for train and test)."""
    from molgdl.run.train_stage import train_classical

    seed_dir = m.folder.path / unit.dir_name
    if resume and (done := _finished(m, unit, seed_dir)) is not None:
        return done
    fit = _train_and_val_split(seed_dir, split, data.table, {"classical_fit": "train_and_val"})
    t0 = time.perf_counter()
    trained = train_classical(m.res, data, fit, unit.seed, seed_dir)
    return _write_fit(seed_dir, data.table, fit, unit.seed, trained.pred, time.perf_counter() - t0,
                      "outer train and validation molecules (ensemble.classical_fit: train_and_val)")


def refit_neural_on_train_and_val(m: Member, data: PreparedData, unit: Any, split: dict[str, np.ndarray], *,
                                  resume: bool) -> dict[str, Any]:
    """``ensemble.neural_fit: train_and_val``: the member trained on the outer split as a run of its own, in
    ``<replicate>/epoch_choice/``, only to choose the epoch (its best checkpoint on the validation molecules);
    then trained again with the same seed on the outer training and validation molecules for exactly that many
    epochs, in ``<replicate>/`` (the model that predicts and that ``molgdl predict`` loads)."""
    from molgdl.run.pipeline import run_replicate
    from molgdl.run.train_stage import train_neural

    seed_dir = m.folder.path / unit.dir_name
    if resume and (done := _finished(m, unit, seed_dir)) is not None:
        return done
    label = f"member {m.name}, {unit.dir_name.replace('_', ' ')}"
    log.info("%s: training on the outer split to choose the epoch", label)
    first = run_replicate(m.res, data, m.folder, unit.seed, resume=resume, splitter=unit.splitter,
                          dir_name=f"{unit.dir_name}/epoch_choice")
    epochs = first.get("best_epoch") or first.get("epochs")
    if not epochs:
        raise TrainingError(f"{label}: the training that chooses the epoch kept no checkpoint",
                        hint="rerun with --resume, or set ensemble.neural_fit: train")
    fit = _train_and_val_split(seed_dir, split, data.table, {"neural_fit": "train_and_val", "epochs": epochs})
    log.info("%s: trained again on %d training and validation molecules for %d epochs", label,
             len(fit["train"]), epochs)
    t0 = time.perf_counter()
    trained = train_neural(m.res, data, fit, unit.seed, seed_dir, resume, epochs=epochs)
    return _write_fit(seed_dir, data.table, fit, unit.seed, trained.pred, time.perf_counter() - t0,
                      f"outer train and validation molecules for {epochs} epochs, the best epoch of "
                      f"epoch_choice/ (ensemble.neural_fit: train_and_val)",
                      epochs=epochs, epoch_choice_metrics=first.get("metrics", {}))


def _finished(m: Member, unit: Any, seed_dir: Path) -> dict[str, Any] | None:
    """On resume: the metrics.json of a member replicate that completed, else None."""
    metrics_file = seed_dir / "metrics.json"
    if not metrics_file.exists():
        return None
    log.info("member %s, %s already completed, skipped", m.name, unit.dir_name.replace("_", " "))
    return json.loads(metrics_file.read_text())


def _train_and_val_split(seed_dir: Path, split: dict[str, np.ndarray], table: Any,
                         marker: dict[str, Any]) -> dict[str, np.ndarray]:
    """The split of a fit on train and validation molecules (validation listed under train in split.json, since
    the model sees them), with the fit marker written first."""
    seed_dir.mkdir(parents=True, exist_ok=True)
    write_json(seed_dir / FIT_FILE, marker)
    fit = {"train": np.sort(np.concatenate([split["train"], split["val"]])),
           "val": np.zeros(0, dtype=np.int64), "test": split["test"]}
    write_split_file(seed_dir / "split.json", table, fit)
    return fit


def _write_fit(seed_dir: Path, table: Any, fit: dict[str, np.ndarray], seed: int, pred: np.ndarray,
               seconds: float, fitted_on: str, **extra: Any) -> dict[str, Any]:
    """predictions.csv and metrics.json (train and test metrics) of a fit on train and validation molecules."""
    metrics = evaluate_predictions(table, pred, fit)
    write_predictions(seed_dir / "predictions.csv", table, pred, split_labels(len(table), fit))
    result = {"seed": seed, "metrics": metrics, "train_seconds": seconds,
              "split_sizes": {k: int(len(v)) for k, v in fit.items()}, "fitted_on": fitted_on, **extra}
    write_json(seed_dir / "metrics.json", result)
    return result


def read_member_predictions(path: Path, table: Any) -> np.ndarray:
    """A member's per-molecule predictions ``[M, T]`` from its predictions.csv (written at full precision)."""
    df = pd.read_csv(path)
    if df["smiles"].fillna("").tolist() != [r.smiles or "" for r in table.records]:
        raise DataError(f"{path} lists other molecules than the run", hint="rerun with --overwrite")
    return df[[f"{name}_pred" for name in table.target_names]].to_numpy(dtype=np.float64)
