"""``molgdl run`` on a config with an ``ensemble:`` section, top to bottom.

Per replicate (seed, or seed and fold): the outer split; every member's out-of-fold predictions by inner
k-fold CV on the outer training molecules only (``oof``); stacking weights on those (``stacking``); every
member with a non-zero weight trained on the outer split like a normal run, in ``members/<name>/``
(``member_runs``); the
weighted sum evaluated and written like any run (``seed_<s>/predictions.csv``, ``metrics.json``), then
``summary.json``, ``ensemble.json`` and ``why.txt``.

``--resume`` reuses every finished piece: a member's inner CV
(``members/<name>/seed_<s>/oof_predictions.csv``) and its outer training
(``members/<name>/seed_<s>/metrics.json``). A member whose resolved config changed since is retrained from
scratch.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from molgdl.data.splits import check_split, write_split_file
from molgdl.lifecycle import call_lifecycle
from molgdl.run.data_stage import PreparedData, load_table
from molgdl.run.evaluate import evaluate_predictions, split_labels, write_predictions
from molgdl.run.folder import RunFolder, write_json
from molgdl.run.resolve import Resolved

from molgdl.ensemble.member_runs import (Member, fit_classical_on_train_and_val, forget_other_fit,
                                         member_data, member_errors, member_summary, oof_seconds,
                                         open_members, read_member_predictions, refit_neural_on_train_and_val,
                                         train_member)
from molgdl.ensemble.oof import OOF_FILE, is_classical, make_folds, out_of_fold, read_oof, write_oof
from molgdl.ensemble.report import metric_of, why_text
from molgdl.ensemble.stacking import combine, fit_weights

log = logging.getLogger("molgdl")
ENSEMBLE_FILE = "ensemble.json"
WHY_FILE = "why.txt"


def ensemble_pipeline(res: Resolved, *, overwrite: bool = False, resume: bool = False):
    from molgdl.run.pipeline import RunResult, write_resolved_config

    cfg = res.config
    folder = RunFolder.open(cfg.run.output_dir / cfg.run.name, overwrite=overwrite, resume=resume)
    handler = folder.attach_log()
    write_resolved_config(folder.path, res)
    folder.set_status("running", seeds=cfg.run.seeds)
    for w in res.warnings:
        log.warning(w)
    try:
        call_lifecycle(res.pm, "molgdl_run_start", run_dir=folder.path, config=cfg.model_dump(mode="json"))
        summary, replicates = run_ensemble(res, folder, resume=resume)
        call_lifecycle(res.pm, "molgdl_run_end", run_dir=folder.path, metrics=summary)
        folder.set_status("completed")
        return RunResult(folder.path, summary, replicates)
    except BaseException as exc:
        folder.record_failure(exc, handler)
        raise
    finally:
        logging.getLogger("molgdl").removeHandler(handler)
        handler.close()


def run_ensemble(res: Resolved, folder: RunFolder, *, resume: bool) -> tuple[dict[str, Any], dict[Any, Any]]:
    from molgdl.run.pipeline import replicate_units
    from molgdl.run.summary import summarize

    cfg = res.config
    table = load_table(res)
    units = replicate_units(res)
    members = open_members(res, folder, resume=resume)
    data = {m.name: member_data(m, table) for m in members}
    splits = {}
    for unit in units:
        split = {k: np.asarray(v, dtype=np.int64) for k, v in unit.splitter.split(table, unit.seed).items()}
        check_split(split, len(table))
        splits[unit.dir_name] = split
    oof, inner = out_of_fold_stage(cfg.ensemble, members, data, units, splits, resume=resume)
    info, weights = weights_stage(cfg.ensemble, members, units, oof, inner, table, folder)
    member_preds = members_stage(cfg.ensemble, members, data, units, splits, info, table, resume=resume)

    # the weighted sum, evaluated and written like any run
    replicates: dict[Any, dict[str, Any]] = {}
    for unit in units:
        key = unit.dir_name
        pred = combine(member_preds[key], weights[key])
        replicates[unit.key] = write_replicate(folder, key, unit.seed, table, splits[key], pred,
                                               info["replicates"][key])
    summary = summarize(replicates, table.task, table.target_names)
    summary.update(n_molecules=len(table),
                   ensemble={"method": cfg.ensemble.weights, "members": [m.name for m in members]})
    if any(u.fold is not None for u in units):
        summary.update(seeds=list(cfg.run.seeds), folds=sorted({u.fold for u in units}),
                       replicates=list(replicates))
    write_json(folder.path / "summary.json", summary)
    write_json(folder.path / ENSEMBLE_FILE, info)
    (folder.path / WHY_FILE).write_text(why_text(info))
    log.info("why: %s", (folder.path / WHY_FILE))
    return summary, replicates


def out_of_fold_stage(ens: Any, members: list[Member], data: dict[str, PreparedData], units: list[Any],
                      splits: dict[str, dict[str, np.ndarray]], *, resume: bool):
    """Every member's out-of-fold predictions of the outer training molecules of every replicate:
    ``({replicate: {member: [N, T]}}, {replicate: (training positions, folds, their table)})``."""
    from molgdl.tune.folds import restrict

    oof: dict[str, dict[str, np.ndarray]] = {u.dir_name: {} for u in units}
    inner: dict[str, Any] = {}
    if ens.inner_folds == 0:  # weights: mean without inner CV (the schema allows nothing else)
        log.info("ensemble: equal weights, no inner CV (inner_folds: 0)")
        return oof, inner
    for m in members:
        for unit in units:
            key, label = unit.dir_name, unit.dir_name.replace("_", " ")
            train = np.sort(splits[key]["train"])
            sub = restrict(data[m.name], train)  # only the outer training molecules from here on
            folds = make_folds(len(train), ens.inner_folds, unit.seed, splits[key])
            inner[key] = (train, folds, sub.table)
            path = m.folder.path / key / OOF_FILE
            pred = read_oof(path, sub, folds) if resume else None
            if pred is not None:
                log.info("member %s, %s: inner CV already done, reused", m.name, label)
            else:
                log.info("member %s, %s: inner %d-fold CV on %d training molecules", m.name, label,
                         ens.inner_folds, len(train))
                path.parent.mkdir(parents=True, exist_ok=True)
                t0 = time.perf_counter()
                with member_errors(m, "inner CV"):
                    pred = out_of_fold(m.res, sub, folds, unit.seed, path.parent / "inner")
                write_oof(path, sub, folds, pred)
                write_json(path.with_name("oof_seconds.json"), {"seconds": time.perf_counter() - t0})
            oof[key][m.name] = pred
    return oof, inner


def weights_stage(ens: Any, members: list[Member], units: list[Any], oof: dict[str, dict[str, np.ndarray]],
                  inner: dict[str, Any], table: Any, folder: RunFolder) -> tuple[dict[str, Any], dict]:
    """Weights per replicate and target from the out-of-fold predictions only; ``ensemble.json``'s content
    (scores of every member and of the stack) and ``seed_<s>/oof_predictions.csv``."""
    info: dict[str, Any] = {"method": ens.weights, "inner_folds": ens.inner_folds,
                            "metric": metric_of(table.task), "classical_fit": ens.classical_fit,
                            "neural_fit": ens.neural_fit,
                            "members": {m.name: member_summary(m) for m in members}, "replicates": {}}
    weights: dict[str, np.ndarray] = {}
    for unit in units:
        key = unit.dir_name
        if key not in inner:  # no inner CV: equal weights, nothing out of fold to score
            W = np.full((len(table.target_names), len(members)), 1.0 / len(members))
            weights[key] = W
            info["replicates"][key] = {
                "seed": unit.seed, "n_inner_molecules": 0,
                "weights": {t: {m.name: float(W[i, j]) for j, m in enumerate(members)}
                            for i, t in enumerate(table.target_names)},
                "trained": [m.name for m in members], "oof": {}, "stack_oof": {}, "seconds": {}}
            continue
        train, _, sub_table = inner[key]
        W = fit_weights(oof[key], sub_table.targets, ens.weights)
        weights[key] = W
        stack = combine(oof[key], W)
        everyone = {"oof": np.arange(len(train))}
        info["replicates"][key] = {
            "seed": unit.seed, "n_inner_molecules": int(len(train)),
            "weights": {t: {m.name: float(W[i, j]) for j, m in enumerate(members)}
                        for i, t in enumerate(table.target_names)},
            "trained": [m.name for j, m in enumerate(members) if (W[:, j] > 0).any()],
            "oof": {name: evaluate_predictions(sub_table, p, everyone).get("oof", {})
                    for name, p in oof[key].items()},
            "stack_oof": evaluate_predictions(sub_table, stack, everyone).get("oof", {}),
            "seconds": {f"{m.name} inner CV": oof_seconds(m, key) for m in members},
        }
        write_oof_table(folder.path / key / OOF_FILE, sub_table, oof[key], stack)
    write_json(folder.path / ENSEMBLE_FILE, info)
    return info, weights


def members_stage(ens: Any, members: list[Member], data: dict[str, PreparedData], units: list[Any],
                  splits: dict[str, dict[str, np.ndarray]], info: dict[str, Any], table: Any, *,
                  resume: bool) -> dict[str, dict[str, np.ndarray | None]]:
    """Members with a weight trained on the outer split, like runs of their own, in ``members/<name>/``;
    returns their predictions of every molecule (None for a member with weight 0)."""
    from molgdl.run.summary import summarize

    member_preds: dict[str, dict[str, np.ndarray | None]] = {u.dir_name: {} for u in units}
    for m in members:
        replicates = {}
        for unit in units:
            key = unit.dir_name
            rep = info["replicates"][key]
            if m.name not in rep["trained"]:
                member_preds[key][m.name] = None
                continue
            log.info("member %s, %s: training on the outer split", m.name, key.replace("_", " "))
            classical = is_classical(m.res)
            on_val = (ens.classical_fit if classical else ens.neural_fit) == "train_and_val"
            forget_other_fit(m.folder.path / key, on_val)
            with member_errors(m, "training"):
                if on_val and classical:
                    result = fit_classical_on_train_and_val(m, data[m.name], unit, splits[key], resume=resume)
                elif on_val:
                    result = refit_neural_on_train_and_val(m, data[m.name], unit, splits[key], resume=resume)
                else:
                    result = train_member(m, data[m.name], unit, resume=resume)
            replicates[unit.key] = result
            member_preds[key][m.name] = read_member_predictions(m.folder.path / key / "predictions.csv",
                                                                table)
            test = result.get("metrics", {}).get("test", {})
            rep.setdefault("member_test", {})[m.name] = test.get("overall", {})
            rep["seconds"][f"{m.name} outer"] = float(result.get("train_seconds", 0.0))
        if replicates:
            write_json(m.folder.path / "summary.json", summarize(replicates, table.task, table.target_names))
        m.folder.set_status("completed")
    return member_preds


def write_oof_table(path: Path, table: Any, oof: dict[str, np.ndarray], stack: np.ndarray) -> None:
    """Every member's and the stack's out-of-fold predictions of the outer training molecules."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cols: dict[str, Any] = {"row": [r.row for r in table.records],
                            "smiles": [r.smiles for r in table.records]}
    for t, name in enumerate(table.target_names):
        cols[name] = table.targets[:, t]
        cols[f"{name}_pred"] = stack[:, t]
        for member, pred in oof.items():
            cols[f"{name}_pred_{member}"] = pred[:, t]
    pd.DataFrame(cols).to_csv(path, index=False)


