"""``molgdl predict`` on an ensemble run: per replicate, the weighted sum of its members' predictions
(weights from ``ensemble.json``), each member read from ``members/<name>/`` as an ordinary run.
``molgdl embed`` refuses: the members' representations are of different kinds and sizes; embed one member's
folder instead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from molgdl.errors import RunDirError
from molgdl.ensemble.members import MEMBERS_DIR
from molgdl.ensemble.stacking import combine

ENSEMBLE_FILE = "ensemble.json"


def is_ensemble_run(run_dir: Path) -> bool:
    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        return False
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        return False
    return isinstance(raw, dict) and raw.get("ensemble") is not None


def read_ensemble(run_dir: Path) -> dict[str, Any]:
    run_dir = Path(run_dir)
    state = {}
    if (run_dir / "status.json").exists():
        state = json.loads((run_dir / "status.json").read_text())
    if state.get("state") != "completed" or not (run_dir / ENSEMBLE_FILE).exists():
        raise RunDirError(f"{run_dir} is an ensemble run that did not finish "
                          f"(state: {state.get('state', 'unknown')})",
                          hint="resume it with `molgdl run CONFIG --resume`; finished members are reused")
    return json.loads((run_dir / ENSEMBLE_FILE).read_text())


def ensemble_replicate_predictions(run_dir: Path, input_path, cache: bool = True, device: str = "cpu"):
    """``(table, failures, {replicate: [M, T]})`` for the molecules of ``input_path``; ``failures``: molecule
    position -> why a member with a weight could not featurize it (its prediction is NaN). Without the on-disk
    cache (``cache=False``: a streamed chunk) the members share one in-memory cache, so that features the members
    have in common (the same featurizer or descriptor set with the same params) are computed once, not once per
    member. Neural members run on ``device``."""
    from molgdl.data.cache import MemoryFeatureCache
    from molgdl.predict import replicate_predictions

    info = read_ensemble(run_dir)
    used = [m for m in info["members"] if any(m in rep["trained"] for rep in info["replicates"].values())]
    member_preds: dict[str, dict[str, np.ndarray]] = {}
    failures: dict[int, str] = {}
    table = None
    shared = cache or MemoryFeatureCache()
    for name in used:
        member_dir = Path(run_dir) / MEMBERS_DIR / name
        table, graphs, member_preds[name] = replicate_predictions(member_dir, input_path, shared, device)
        for pos, why in graphs.failures.items():
            failures.setdefault(pos, f"member {name}: {why}")
        del graphs  # a member's features (a wide fingerprint on a 10,000-molecule chunk: ~0.5 GB) go before the next
    out = {}
    for key, rep in info["replicates"].items():
        targets = list(rep["weights"])
        names = list(info["members"])
        W = np.array([[rep["weights"][t][m] for m in names] for t in targets])
        preds = {}
        for j, m in enumerate(names):
            if not (W[:, j] > 0).any():
                preds[m] = None
                continue
            if key not in member_preds.get(m, {}):
                raise RunDirError(f"{Path(run_dir) / MEMBERS_DIR / m / key} has no trained model, but member "
                                  f"{m!r} has a weight in {key}",
                                  hint="resume the run with `molgdl run CONFIG --resume`")
            preds[m] = member_preds[m][key]
        out[key] = combine(preds, W)
    return table, failures, out


def refuse_embed(run_dir: Path) -> None:
    if not is_ensemble_run(run_dir):
        return
    members = sorted(p.name for p in (Path(run_dir) / MEMBERS_DIR).glob("*") if p.is_dir())
    example = Path(run_dir) / MEMBERS_DIR / (members[0] if members else "NAME")
    raise RunDirError(f"{run_dir} is an ensemble run: its members learn representations of different kinds "
                      f"and sizes ({', '.join(members) or 'none trained'}), so it has no single embedding",
                      hint=f"embed one member's run, e.g. `molgdl embed --run {example} --input INPUT.csv "
                           "--output OUTPUT.csv`")
