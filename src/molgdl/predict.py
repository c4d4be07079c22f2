"""``molgdl predict``: apply a trained run (all its replicates, averaged) to new molecules.

The run's resolved ``config.yaml`` rebuilds the same featurizer, descriptors and model; weights and scalers
come from ``seed_<s>/model.pt``, read with ``torch.load(weights_only=True)`` (no code from the file runs).
Classical runs (random forest, svm, ...) come from ``seed_<s>/model.pkl`` (imputer + fitted estimators), read by
the restricted unpickler of ``molgdl.run.classical``; their embedding is the imputed descriptor vector the
estimators see.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence, Union

import numpy as np
import pandas as pd
import torch

from molgdl.config import load_config
from molgdl.data.cache import FeatureCache, MemoryFeatureCache, default_cache_dir
from molgdl.data.featurize import GraphSet, featurize_table
from molgdl.data.table import MoleculeRecord, MoleculeTable
from molgdl.errors import DataError, MolgdlError, RunDirError
from molgdl.plugins import create_plugin_manager
from molgdl.run.classical import CLASSICAL_FILE, ClassicalModel, load_classical
from molgdl.run.evaluate import average_by_owner, predict_graphs
from molgdl.run.resolve import Resolved, resolve
from molgdl.run.train_stage import MODEL_FILE, build_model
from molgdl.run.versions import drift_error, warn_drift
from molgdl.specs import FeatureDims

log = logging.getLogger("molgdl")
#: Featurization notes (missing or float32-overflowing descriptor values); streaming predict sends them to its log file.
notes_log = logging.getLogger("molgdl.featurize")

#: New molecules: a CSV file with a SMILES column, a DataFrame with one, or a list of SMILES strings.
Molecules = Union[str, Path, pd.DataFrame, Sequence[str]]


def open_run(run_dir: Path) -> tuple[Resolved, list[Path]]:
    run_dir = Path(run_dir)
    cfg_path = run_dir / "config.yaml"
    if not cfg_path.is_file():
        raise RunDirError(f"{run_dir.resolve()} is not a molgdl run folder (no config.yaml)",
                          hint="pass the folder that `molgdl run` created, e.g. runs/esol")
    config = load_config(cfg_path)
    pm = create_plugin_manager(disabled=config.plugins.get("disable", []))
    warn_drift(run_dir, pm)
    try:
        res = resolve(config, pm=pm, trained=True)  # the fine-tuned weights are in the run: no pretrained artifact
    except MolgdlError as exc:
        raise drift_error(run_dir, pm, exc, "read") or exc from None
    model_file = CLASSICAL_FILE if is_classical(res) else MODEL_FILE
    seeds = sorted(p.parent for p in run_dir.glob(f"seed_*/{model_file}"))
    if not seeds:
        raise RunDirError(f"{run_dir} has no trained model (no seed_*/{model_file})",
                          hint="the run did not finish; resume it with `molgdl run CONFIG --resume`"
                          + ("; a classical run trained before models were saved must be rerun with --overwrite"
                             if model_file == CLASSICAL_FILE else ""))
    return res, seeds


def load_replicate_model(res: Resolved, seed_dir: Path, graphs: GraphSet, table: MoleculeTable,
                         path: Path | None = None) -> torch.nn.Module:
    """The replicate's model with the weights of ``seed_dir/model.pt`` (or of ``path``: an ensemble member's or
    a weight snapshot's file, ``molgdl.uncertainty.samples``)."""
    featurizer = res.build("featurizer", "featurizer")
    base = featurizer.dims
    dims = FeatureDims(base.atom_dim, base.bond_dim, int(graphs.extra.shape[1]), base.is_3d)
    try:
        model = build_model(res, dims, len(table.target_names))
    except MolgdlError as exc:
        raise drift_error(seed_dir.parent, res.pm, exc, "rebuilt") or exc from None
    path = Path(path) if path is not None else seed_dir / MODEL_FILE
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
    except Exception as exc:  # weights_only refuses anything but tensors and plain containers
        raise RunDirError(f"{path} is not a plain molgdl weights file and was not loaded ({type(exc).__name__})",
                          hint="only load model.pt files written by `molgdl run`; retrain if the file is damaged") from None
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:  # parameter names or shapes differ from the weights written at training
        raise drift_error(seed_dir.parent, res.pm, exc, "loaded") or RunDirError(
            f"{path} does not fit the model built from {seed_dir.parent / 'config.yaml'}: {str(exc).splitlines()[0]}",
            hint="the weights were written by another version of the model; retrain the run") from None
    return model.eval()


