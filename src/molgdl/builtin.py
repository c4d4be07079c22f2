"""Built-in plugin: generic optimizers, schedulers and splitters (no chemistry here).

Registered through the same hooks as any plugin; chemistry-aware parts (scaffold split, featurizers)
live in first-party plugins.
"""

from __future__ import annotations

from typing import Iterable

from molgdl.builtin_params import (
    AdamParams,
    ColumnSplitParams,
    CosineParams,
    CyclicalParams,
    FileSplitParams,
    KFoldParams,
    NoamParams,
    RandomSplitParams,
    SGDParams,
)
from molgdl.hookspecs import hookimpl
from molgdl.specs import OptimizerSpec, SchedulerSpec, SplitterSpec
from molgdl.uncertainty.hooks import molgdl_calibrators, molgdl_uncertainty_estimators  # noqa: F401 (registered)
from molgdl.pretrain.hooks import molgdl_tasks  # noqa: F401 (registered: the pretrain task)


def _adam(params: AdamParams, parameters):
    import torch

    return torch.optim.Adam(parameters, lr=params.lr, weight_decay=params.weight_decay, betas=params.betas)


def _adamw(params: AdamParams, parameters):
    import torch

    return torch.optim.AdamW(parameters, lr=params.lr, weight_decay=params.weight_decay, betas=params.betas)


def _sgd(params: SGDParams, parameters):
    import torch

    return torch.optim.SGD(parameters, lr=params.lr, momentum=params.momentum,
                           weight_decay=params.weight_decay, nesterov=params.nesterov)


def _noam(params: NoamParams, optimizer, steps_per_epoch: int, max_epochs: int):
    from molgdl.train.schedulers import noam_scheduler

    return noam_scheduler(optimizer, params, steps_per_epoch, max_epochs)


def _cosine(params: CosineParams, optimizer, steps_per_epoch: int, max_epochs: int):
    from molgdl.train.schedulers import cosine_scheduler

    return cosine_scheduler(optimizer, params, steps_per_epoch, max_epochs)


def _cyclical(params: CyclicalParams, optimizer, steps_per_epoch: int, max_epochs: int):
    from molgdl.train.schedulers import cyclical_scheduler

    return cyclical_scheduler(optimizer, params, steps_per_epoch, max_epochs)


def _random_split(params: RandomSplitParams):
    from molgdl.data.splits import RandomSplitter

    return RandomSplitter(params.sizes)


def _kfold_split(params: KFoldParams):
    from molgdl.data.splits import KFoldSplitter

    return KFoldSplitter(params.n_folds, params.fold, params.val_fraction)


def _file_split(params: FileSplitParams):
    from molgdl.data.splits import FileSplitter

    return FileSplitter(params.path)


def _column_split(params: ColumnSplitParams):
    from molgdl.data.splits import ColumnSplitter

    return ColumnSplitter(params.column, params.train_value, params.test_value, params.val_value,
                          params.val_fraction, params.val_seed)


@hookimpl
def molgdl_optimizers() -> Iterable[OptimizerSpec]:
    return [
        OptimizerSpec("adam", "Adam (Kingma & Ba 2015)", _adam, AdamParams),
        OptimizerSpec("adamw", "AdamW, decoupled weight decay (Loshchilov & Hutter 2019)", _adamw, AdamParams),
        OptimizerSpec("sgd", "SGD with optional momentum / Nesterov", _sgd, SGDParams),
    ]


@hookimpl
def molgdl_schedulers() -> Iterable[SchedulerSpec]:
    return [
        SchedulerSpec("noam", "linear warm-up then exponential decay, per step (chemprop's default)", _noam, NoamParams),
        SchedulerSpec("cosine", "linear warm-up then cosine decay, per step", _cosine, CosineParams),
        SchedulerSpec("cyclical", "cosine decay restarted every cycle_epochs (cyclical SG-MCMC, Zhang et al. 2020)",
                      _cyclical, CyclicalParams),
    ]


@hookimpl
def molgdl_splitters() -> Iterable[SplitterSpec]:
    return [
        SplitterSpec("random", "seeded random split into train/val/test fractions", _random_split, RandomSplitParams),
        SplitterSpec("kfold", "seeded k-fold: fold k is test, a fraction of the rest is val", _kfold_split, KFoldParams),
        SplitterSpec("file", "a split file written by an earlier run (split.json)", _file_split, FileSplitParams),
        SplitterSpec("column", "train/test from a data column's labels; a seeded fraction of train is val",
                     _column_split, ColumnSplitParams),
    ]
