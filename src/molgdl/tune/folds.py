"""The molecules a study may see, and their inner folds.

The outer split of the config is made first (seed ``run.seeds[0]``); the study sees only its training
molecules, as a separate ``PreparedData`` (table, graphs and descriptors copied out of the full set), so the
validation and test molecules of the outer split are not even in memory where a trial runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from molgdl.data.featurize import GraphDataset, GraphSet
from molgdl.data.splits import check_split
from molgdl.errors import ConfigError, DataError
from molgdl.run.data_stage import PreparedData
from molgdl.run.resolve import Resolved


@dataclass(frozen=True)
class TuningSet:
    """``molecules``: positions (in the full table) of the outer training molecules the study sees;
    ``rows``: their 0-based source rows; ``folds``: one split per inner fold, positions in the subset:
    ``test`` is the scored fold, ``val`` (early stopping and checkpoint choice of neural trials) and ``train``
    share the other folds in the proportions of the outer split."""

    molecules: np.ndarray
    rows: list[int]
    folds: list[dict[str, np.ndarray]]


def outer_training_molecules(res: Resolved, data: PreparedData) -> tuple[np.ndarray, float]:
    """Training molecules of the outer split of the first replicate, and that split's validation share;
    refuses when a test set of any replicate that ``molgdl run`` semantics will train overlaps them (the
    trials would have seen it)."""
    from molgdl.run.pipeline import replicate_units

    table = data.table
    units = replicate_units(res)
    if len(units) > 1 and units[0].fold is not None:
        raise ConfigError("tune: split.fold is 'all', but a study tunes on one outer split (the test molecules of "
                          "one fold are training molecules of the others)",
                          hint="set split.fold to one fold number for `molgdl tune`")
    first = units[0].splitter.split(table, units[0].seed)
    check_split({k: np.asarray(v) for k, v in first.items()}, len(table))
    train = np.sort(np.asarray(first["train"], dtype=np.int64))
    for unit in units[1:]:
        test = np.asarray(unit.splitter.split(table, unit.seed)["test"], dtype=np.int64)
        leaked = np.intersect1d(test, train)
        if len(leaked):
            raise ConfigError(
                f"tune: run.seeds {list(res.config.run.seeds)} give different outer splits with split "
                f"{res.config.split.name!r}: {len(leaked)} test molecules of seed {unit.seed} are training "
                f"molecules of seed {units[0].seed}, which the trials see",
                hint="tune with one seed (run.seeds: [0]), or fix the split (split: {name: file, path: split.json})")
    return train, outer_val_fraction(first)


def inner_folds(n: int, k: int, seed: int, val_fraction: float) -> list[dict[str, np.ndarray]]:
    """Seeded k-fold over ``n`` molecules: ``[{train, val, test}]`` with every molecule in exactly one ``test``
    fold, and ``val_fraction`` of the rest (at least one molecule) held out for early stopping, as the outer
    validation split is in a run. The score of a fold never comes from molecules that chose its checkpoint."""
    if n < 2 * k:
        raise DataError(f"tune.inner_folds={k} needs at least {2 * k} training molecules, the outer training split "
                        f"has {n}", hint="lower tune.inner_folds or use more data")
    rng = np.random.default_rng(seed)
    parts = np.array_split(rng.permutation(n), k)
    folds = []
    for i in range(k):
        rest = rng.permutation(np.concatenate(parts[:i] + parts[i + 1:]))
        n_val = min(len(rest) - 1, max(1, int(round(val_fraction * len(rest)))))
        folds.append({"train": np.sort(rest[n_val:]), "val": np.sort(rest[:n_val]), "test": np.sort(parts[i])})
    return folds


def outer_val_fraction(split: dict[str, np.ndarray]) -> float:
    """The outer split's validation share of its non-test molecules (0.1 when it has no validation set)."""
    n_train, n_val = len(split["train"]), len(split["val"])
    return float(np.clip(n_val / (n_train + n_val), 0.05, 0.5)) if n_val else 0.1


def tuning_set(res: Resolved, data: PreparedData) -> TuningSet:
    cfg = res.config
    molecules, fraction = outer_training_molecules(res, data)
    rows = [int(data.table.records[i].row - 1) for i in molecules]
    return TuningSet(molecules, rows, inner_folds(len(molecules), cfg.tune.inner_folds, cfg.tune.seed, fraction))


def restrict(data: PreparedData, molecules: np.ndarray) -> PreparedData:
    """A copy of ``data`` with only ``molecules`` (positions become 0..len-1): table, graphs (re-collated,
    ``mol_index`` renumbered), descriptors and featurization failures."""
    molecules = np.asarray(molecules, dtype=np.int64)
    new_pos = {int(m): i for i, m in enumerate(molecules)}
    gs = data.graphs
    keep = np.nonzero(np.isin(gs.graph_owner, molecules))[0]
    graphs = []
    for g in keep:
        item = gs.dataset[int(g)]
        item.mol_index = torch.tensor([new_pos[int(gs.graph_owner[g])]])
        graphs.append(item)
    if graphs:
        collated, slices = GraphDataset.collate(graphs)
        dataset = GraphDataset(collated, slices)
    else:
        dataset = gs.dataset.index_select(torch.zeros(0, dtype=torch.long))
    owner = np.array([new_pos[int(o)] for o in gs.graph_owner[keep]], dtype=np.int64)
    sub = GraphSet(dataset, owner, gs.extra[molecules], list(gs.extra_names),
                   {new_pos[p]: r for p, r in gs.failures.items() if p in new_pos}, gs.seconds, gs.from_cache,
                   list(gs.notes))
    return PreparedData(data.table.subset(molecules), sub, [], data.featurizer)
