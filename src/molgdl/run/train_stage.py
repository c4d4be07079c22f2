"""Train one replicate (one seed): neural models through Lightning, classical models through scikit-learn."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from molgdl.errors import ConfigError, DataError, TrainingError
from molgdl.run.data_stage import PreparedData
from molgdl.run.evaluate import average_by_owner, predict_graphs
from molgdl.run.folder import is_worker_process
from molgdl.run.resolve import Resolved
from molgdl.run.signals import lightning_fit
from molgdl.specs import FeatureDims

log = logging.getLogger("molgdl")
MODEL_FILE = "model.pt"


@dataclass
class TrainedReplicate:
    """Per-molecule predictions ``[M, T]`` and what produced them."""

    pred: np.ndarray
    model: Any
    extra: dict[str, Any]


def feature_dims(data: PreparedData) -> FeatureDims:
    base = data.featurizer.dims
    return FeatureDims(base.atom_dim, base.bond_dim, int(data.graphs.extra.shape[1]), base.is_3d)


def build_model(res: Resolved, dims: FeatureDims, n_targets: int):
    """encoder + readout + head, from the registered factories."""
    from molgdl.train.model import MolecularModel

    from molgdl.build_checks import built
    from molgdl.uncertainty.plan import head_width

    encoder = built(res, "model", "model", dims)
    readout = built(res, "readout", "readout", encoder.out_dim)
    h = res.config.head
    return MolecularModel(encoder, readout, dims.extra_dim, n_targets, h.hidden_dim, h.num_layers, h.dropout,
                          descriptor_scaling=res.config.scaling.descriptors, outputs_per_target=head_width(res),
                          head_kind=h.kind)


def load_pretrained(res: Resolved, model) -> None:
    """``pretrained:``: load the encoder artifact into ``model`` (checked against this config's model and
    featurizer) and freeze what the section says."""
    from molgdl.pretrain.finetune import apply_pretrained

    ids = {key: res.identity(key, key)[:2] for key in ("model", "featurizer")}
    apply_pretrained(model, res.config.pretrained, ids, res.identity("readout", "readout")[:2])


def graph_indices(owner: np.ndarray, molecules: np.ndarray) -> torch.Tensor:
    """The graphs of ``molecules``; a molecule listed k times (a bootstrap resample) gives its graphs k times."""
    if len(np.unique(molecules)) == len(molecules):
        return torch.from_numpy(np.nonzero(np.isin(owner, molecules))[0])
    order = np.argsort(owner, kind="stable")
    start, stop = np.searchsorted(owner[order], molecules, "left"), np.searchsorted(owner[order], molecules, "right")
    return torch.from_numpy(np.concatenate([order[a:b] for a, b in zip(start, stop)]).astype(np.int64))


def train_neural(res: Resolved, data: PreparedData, split: dict[str, np.ndarray], seed: int, seed_dir: Path,
                 resume: bool, epochs: int | None = None) -> TrainedReplicate:
    """Train on ``split['train']``; early stopping and the best checkpoint on ``split['val']``. With ``epochs``
    (a refit, ``ensemble.neural_fit: train_and_val``): exactly that many epochs, no validation, the last weights;
    the learning-rate schedule still spans ``trainer.max_epochs``, so its first ``epochs`` epochs are those of
    the training that chose ``epochs``."""
    import pytorch_lightning as pl
    from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint
    from pytorch_lightning.loggers import TensorBoardLogger

    from molgdl.data.batches import graph_loader
    from molgdl.train.callbacks import LifecycleCallback, TrainingClock
    from molgdl.train.checkpoint_io import AtomicCheckpointIO, resume_checkpoint
    from molgdl.train.csv_history import HistoryCSVLogger
    from molgdl.train.module import PredictorModule
    from molgdl.uncertainty.plan import loss_fn, plan_of
    from molgdl.uncertainty.snapshots import snapshot_callbacks

    cfg = res.config
    tcfg = cfg.trainer
    table, gs = data.table, data.graphs
    n_train = len(split["train"])
    if n_train < tcfg.batch_size:
        raise DataError(
            f"the training split has {n_train} molecules, fewer than one batch (trainer.batch_size={tcfg.batch_size})",
            hint=f"set trainer.batch_size to at most {max(1, n_train)} or use more data",
        )
    if tcfg.num_threads:
        torch.set_num_threads(tcfg.num_threads)
    init_seed = seed + tcfg.init_seed_offset  # the split was drawn with `seed` alone
    pl.seed_everything(init_seed, workers=True, verbose=False)
    dims = feature_dims(data)
    model = build_model(res, dims, len(table.target_names))
    if cfg.pretrained is not None:  # fine-tuning: weights, freezing (molgdl.pretrain.finetune)
        load_pretrained(res, model)
    train_idx = graph_indices(gs.graph_owner, split["train"])
    train_set = gs.dataset.index_select(train_idx)
    shift_targets = element_shift_targets(res, data)
    counts = element_counts_of(train_set) if shift_targets else None
    model.set_scalers(_stack(train_set, "y"), _stack(train_set, "extra"), table.task == "regression",
                      counts=counts, shift_targets=shift_targets)

    def make_opt(parameters):
        if cfg.pretrained is not None:  # pretrained weights in their own group, at lr * lr_multiplier
            from molgdl.pretrain.finetune import parameter_groups, scale_pretrained_lr

            opt = res.build("optimizer", "optimizer", parameter_groups(model))
            return scale_pretrained_lr(opt, cfg.pretrained.lr_multiplier)
        return res.build("optimizer", "optimizer", parameters)

    make_sched = None
    steps_per_epoch = max(1, n_train // tcfg.batch_size + (n_train % tcfg.batch_size > 0))
    if cfg.scheduler is not None:
        def make_sched(opt):
            return res.build("scheduler", "scheduler", opt, steps_per_epoch, tcfg.max_epochs)

    check_force_training(res, data)
    module = PredictorModule(model, table.task, make_opt, make_sched, energy_weight=cfg.loss.energy_weight,
                             force_weight=cfg.loss.force_weight, loss_fn=loss_fn(plan_of(res)))
    gen = torch.Generator().manual_seed(init_seed)
    train_loader = graph_loader(train_set, batch_size=tcfg.batch_size, shuffle=True, generator=gen,
                                num_workers=tcfg.loader_workers, drop_last=n_train % tcfg.batch_size == 1)
    check_first_batch(res, model, train_set, tcfg.batch_size)
    refit = epochs is not None
    val_loader = None
    if not refit:
        val_set = gs.dataset.index_select(graph_indices(gs.graph_owner, split["val"]))
        val_loader = graph_loader(val_set, batch_size=tcfg.batch_size, num_workers=tcfg.loader_workers)

    ckpt_dir = seed_dir / "checkpoints"
    checkpoint = None if refit else ModelCheckpoint(dirpath=ckpt_dir, filename="best", monitor="val/loss",
                                                    mode="min", save_top_k=1, enable_version_counter=False)
    # last.ckpt is written after every epoch (Lightning's save_last only refreshes it when the best improves,
    # so --resume would restart from the best epoch instead of the last one)
    last_checkpoint = ModelCheckpoint(dirpath=ckpt_dir, filename="last", monitor=None, save_top_k=1,
                                      enable_version_counter=False)
    callbacks: list[Any] = [c for c in (checkpoint, last_checkpoint) if c is not None]
    clock = TrainingClock()  # train_seconds of a resumed run include the attempts before it
    callbacks += [LifecycleCallback(res.pm, seed_dir), clock]
    if tcfg.early_stopping is not None and not refit:
        callbacks.append(EarlyStopping(monitor=tcfg.early_stopping.monitor, patience=tcfg.early_stopping.patience))
    callbacks += [res.build("callback", f"callbacks[{i}]") for i in range(len(cfg.callbacks))]
    callbacks += snapshot_callbacks(plan_of(res), seed_dir, tcfg.max_epochs)  # Langevin posterior samples
    last = ckpt_dir / "last.ckpt"
    # a truncated or unreadable last.ckpt falls back to last.prev.ckpt or best.ckpt (molgdl.train.checkpoint_io)
    resume_from, resumed_epoch = resume_checkpoint(ckpt_dir, f"seed {seed}") if resume else (None, -1)
    # logs/metrics.csv keeps the epochs the checkpoint holds and appends the resumed ones
    loggers = [HistoryCSVLogger(seed_dir, name="logs", version="", keep_epoch=resumed_epoch),
               # flush_secs bounds how long closing the event writer can wait on its thread (default 120 s)
               TensorBoardLogger(seed_dir, name="tensorboard", version="", flush_secs=10)]
    trainer = pl.Trainer(
        max_epochs=epochs if refit else tcfg.max_epochs, max_time=_max_time(tcfg.max_time_minutes), accelerator=tcfg.accelerator, devices=tcfg.devices, strategy=tcfg.strategy,
        num_nodes=tcfg.num_nodes, precision=tcfg.precision, deterministic=tcfg.deterministic,
        gradient_clip_val=tcfg.gradient_clip_val, callbacks=callbacks, logger=loggers,
        enable_progress_bar=tcfg.progress_bar and cfg.data.progress, enable_model_summary=False,
        default_root_dir=seed_dir, log_every_n_steps=max(1, min(50, steps_per_epoch)),
        inference_mode=cfg.loss.force_weight == 0,  # validating forces needs autograd
        plugins=[AtomicCheckpointIO()],  # temp file + fsync + rename: a kill or a full disk never truncates one
    )
    ckpt_path = str(resume_from) if resume_from is not None else None
    if ckpt_path:
        log.info("seed %d: resuming from %s", seed, resume_from)
    nan_error: TrainingError | None = None
    try:
        # Ctrl+C and SIGTERM come out as the interruption they were (status 'interrupted', the CLI's resume hint)
        lightning_fit(trainer, module, train_loader, val_loader, ckpt_path=ckpt_path,
                      weights_only=True if ckpt_path else None)
    except TrainingError as exc:
        nan_error = exc
    if is_worker_process() or not trainer.is_global_zero:
        return TrainedReplicate(np.zeros(0), None, {})
    best = (checkpoint.best_model_path if checkpoint is not None else "") or (str(last) if last.exists() else "")
    if nan_error is not None:
        kept = f"best checkpoint kept at {best}" if best else "no epoch finished, so there is no checkpoint"
        raise TrainingError(f"{nan_error.args[0]}; {kept}", hint=nan_error.hint)
    best_epoch = None
    if best:
        saved = torch.load(best, map_location="cpu", weights_only=True)
        module.load_state_dict(saved["state_dict"])
        best_epoch = int(saved["epoch"]) + 1  # epochs trained when these weights were saved
    model = module.model.cpu().float()
    save_model(seed_dir / MODEL_FILE, model)
    per_graph = predict_graphs(model, gs.dataset, max(tcfg.batch_size, 128), table.task)
    pred = average_by_owner(per_graph, gs.graph_owner, len(table))
    return TrainedReplicate(pred, model, {"best_checkpoint": best, "epochs": trainer.current_epoch,
                                          "seconds_before_resume": clock.before,
                                          "best_epoch": best_epoch,
                                          "best_val_loss": _float(checkpoint.best_model_score if checkpoint
                                                                  else None)})


def check_first_batch(res: Resolved, model: Any, dataset: Any, batch_size: int) -> None:
    """Encoder and readout outputs on the first training batch (shapes, dtypes, finiteness), before training."""
    from torch_geometric.data import Batch

    from molgdl.build_checks import check_model_outputs, component_of

    batch = Batch.from_data_list([dataset[i] for i in range(min(batch_size, len(dataset)))])
    check_model_outputs(model.encoder, model.readout, batch, component_of(res, "model", "model"),
                        component_of(res, "readout", "readout"))


def check_force_training(res: Resolved, data: PreparedData) -> None:
    """``loss.force_weight > 0`` needs one regression target (the energy), 3D graphs and reference forces."""
    if res.config.loss.force_weight == 0:
        return
    table = data.table
    where = "loss.force_weight > 0"
    if table.task != "regression" or len(table.target_names) != 1:
        raise ConfigError(f"{where} trains forces as -dE/dpos of one energy target, but the data has "
                          f"{table.task} targets {table.target_names}",
                          hint="select the energy as the only target, or set loss.force_weight: 0")
    if not _has_graph_key(data.graphs.dataset, "forces") or not torch.isfinite(data.graphs.dataset._data.forces).all():
        raise ConfigError(f"{where} needs reference forces for every molecule, but data source "
                          f"{res.config.data.source.name!r} has none (or some are missing)",
                          hint="use an extended-XYZ trajectory with forces (`xyz` source, forces_key) or set "
                               "loss.force_weight: 0")


def element_shift_targets(res: Resolved, data: PreparedData) -> list[int]:
    """Indices of the targets named in ``scaling.element_shift`` (checked: regression, known names, atoms
    with atomic numbers in the graphs)."""
    names = res.config.scaling.element_shift
    if not names:
        return []
    table = data.table
    where = "scaling.element_shift"
    if table.task != "regression":
        raise ConfigError(f"{where} fits per-element values of regression targets, but the data is {table.task}",
                          hint="remove scaling.element_shift")
    unknown = [n for n in names if n not in table.target_names]
    if unknown:
        raise ConfigError(f"{where} names target(s) {unknown} that the data does not have; its targets are "
                          f"{table.target_names}", hint="use target names from this list")
    if not _has_graph_key(data.graphs.dataset, "z"):
        raise ConfigError(f"{where} needs atomic numbers (graph attribute z), which featurizer "
                          f"{res.config.featurizer.name!r} does not store", hint="use a featurizer that stores z")
    return [table.target_names.index(n) for n in names]


def element_counts_of(dataset) -> torch.Tensor:
    """Element counts ``[G, 119]`` of the graphs of a (sub)dataset (``molgdl.train.element_shift``)."""
    from molgdl.train.element_shift import element_counts

    if hasattr(dataset, "graph_rows"):  # the disk store (molgdl.data.disk_store): read graph by graph
        zs = [dataset[i].z for i in range(len(dataset))]
        ptr = torch.tensor([0, *np.cumsum([len(z) for z in zs]).tolist()], dtype=torch.long)
        return element_counts(torch.cat(zs) if zs else torch.zeros(0, dtype=torch.long), ptr)
    ptr = dataset.slices["z"]
    counts = element_counts(dataset._data.z, ptr)
    return counts[torch.as_tensor(list(dataset.indices()), dtype=torch.long)]


def _stack(dataset, key: str) -> torch.Tensor:
    """Per-graph rows of a per-graph attribute (``y``/``extra``) for the graphs of a (sub)dataset."""
    if hasattr(dataset, "graph_rows"):  # the disk store (molgdl.data.disk_store)
        return dataset.graph_rows(key)
    return getattr(dataset._data, key)[torch.as_tensor(list(dataset.indices()), dtype=torch.long)]


def _has_graph_key(dataset, key: str) -> bool:
    """Whether the graphs store attribute ``key`` (in memory: the collated store; on disk: the shard layout)."""
    return key in dataset.graph_keys if hasattr(dataset, "graph_keys") else key in dataset._data


def _max_time(minutes: float | None):
    from datetime import timedelta

    return None if minutes is None else timedelta(minutes=minutes)


def _float(x: Any) -> float | None:
    return None if x is None else float(x)


def save_model(path: Path, model: torch.nn.Module) -> None:
    """Weights only (tensors): loaded later with ``torch.load(weights_only=True)``; written atomically (temp
    file, fsync, rename), a full disk is a StorageError."""
    from molgdl.train.checkpoint_io import atomic_save

    atomic_save({"state_dict": model.state_dict()}, path)


def train_classical(res: Resolved, data: PreparedData, split: dict[str, np.ndarray], seed: int,
                    seed_dir: Path | None = None) -> TrainedReplicate:
    """Fit a scikit-learn model per target on molecule descriptors (train split; NaN features imputed);
    with ``seed_dir``, save it as ``seed_dir/model.pkl`` (``molgdl.run.classical``) for predict/embed."""
    from molgdl.run.classical import CLASSICAL_FILE, ClassicalModel, check_input_domain
    from sklearn.impute import SimpleImputer

    table, X = data.table, data.graphs.extra
    if X.shape[1] == 0:
        raise DataError(
            f"classical model {res.config.model.name!r} needs molecule descriptors, but descriptors is empty",
            hint="add e.g. `descriptors: [{name: morgan, radius: 2, n_bits: 2048}]` to the config",
        )
    X = np.where(np.isfinite(X), X, np.nan)
    have = np.zeros(len(table), dtype=bool)
    have[np.unique(data.graphs.graph_owner)] = True
    train = split["train"][have[split["train"]]]
    imputer = SimpleImputer(strategy="mean", keep_empty_features=True)
    if res.config.scaling.descriptors == "cdf":  # training-set empirical CDF per column, as for neural models
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import QuantileTransformer

        imputer = make_pipeline(imputer, QuantileTransformer(n_quantiles=min(1000, len(train)), subsample=None))
    imputer.fit(X[train])
    Xi = imputer.transform(X)
    models = []
    for t in range(table.targets.shape[1]):
        rows = train[~np.isnan(table.targets[train, t])]
        est = res.build("model", "model", table.task)
        est.set_params(random_state=seed + res.config.trainer.init_seed_offset)
        check_input_domain(est, Xi, data.graphs.extra_names, res.config.model.name)
        est.fit(Xi[rows], table.targets[rows, t])
        models.append(est)
    model = ClassicalModel(imputer, models, table.task, list(data.graphs.extra_names))
    pred = model.predict(X)  # the same code path as `molgdl predict` on the saved model
    pred[~have] = np.nan
    if seed_dir is not None and not is_worker_process():
        model.save(seed_dir / CLASSICAL_FILE)
    return TrainedReplicate(pred, models, {"imputer": imputer})
