"""Deep-ensemble training: ``members`` models per replicate, each a full training of its own in
``<replicate>/members/member_<k>/`` (seed ``plan.member_seed``; a bootstrap resample of the training split when
``bootstrap``). Member 0's weights are also the replicate's ``model.pt`` (what ``molgdl embed`` uses)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np

from .plan import EstimatorPlan
from .samples import MEMBERS_DIR

log = logging.getLogger("molgdl")
FOLDS_FILE = "folds.json"  # the held-out training molecules of each member (ensemble: {cv_folds: true})


def bootstrap_split(split: dict[str, np.ndarray], seed: int) -> dict[str, np.ndarray]:
    """The split with its training molecules resampled with replacement (same size; val and test unchanged)."""
    train = split["train"]
    return {**split, "train": np.random.default_rng(seed).choice(train, size=len(train), replace=True)}


def cv_folds(train: np.ndarray, k: int, seed: int) -> list[np.ndarray]:
    """The training molecules cut into ``k`` seeded folds; member ``j`` leaves fold ``j`` out."""
    return np.array_split(np.random.default_rng(seed).permutation(train), k)


def write_folds(replicate_dir: Path, folds: list[np.ndarray]) -> None:
    (Path(replicate_dir) / FOLDS_FILE).write_text(json.dumps([f.tolist() for f in folds]))


def train_members(res, data, split: dict[str, np.ndarray], seed: int, replicate_dir: Path, resume: bool,
                  plan: EstimatorPlan):
    from molgdl.run.train_stage import MODEL_FILE, TrainedReplicate, train_neural

    first = None
    epochs = []
    folds = cv_folds(split["train"], plan.members, seed) if plan.cv_folds else None
    if folds is not None:
        write_folds(replicate_dir, folds)
    for k in range(plan.members):
        folder = Path(replicate_dir) / MEMBERS_DIR / f"member_{k}"
        folder.mkdir(parents=True, exist_ok=True)
        if resume and (folder / MODEL_FILE).exists():
            log.info("member %d of seed %d already trained, skipped", k, seed)
            continue
        member_seed = plan.member_seed(seed, k)
        member_split = bootstrap_split(split, member_seed) if plan.bootstrap else split
        if folds is not None:
            member_split = {**split, "train": np.setdiff1d(split["train"], folds[k])}
        trained = train_neural(res, data, member_split, member_seed, folder, resume)
        if trained.model is None:  # a worker process of a multi-device run
            return trained
        epochs.append(trained.extra.get("epochs"))
        first = first or trained
        log.info("seed %d: ensemble member %d of %d trained (%s epochs)", seed, k + 1, plan.members, epochs[-1])
    shutil.copyfile(Path(replicate_dir) / MEMBERS_DIR / "member_0" / MODEL_FILE, Path(replicate_dir) / MODEL_FILE)
    model = first.model if first is not None else True  # predictions come from the uncertainty stage
    return TrainedReplicate(first.pred if first is not None else np.zeros(0), model,
                            {"members": plan.members, "member_epochs": str(epochs)})
