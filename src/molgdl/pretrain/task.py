"""``task: pretrain``: stream a library, predict standardised descriptors, write the encoder artifact."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from molgdl.config.schema import ComponentRef
from molgdl.errors import ConfigError, DataError
from molgdl.pretrain.schema import PretrainConfig
from molgdl.run.signals import lightning_fit
from molgdl.tasks.context import TaskContext

log = logging.getLogger("molgdl")


@dataclass
class Built:
    """A validated component: its spec, params, and the object (None until built)."""

    name: str
    params: Any
    provider: str
    obj: Any = None

    def identity(self) -> dict[str, Any]:
        return {"name": self.name, "params": self.params.model_dump(mode="json"), "provider": self.provider}


def validated(context: TaskContext, kind: str, ref: ComponentRef, where: str) -> Built:
    from molgdl.config.load import validate_params

    spec = context.registry.get(kind, ref.name, where=f"{where}.name")
    if kind == "model" and getattr(spec, "family", "encoder") != "encoder":
        raise ConfigError(f"{where}: {ref.name!r} is a {spec.family} model; pretraining needs an encoder",
                          hint="choose an encoder, e.g. model: {name: dmpnn}")
    return Built(ref.name, validate_params(spec, ref, where), context.registry.provider(kind, ref.name))


def build(context: TaskContext, kind: str, item: Built, *args: Any) -> Any:
    item.obj = context.registry.get(kind, item.name).factory(item.params, *args)
    return item.obj


def held_out(cfg: PretrainConfig, featurizer: Any, targets: list[Any]) -> tuple[list[Any], np.ndarray]:
    """Graphs and raw descriptor rows ``[V, D]`` of the first ``val_molecules`` rows."""
    from molgdl.pretrain.stream import example, read_chunks

    graphs, values = [], []
    for first, smiles in read_chunks(cfg.data.path, cfg.data.smiles_column, cfg.data.chunk_size, 0,
                                     cfg.data.val_molecules):
        for i, smi in enumerate(smiles):
            item = example(featurizer, targets, smi, first + i)
            if item is not None:
                graphs.append(item[0])
                values.append(item[1])
    if len(graphs) < 2:
        raise DataError(f"{cfg.data.path}: fewer than 2 of the first {cfg.data.val_molecules} rows could be "
                        "featurized", hint="check data.smiles_column and the file")
    return graphs, np.stack(values)


def standardised_rmse(model: Any, graphs: list[Any], batch_size: int) -> float:
    """RMSE over all present (non-NaN) standardised descriptor values of ``graphs``."""
    import torch
    from torch_geometric.loader import DataLoader

    model.eval()
    sq, n = 0.0, 0
    with torch.no_grad():
        for batch in DataLoader(graphs, batch_size=batch_size):
            out, y = model(batch), batch.y
            mask = ~torch.isnan(y)
            sq += float(((out - torch.nan_to_num(y)) ** 2)[mask].sum())
            n += int(mask.sum())
    return float(np.sqrt(sq / max(n, 1)))


def pretrain_task(cfg: PretrainConfig, context: TaskContext) -> dict[str, Any]:
    import pytorch_lightning as pl
    import torch
    from pytorch_lightning.callbacks import ModelCheckpoint
    from pytorch_lightning.loggers import CSVLogger
    from torch_geometric.loader import DataLoader

    from molgdl.data.cache import package_versions
    from molgdl.pretrain.artifact import write_artifact
    from molgdl.pretrain.module import PretrainModule
    from molgdl.pretrain.stream import DescriptorStream, Standardiser, StreamProgress
    from molgdl.specs import FeatureDims
    from molgdl.train.checkpoint_io import AtomicCheckpointIO, resume_checkpoint
    from molgdl.train.module import MolecularModel

    t0 = time.perf_counter()
    feat = validated(context, "featurizer", cfg.featurizer, "featurizer")
    targets = [validated(context, "descriptor", t, f"targets[{i}]") for i, t in enumerate(cfg.targets)]
    enc = validated(context, "model", cfg.model, "model")
    ro = validated(context, "readout", cfg.readout, "readout")
    opt = validated(context, "optimizer", cfg.optimizer, "optimizer")
    featurizer = build(context, "featurizer", feat)
    target_objs = [build(context, "descriptor", t) for t in targets]
    names = [f"{t.name}:{n}" for t, obj in zip(targets, target_objs) for n in obj.names]
    val_graphs, val_values = held_out(cfg, featurizer, target_objs)
    scaler = Standardiser.fit(val_values)
    for g, v in zip(val_graphs, val_values):
        g.y = torch.from_numpy(scaler.apply(v)).unsqueeze(0)
        g.extra = torch.zeros(1, 0)
    if cfg.trainer.num_threads:
        torch.set_num_threads(cfg.trainer.num_threads)
    pl.seed_everything(cfg.trainer.seed, verbose=False)
    dims = featurizer.dims
    dims = FeatureDims(dims.atom_dim, dims.bond_dim, 0, dims.is_3d)
    encoder = build(context, "model", enc, dims)
    readout = build(context, "readout", ro, encoder.out_dim)
    h = cfg.head
    model = MolecularModel(encoder, readout, 0, len(names), h.hidden_dim, h.num_layers, h.dropout, head_kind=h.kind)
    module = PretrainModule(model, lambda parameters: build(context, "optimizer", opt, parameters),
                            cfg.data.chunk_size)
    stop = None if cfg.data.max_molecules is None else cfg.data.val_molecules + cfg.data.max_molecules
    stream = DescriptorStream(cfg.data.path, cfg.data.smiles_column, cfg.data.val_molecules, stop,
                              cfg.data.chunk_size, featurizer, target_objs, scaler)
    ckpt_dir = context.run_dir / "checkpoints"
    resume_from, _ = resume_checkpoint(ckpt_dir, "pretraining") if context.resume else (None, -1)
    if resume_from is not None:
        state = torch.load(resume_from, map_location="cpu", weights_only=True)
        module.molecules_seen = int(state.get("molecules_seen", 0))
        module.last_row = int(state.get("stream_row", -1))
        if "stream_chunks" in state:  # the rows trained, chunk by chunk (of the chunking they were read with)
            size = int(state["stream_chunk_size"])
            stream.resume = StreamProgress.from_state(size, state["stream_chunks"])
            module.progress = StreamProgress.from_state(size, state["stream_chunks"])
        else:  # a checkpoint of an older molgdl: every row up to the last one trained
            stream.resume_after = module.last_row
        log.info("pretraining: resuming from %s after data row %d (%d molecules trained)", resume_from,
                 module.last_row + 1, module.molecules_seen)
    tc = cfg.trainer
    checkpoint = ModelCheckpoint(dirpath=ckpt_dir, filename="last", monitor=None, save_top_k=1,
                                 every_n_train_steps=tc.checkpoint_every_n_steps, enable_version_counter=False,
                                 save_on_train_epoch_end=False)
    from datetime import timedelta

    trainer = pl.Trainer(max_epochs=tc.max_epochs, accelerator=tc.accelerator, devices=1,
                         max_time=None if tc.max_time_minutes is None else timedelta(minutes=tc.max_time_minutes),
                         callbacks=[checkpoint], logger=CSVLogger(context.run_dir, name="logs", version=""),
                         enable_progress_bar=tc.progress_bar, enable_model_summary=False,
                         num_sanity_val_steps=0, limit_val_batches=0, log_every_n_steps=50,
                         default_root_dir=context.run_dir, plugins=[AtomicCheckpointIO()])
    loader = DataLoader(stream, batch_size=tc.batch_size, num_workers=tc.loader_workers)
    lightning_fit(trainer, module, loader, ckpt_path=str(resume_from) if resume_from else None,
                  weights_only=True if resume_from else None)
    trainer.save_checkpoint(ckpt_dir / "last.ckpt")  # the final state (a later --resume has nothing left to do)
    model = module.model.cpu().float()
    val_rmse = standardised_rmse(model, val_graphs, max(tc.batch_size, 128))
    meta = {
        "model": enc.identity(), "readout": ro.identity(),
        "featurizer": {**feat.identity(), "version": str(getattr(featurizer, "version", ""))},
        "targets": [t.identity() for t in targets], "target_names": names,
        "target_mean": scaler.mean.tolist(), "target_std": scaler.std.tolist(),
        "data": {"path": str(cfg.data.path), "val_molecules": len(val_graphs),
                 "train_molecules_seen": module.molecules_seen, "last_row": module.last_row},
        "val_rmse_standardised": val_rmse, "steps": int(trainer.global_step),
        "versions": package_versions(("pytorch_lightning",)),
    }
    out = write_artifact(context.run_dir, model.encoder, model.readout, meta)
    log.info("pretrained encoder written to %s (val RMSE %.3f std over %d descriptors)", out, val_rmse, len(names))
    return {"val": {"rmse_standardised": val_rmse}, "train_molecules_seen": module.molecules_seen,
            "steps": int(trainer.global_step), "descriptors": len(names), "seconds": time.perf_counter() - t0,
            "artifact": str(out)}