def is_classical(res: Resolved) -> bool:
    """Whether the run's model is a classical (scikit-learn style) one, saved as ``model.pkl``."""
    return getattr(res.spec("model", "model"), "family", "encoder") == "classical"


def load_classical_replicate(res: Resolved, seed_dir: Path) -> ClassicalModel:
    """The fitted estimators of one replicate; classes of the package that registers the model are allowed."""
    trusted = res.spec("model", "model").factory.__module__.split(".")[0]
    return load_classical(seed_dir / CLASSICAL_FILE, trusted=(trusted,))


def _classical_output(values: np.ndarray, graphs: GraphSet, n: int) -> np.ndarray:
    """Rows ``[n, K]`` of a classical model's output, NaN for molecules that could not be featurized."""
    values = np.array(values, dtype=np.float64)
    values[~np.isin(np.arange(n), graphs.graph_owner)] = np.nan
    return values


def read_input(path: Path, smiles_column: str, target_names: list[str], task: str) -> MoleculeTable:
    path = Path(path)
    if path.is_dir():
        raise DataError(f"--input {path.resolve()} is a folder, not a CSV file",
                        hint="pass a CSV file with a SMILES column, e.g. --input new_molecules.csv")
    if not path.is_file():
        raise DataError(f"input file not found: {path.resolve()}",
                        hint="check the --input path; a relative path is resolved against the current folder")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty", hint="give a CSV with a header row and a SMILES column") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"could not read {path} as CSV: {reason}",
                        hint="give a UTF-8 CSV file with ',' delimiters, a header row and a SMILES column") from None
    _refuse_repeated_columns(path)
    column = smiles_column if smiles_column in df.columns else ("smiles" if "smiles" in df.columns else None)
    if column is None:
        raise DataError(f"{path}: no SMILES column {smiles_column!r}; columns found: {', '.join(map(str, df.columns))}",
                        hint="rename the SMILES column or add one")
    records = [MoleculeRecord(id=str(i), smiles=str(s).strip() if isinstance(s, str) else "", row=i + 1)
               for i, s in enumerate(df[column].tolist())]
    if not records:
        raise DataError(f"{path} has a header but no molecules (no data rows)",
                        hint="add one SMILES per line below the header")
    return MoleculeTable(records, np.full((len(records), len(target_names)), np.nan), target_names, task, str(path))


def _refuse_repeated_columns(path: Path) -> None:
    """pandas renames a repeated header name silently (``smiles``, ``smiles.1``): which one is meant is unclear."""
    import csv
    from collections import Counter

    with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
        header = next(csv.reader(fh), [])
    repeated = sorted(n for n, k in Counter(header).items() if k > 1 and n.strip())
    if repeated:
        raise DataError(f"{path}: the header names column(s) {repeated} more than once",
                        hint="rename or remove the repeated columns in the header line")


def read_molecules(source: Molecules, smiles_column: str, target_names: list[str], task: str) -> MoleculeTable:
    """New molecules from a CSV file (:func:`read_input`), a DataFrame with a SMILES column, or a list of SMILES."""
    if isinstance(source, (str, Path)):
        return read_input(Path(source), smiles_column, target_names, task)
    if isinstance(source, pd.DataFrame):
        column = smiles_column if smiles_column in source.columns else ("smiles" if "smiles" in source.columns else None)
        if column is None:
            raise DataError(f"the DataFrame has no SMILES column {smiles_column!r}; columns found: "
                            f"{', '.join(map(str, source.columns))}", hint="rename the SMILES column or add one")
        smiles, where = source[column].tolist(), source.attrs.get("source", "the DataFrame")
        index = source.index  # a RangeIndex from k numbers rows and ids from k (streamed chunks, molgdl.screen)
        offset = int(index.start) if isinstance(index, pd.RangeIndex) and index.step == 1 else 0
    elif isinstance(source, Sequence) and all(isinstance(s, str) for s in source):
        smiles, where, offset = list(source), "the list of SMILES", 0
    else:
        raise DataError(f"cannot read molecules from a {type(source).__name__}",
                        hint="pass a CSV file path, a pandas DataFrame with a SMILES column or a list of SMILES "
                             "strings, e.g. ['CCO', 'c1ccccc1']")
    records = [MoleculeRecord(id=str(i), smiles=s.strip() if isinstance(s, str) else "", row=i + 1)
               for i, s in enumerate(smiles, start=offset)]
    if not records:
        raise DataError(f"{where} holds no molecules", hint="give at least one SMILES")
    return MoleculeTable(records, np.full((len(records), len(target_names)), np.nan), target_names, task, where)