def write_replicate(folder: RunFolder, key: str, seed: int, table: Any, split: dict[str, np.ndarray],
                    pred: np.ndarray, rep: dict[str, Any]) -> dict[str, Any]:
    """``<key>/``: split.json, predictions.csv, parity.png, metrics.json of the ensemble's predictions."""
    from molgdl.run.plots import parity_plot

    t0 = time.perf_counter()
    seed_dir = folder.path / key
    seed_dir.mkdir(parents=True, exist_ok=True)
    write_split_file(seed_dir / "split.json", table, split)
    metrics = evaluate_predictions(table, pred, split)
    labels = split_labels(len(table), split)
    write_predictions(seed_dir / "predictions.csv", table, pred, labels)
    if table.task == "regression":
        parity_plot(seed_dir / "parity.png", table.targets, pred, labels, table.target_names, table.units)
    rep["test"] = metrics.get("test", {})
    result = {"seed": seed, "metrics": metrics, "split_sizes": {k: int(len(v)) for k, v in split.items()},
              "weights": rep["weights"],
              "train_seconds": sum(rep["seconds"].values()) + time.perf_counter() - t0,
              "seconds": rep["seconds"]}
    write_json(seed_dir / "metrics.json", result)
    test = metrics.get("test", {}).get("overall", {})
    shown = ", ".join(f"{k}={v:.4f}" for k, v in test.items())
    log.info("%s ensemble: test %s", key.replace("_", " "), shown)
    return result
