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
SECONDS_FILE = "train_seconds.json"  # a trained member's training time, counted again when a resumed run skips it


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
    import time

    from molgdl.run.train_stage import MODEL_FILE, TrainedReplicate, train_neural

    first = None
    epochs = []
    before = 0.0  # training seconds of earlier attempts: members trained then, and the resumed member's part
    folds = cv_folds(split["train"], plan.members, seed) if plan.cv_folds else None
    if folds is not None:
        write_folds(replicate_dir, folds)
    for k in range(plan.members):
        folder = Path(replicate_dir) / MEMBERS_DIR / f"member_{k}"
        folder.mkdir(parents=True, exist_ok=True)
        if resume and (folder / MODEL_FILE).exists():
            log.info("member %d of seed %d already trained, skipped", k, seed)
            before += _member_seconds(folder)
            continue
        member_seed = plan.member_seed(seed, k)
        member_split = bootstrap_split(split, member_seed) if plan.bootstrap else split
        if folds is not None:
            member_split = {**split, "train": np.setdiff1d(split["train"], folds[k])}
        t0 = time.perf_counter()
        trained = train_neural(res, data, member_split, member_seed, folder, resume)
        if trained.model is None:  # a worker process of a multi-device run
            return trained
        resumed = float(trained.extra.get("seconds_before_resume") or 0.0)
        before += resumed
        (folder / SECONDS_FILE).write_text(json.dumps({"seconds": time.perf_counter() - t0 + resumed}))
        epochs.append(trained.extra.get("epochs"))
        first = first or trained
        log.info("seed %d: ensemble member %d of %d trained (%s epochs)", seed, k + 1, plan.members, epochs[-1])
    shutil.copyfile(Path(replicate_dir) / MEMBERS_DIR / "member_0" / MODEL_FILE, Path(replicate_dir) / MODEL_FILE)
    model = first.model if first is not None else True  # predictions come from the uncertainty stage
    return TrainedReplicate(first.pred if first is not None else np.zeros(0), model,
                            {"members": plan.members, "member_epochs": str(epochs), "seconds_before_resume": before})


def _member_seconds(folder: Path) -> float:
    """The recorded training time of a member trained by an earlier attempt (0, with a warning, for a member trained
    by a molgdl that did not record it: the replicate's train_seconds then leaves it out)."""
    try:
        return float(json.loads((folder / SECONDS_FILE).read_text())["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("%s: no recorded training time (%s); train_seconds leaves this member out", folder, SECONDS_FILE)
        return 0.0