def replicate_predictions(run_dir: Path, input_path: Molecules, cache: bool | MemoryFeatureCache = True,
                          device: str = "cpu") -> tuple[MoleculeTable, GraphSet, dict[str, np.ndarray]]:
    """Each replicate's predictions ``[M, T]`` of the molecules in ``input_path``, keyed by its folder name, the
    models run on ``device`` (``molgdl.run.device``; classical models on the CPU);
    ``cache=False`` featurizes without the on-disk cache (streaming predict: chunks are seen once), a
    :class:`MemoryFeatureCache` shares the features of these molecules with other runs (an ensemble's members)."""
    res, seed_dirs = open_run(run_dir)
    names, task = _targets_of_run(Path(run_dir))
    table, graphs = _featurize_input(res, input_path, names, task, cache)
    preds = {}
    for seed_dir in seed_dirs:
        if is_classical(res):
            preds[seed_dir.name] = _classical_output(load_classical_replicate(res, seed_dir).predict(graphs.extra),
                                                     graphs, len(table))
            continue
        model = load_replicate_model(res, seed_dir, graphs, table)
        per_graph = (predict_graphs(model, graphs.dataset, 256, task, device) if len(graphs.dataset)
                     else np.zeros((0, len(names))))
        preds[seed_dir.name] = average_by_owner(per_graph, graphs.graph_owner, len(table))
    return table, graphs, preds


