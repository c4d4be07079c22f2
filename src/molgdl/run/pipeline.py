"""``molgdl run``: the whole pipeline for one config, all replicates, every artifact in one folder."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from molgdl.data.splits import check_split, write_split_file
from molgdl.lifecycle import call_lifecycle
from molgdl.run.analysis import run_analyses
from molgdl.run.data_stage import PreparedData, prepare_data
from molgdl.run.evaluate import (check_predictions, evaluate_predictions, force_metrics, split_labels,
                                 write_predictions)
from molgdl.run.folder import RunFolder, is_worker_process, write_json
from molgdl.run.identity import check_config, check_or_record_data, record_config
from molgdl.run.plots import learning_curve, parity_plot
from molgdl.run.resolve import Resolved
from molgdl.run.summary import summarize
from molgdl.run.train_stage import TrainedReplicate, train_classical, train_neural
from molgdl.run.trainer_checks import check_trainer_environment
from molgdl.uncertainty.members import train_members
from molgdl.uncertainty.plan import plan_of
from molgdl.uncertainty.stage import replicate_uncertainty

log = logging.getLogger("molgdl")


@dataclass
class RunResult:
    run_dir: Path
    summary: dict[str, Any]
    replicates: dict[int, dict[str, Any]]


def run_pipeline(res: Resolved, *, overwrite: bool = False, resume: bool = False) -> RunResult:
    cfg = res.config
    if cfg.ensemble is not None:  # members trained and stacked (molgdl.ensemble.pipeline)
        from molgdl.ensemble.pipeline import ensemble_pipeline

        return ensemble_pipeline(res, overwrite=overwrite, resume=resume)
    if getattr(res.spec("model", "model"), "family", "encoder") != "classical" and not is_worker_process():
        check_trainer_environment(cfg)  # before anything is created: what Lightning would refuse mid-run
    folder = RunFolder.open(cfg.run.output_dir / cfg.run.name, overwrite=overwrite, resume=resume)
    worker = is_worker_process()
    handler = None
    previous_status = folder.status()
    try:
        if not worker:
            handler = folder.attach_log()
            if resume:  # before config.yaml is rewritten: refuse a config that differs (molgdl.run.identity)
                check_config(folder.path, resolved_config(res))
            write_resolved_config(folder.path, res)
            record_config(folder.path, resolved_config(res))
            folder.set_status("running", seeds=cfg.run.seeds)
            for w in res.warnings:
                log.warning(w)
        call_lifecycle(res.pm, "molgdl_run_start", run_dir=folder.path, config=cfg.model_dump(mode="json"))
        # the data fingerprint is recorded (new run) or checked (--resume) before featurization
        on_table = None if worker else partial(check_or_record_data, folder.path, resume=resume)
        data = prepare_data(res, None if worker else folder.path, on_table=on_table)
        replicates: dict[Any, dict[str, Any]] = {}
        units = replicate_units(res)
        for unit in units:
            replicates[unit.key] = run_replicate(res, data, folder, unit.seed, resume=resume,
                                                 splitter=unit.splitter, dir_name=unit.dir_name)
        if worker:
            return RunResult(folder.path, {}, {})
        summary = summarize(replicates, data.table.task, data.table.target_names)
        if any(u.fold is not None for u in units):  # k-fold, every fold: mean +/- std over folds (and seeds)
            summary.update(seeds=list(cfg.run.seeds), folds=sorted({u.fold for u in units}), replicates=list(replicates))
        summary["featurization_seconds"] = data.graphs.seconds
        summary["featurization_cached"] = data.graphs.from_cache
        summary["n_molecules"] = len(data.table)
        summary["n_invalid"] = len(data.invalid)
        write_json(folder.path / "summary.json", summary)
        summary["analyses"] = run_analyses(res, data, folder)
        write_json(folder.path / "summary.json", summary)
        call_lifecycle(res.pm, "molgdl_run_end", run_dir=folder.path, metrics=summary)
        folder.set_status("completed")
        return RunResult(folder.path, summary, replicates)
    except BaseException as exc:
        folder.record_failure(exc, handler, previous_status)
        raise
    finally:
        if handler is not None:
            logging.getLogger("molgdl").removeHandler(handler)
            handler.close()
        folder.release()


@dataclass(frozen=True)
class ReplicateUnit:
    """One trained replicate: a seed, and with ``split: {name: kfold, fold: all}`` one fold of it."""

    seed: int
    fold: int | None
    splitter: Any

    @property
    def dir_name(self) -> str:
        return f"seed_{self.seed}" if self.fold is None else f"seed_{self.seed}_fold_{self.fold}"

    @property
    def key(self) -> int | str:
        return self.seed if self.fold is None else self.dir_name


def replicate_units(res: Resolved) -> list[ReplicateUnit]:
    """Every (seed, fold) the run trains: one per seed, or one per seed and fold when the splitter has
    ``fold_splitters()`` that returns several (k-fold with ``fold: all``)."""
    splitter = res.build("splitter", "split")
    folds = getattr(splitter, "fold_splitters", lambda: [])()
    if not folds:
        return [ReplicateUnit(seed, None, splitter) for seed in res.config.run.seeds]
    return [ReplicateUnit(seed, k, s) for seed in res.config.run.seeds for k, s in enumerate(folds)]


def run_replicate(res: Resolved, data: PreparedData, folder: RunFolder, seed: int, *, resume: bool,
                  splitter: Any = None, dir_name: str | None = None) -> dict[str, Any]:
    """Split, train, evaluate and write the artifacts of one seed (``seed_<s>/``, or ``dir_name``)."""
    seed_dir = folder.path / dir_name if dir_name else folder.seed_dir(seed)
    label = f"seed {seed}" if seed_dir.name == f"seed_{seed}" else seed_dir.name.replace("_", " ")
    metrics_file = seed_dir / "metrics.json"
    if resume and metrics_file.exists():
        log.info("%s already completed, skipped", label)
        return json.loads(metrics_file.read_text())
    seed_dir.mkdir(parents=True, exist_ok=True)
    table = data.table
    splitter = splitter if splitter is not None else res.build("splitter", "split")
    split = {k: np.asarray(v, dtype=np.int64) for k, v in splitter.split(table, seed).items()}
    check_split(split, len(table))
    if not is_worker_process():
        write_split_file(seed_dir / "split.json", table, split)
    t0 = time.perf_counter()
    spec = res.spec("model", "model")
    plan = plan_of(res)
    if getattr(spec, "family", "encoder") == "classical":
        trained: TrainedReplicate = train_classical(res, data, split, seed, seed_dir)
    elif plan is not None and plan.members > 1:  # a deep ensemble per replicate (molgdl.uncertainty.members)
        trained = train_members(res, data, split, seed, seed_dir, resume, plan)
    else:
        trained = train_neural(res, data, split, seed, seed_dir, resume)
    if is_worker_process() or trained.model is None:
        return {}
    # a resumed fit adds the training time of its earlier attempts, stored in the checkpoint (TrainingClock)
    train_seconds = time.perf_counter() - t0 + float(trained.extra.get("seconds_before_resume") or 0.0)
    unc_metrics, unc_columns = {}, {}
    if plan is not None:  # the estimator's mean replaces the point prediction (molgdl.uncertainty.stage)
        estimate, unc_metrics = replicate_uncertainty(res, data, split, seed_dir, seed)
        trained.pred, unc_columns = estimate.mean, estimate.columns(table.target_names, table.task)
    check_predictions(table, trained.pred, data.graphs.graph_owner, label)
    metrics = evaluate_predictions(table, trained.pred, split)
    for split_name, per_target in unc_metrics.items():
        for target, values in per_target.items():
            metrics.setdefault(split_name, {}).setdefault(target, {}).update(values)
    if res.config.loss.force_weight > 0:
        forces, arrays = force_metrics(trained.model, data.graphs.dataset, data.graphs.graph_owner, split)
        for name, values in forces.items():
            metrics.setdefault(name, {})["forces"] = values
        np.savez_compressed(seed_dir / "forces_test.npz", **arrays)
    labels = split_labels(len(table), split)
    write_predictions(seed_dir / "predictions.csv", table, trained.pred, labels, extra=unc_columns)
    if table.task == "regression":
        parity_plot(seed_dir / "parity.png", table.targets, trained.pred, labels, table.target_names, table.units)
    learning_curve(seed_dir / "learning_curve.png", seed_dir / "logs" / "metrics.csv")
    result = {"seed": seed, "metrics": metrics, "train_seconds": train_seconds,
              "split_sizes": {k: int(len(v)) for k, v in split.items()},
              **{k: v for k, v in trained.extra.items() if isinstance(v, (int, float, str, type(None)))}}
    write_json(metrics_file, result)
    test = metrics.get("test", {}).get("overall", {})
    log.info("%s: test %s (%.1f s)", label, ", ".join(f"{k}={v:.4f}" for k, v in test.items()), train_seconds)
    return result


def write_resolved_config(path: Path, res: Resolved) -> None:
    """config.yaml with every default filled in, and versions.json with packages and plugins."""
    from molgdl.data.cache import package_versions

    (path / "config.yaml").write_text(yaml.safe_dump(resolved_config(res), sort_keys=False))
    plugins = [{"name": i.name, "distribution": i.distribution, "version": i.version, "status": i.status}
               for i in res.pm.infos]
    write_json(path / "versions.json", {"packages": package_versions(("pytorch_lightning", "e3nn", "pluggy")),
                                        "plugins": plugins, "seeds": res.config.run.seeds})


def resolved_config(res: Resolved) -> dict[str, Any]:
    """The config with every default filled in (component blocks with all their params)."""
    cfg = res.config.model_dump(mode="json")
    for section in ("tune", "ensemble", "uncertainty", "pretrained"):
        if cfg.get(section) is None:
            cfg.pop(section, None)
    for kind, key, ref in res.config.component_refs():
        params = res.params[key].model_dump(mode="json")
        _set_path(cfg, key, {"name": ref.name, **params})
    return cfg


def _set_path(cfg: dict[str, Any], key: str, value: Any) -> None:
    node: Any = cfg
    parts = key.replace("]", "").replace("[", ".").split(".")
    for p in parts[:-1]:
        node = node[int(p)] if p.isdigit() else node[p]
    last = parts[-1]
    if last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