def check_output_path(path: Path) -> None:
    """Refuse an output path that cannot be written before any work is done."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"--output {path.resolve()} is a folder", hint="pass a file name, e.g. --output predictions.csv")
    if not path.parent.resolve().is_dir():
        raise DataError(f"--output {path.resolve()}: the folder {path.parent.resolve()} does not exist",
                        hint=f"create it first (mkdir -p {path.parent}) or write elsewhere")


def predict_file(run_dir: Path, input_path: Path, output_path: Path, coverage: float | None = None) -> pd.DataFrame:
    """``molgdl predict``: :func:`predict_molecules` of the CSV ``input_path``, written to ``output_path``."""
    check_output_path(output_path)
    out = predict_molecules(run_dir, input_path, coverage=coverage)
    out.to_csv(output_path, index=False)
    return out


def predict_molecules(run_dir: Path, input_path: Molecules, coverage: float | None = None,
                      cache: bool = True, device: str = "cpu") -> pd.DataFrame:
    """One row per input molecule: SMILES, ``<target>_pred`` (mean over replicates), ``<target>_std`` (with
    several replicates) and ``error``; a run with an ``uncertainty:`` section adds ``<target>_unc`` and the
    interval ``<target>_lower``/``_upper`` at ``coverage`` (default: the run's; docs/uncertainty.md), and its
    ``_pred`` is the estimator's mean. ``input_path``: a CSV file, a DataFrame or a list of SMILES
    (:func:`read_molecules`); the one function behind ``molgdl predict`` and ``molgdl.api.Run.predict`` (streamed
    chunk by chunk by :mod:`molgdl.screen`, with ``cache=False``). ``device``: where the models run
    (:func:`molgdl.run.device.resolve_device` of the user's choice)."""
    from molgdl.ensemble.predict import ensemble_replicate_predictions, is_ensemble_run
    from molgdl.uncertainty.predict import has_uncertainty, uncertainty_columns

    if is_ensemble_run(run_dir):  # the weighted sum of its members' predictions (docs/ensembles.md)
        table, failures, by_replicate = ensemble_replicate_predictions(Path(run_dir), input_path, cache, device)
    else:
        table, graphs, by_replicate = replicate_predictions(run_dir, input_path, cache, device)
        failures = graphs.failures
    names = table.target_names
    preds = list(by_replicate.values())
    pred = np.mean(preds, axis=0)
    out = pd.DataFrame({"smiles": table.smiles})
    for t, name in enumerate(names):
        out[f"{name}_pred"] = pred[:, t]
        if len(preds) > 1:
            out[f"{name}_std"] = np.std(preds, axis=0)[:, t]
    if not is_ensemble_run(run_dir) and has_uncertainty(run_dir):  # molgdl.uncertainty.predict
        for column, values in uncertainty_columns(Path(run_dir), table, graphs, coverage, device).items():
            out[column] = values
    out["error"] = [failures.get(i, "") for i in range(len(table))]
    return out


def _featurize_input(res: Resolved, input_path: Molecules, names: list[str], task: str,
                     cache: bool | MemoryFeatureCache = True) -> tuple[MoleculeTable, GraphSet]:
    """Read new molecules and featurize them exactly as the run's training data (same featurizer, descriptors)."""
    table = read_molecules(input_path, res.config.data.source.params.get("smiles_column", "smiles"), names, task)
    featurizer = res.build("featurizer", "featurizer")
    descriptors = [(res.build("descriptor", f"descriptors[{i}]"), res.identity("descriptor", f"descriptors[{i}]"))
                   for i in range(len(res.config.descriptors))]
    cache_root = Path(res.config.data.cache_dir) if res.config.data.cache_dir else default_cache_dir()
    graphs = featurize_table(table, featurizer, res.identity("featurizer", "featurizer"), descriptors,
                             FeatureCache(cache_root) if cache is True else (cache or None),
                             res.config.data.num_workers, progress=False)
    for note in graphs.notes:
        notes_log.warning(note)
    return table, graphs


def _targets_of_run(run_dir: Path) -> tuple[list[str], str]:
    import json

    for metrics in sorted(run_dir.glob("seed_*/predictions.csv")):
        cols = pd.read_csv(metrics, nrows=1).columns
        names = [c[:-5] for c in cols if c.endswith("_pred")]
        summary = json.loads((run_dir / "summary.json").read_text()) if (run_dir / "summary.json").exists() else {}
        return names, summary.get("task", "regression")
    raise RunDirError(f"{run_dir} has no predictions.csv; the run did not finish")


def embed_file(run_dir: Path, input_path: Path, output_path: Path) -> pd.DataFrame:
    """``molgdl embed``: :func:`embed_molecules` of the CSV ``input_path``, written to ``output_path`` (CSV, or
    ``.npz`` with arrays embeddings, smiles, ids)."""
    from molgdl.ensemble.predict import refuse_embed

    refuse_embed(Path(run_dir))
    check_output_path(output_path)
    out = embed_molecules(run_dir, input_path)
    write_embeddings(out, output_path)
    return out


def write_embeddings(out: pd.DataFrame, output_path: Path) -> None:
    """:func:`embed_molecules`' frame as CSV, or as ``.npz`` with arrays embeddings, smiles, ids."""
    if str(output_path).endswith(".npz"):
        np.savez(output_path, embeddings=out.iloc[:, 2:].to_numpy(dtype=np.float64),
                 smiles=np.array(out["smiles"].tolist()), ids=np.array(out["id"].tolist()))
    else:
        out.to_csv(output_path, index=False)


def embed_molecules(run_dir: Path, input_path: Molecules, cache: bool = True,
                    with_errors: bool = False, device: str = "cpu") -> pd.DataFrame:
    """Per-molecule learned representation (after the readout) of the first replicate, with SMILES and ids;
    for a classical run, the imputed descriptor vector its estimators see. ``input_path``: a CSV file, a
    DataFrame or a list of SMILES; the one function behind ``molgdl embed`` and ``molgdl.api.Run.embed``
    (streamed by :mod:`molgdl.screen`, which asks for a last column ``error`` with ``with_errors``)."""
    from molgdl.ensemble.predict import refuse_embed
    from molgdl.run.evaluate import embed_graphs

    refuse_embed(Path(run_dir))
    res, seed_dirs = open_run(run_dir)
    names, task = _targets_of_run(Path(run_dir))
    table, graphs = _featurize_input(res, input_path, names, task, cache)
    if len(graphs.dataset) == 0 and not is_classical(res):
        first = min(graphs.failures)
        raise DataError(f"none of the {len(table)} molecules of {table.source} could be featurized, so there is "
                        f"nothing to embed; first: {graphs.failures[first]}",
                        hint="fix the SMILES in the input file (`molgdl predict` lists every molecule's error)")
    if is_classical(res):
        emb = _classical_output(load_classical_replicate(res, seed_dirs[0]).features(graphs.extra), graphs, len(table))
    else:
        model = load_replicate_model(res, seed_dirs[0], graphs, table)
        emb = average_by_owner(embed_graphs(model, graphs.dataset, 256, device), graphs.graph_owner, len(table))
    out = pd.DataFrame(emb, columns=[f"f{i}" for i in range(emb.shape[1])])
    out.insert(0, "smiles", table.smiles)
    out.insert(0, "id", [r.id for r in table.records])
    if with_errors:
        out["error"] = [graphs.failures.get(i, "") for i in range(len(table))]
    return out

