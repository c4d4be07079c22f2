"""What the analysis and ``attribute`` share: which methods fit a run, the target, the descriptor blocks,
the molecules of a split and the background sample."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from molgdl.errors import ConfigError

from .params import CLASSICAL_METHODS, GRAPH_METHODS
from .spread import DescriptorBlock


def resolve_methods(methods: Sequence[str], classical: bool, model_name: str) -> list[str]:
    """``auto`` -> integrated_gradients (graph model) or permutation_shap (descriptor model); refuse a method
    that does not fit the model."""
    out: list[str] = []
    for m in methods:
        m = ("permutation_shap" if classical else "integrated_gradients") if m == "auto" else m
        if classical and m in GRAPH_METHODS:
            raise ConfigError(f"attribution method {m!r} needs a graph model, but model {model_name!r} is a "
                              "descriptor (classical) model",
                              hint="use methods: [permutation_shap] (or auto) for descriptor models")
        if not classical and m in CLASSICAL_METHODS:
            raise ConfigError(f"attribution method {m!r} is for descriptor (classical) models, but model "
                              f"{model_name!r} is a graph model",
                              hint="use methods: [integrated_gradients, occlusion] (or auto) for graph "
                                   "models")
        if m not in out:
            out.append(m)
    return out


def target_index(target: str | int | None, names: Sequence[str]) -> int:
    """0-based index of ``target`` (a name or an index; None: the first)."""
    if target is None:
        return 0
    if isinstance(target, int) and not isinstance(target, bool):
        if 0 <= target < len(names):
            return target
        raise ConfigError(f"attribution target index {target} is out of range: the run has {len(names)} "
                          f"target(s) {list(names)}", hint="give a target name or an index from 0")
    if target in names:
        return list(names).index(target)
    raise ConfigError(f"attribution target {target!r} is not a target of the run; targets: {list(names)}",
                      hint="give one of the run's target names, or its 0-based index")


def descriptor_blocks(res: Any) -> list[DescriptorBlock]:
    """The run's descriptor sets in the order of the concatenated descriptor vector."""
    blocks, offset = [], 0
    for i, ref in enumerate(res.config.descriptors):
        desc = res.build("descriptor", f"descriptors[{i}]")
        width = len(desc.names)
        blocks.append(DescriptorBlock(ref.name, desc, offset, width))
        offset += width
    return blocks


def split_positions(run_dir: Path, seed: int, table: Any, split: str) -> list[int]:
    """Table positions of the molecules of ``split`` of replicate ``seed`` (all molecules for ``all``)."""
    if split == "all":
        return list(range(len(table)))
    from molgdl.data.splits import read_split_file

    rows = read_split_file(Path(run_dir) / f"seed_{seed}" / "split.json")[split]
    row_to_pos = {rec.row - 1: i for i, rec in enumerate(table.records)}
    return sorted(row_to_pos[r] for r in rows if r in row_to_pos)


def with_graphs(positions: Sequence[int], owner: np.ndarray) -> list[int]:
    """The positions that were featurized (have at least one graph)."""
    have = set(np.unique(np.asarray(owner)).tolist())
    return [int(p) for p in positions if int(p) in have]


def background_positions(positions: Sequence[int], n: int, random_state: int) -> list[int]:
    """``n`` positions sampled without replacement (all when there are fewer), in table order."""
    positions = list(positions)
    if not positions:
        raise ConfigError("permutation_shap needs training molecules as background, and the run's training "
                          "split has none with descriptors", hint="check the run's split.json")
    if len(positions) <= n:
        return positions
    rng = np.random.default_rng(random_state)
    return sorted(int(p) for p in rng.choice(positions, size=n, replace=False))


def feature_frame(phis: np.ndarray, names: Sequence[str], blocks: Sequence[DescriptorBlock]):
    """Per descriptor column: ``mean`` and ``mean_abs`` Shapley value over the attributed molecules,
    ``n_nonzero`` molecules where it is non-zero, ``atom_mapped``; sorted by ``mean_abs``."""
    import pandas as pd

    mapped = np.zeros(phis.shape[1], dtype=bool)
    block_of = np.empty(phis.shape[1], dtype=object)
    for b in blocks:
        mapped[b.offset: b.offset + b.width] = b.mapped
        block_of[b.offset: b.offset + b.width] = b.name
    df = pd.DataFrame({"feature": list(names), "descriptor_set": block_of, "atom_mapped": mapped,
                       "mean": phis.mean(0) if len(phis) else 0.0,
                       "mean_abs": np.abs(phis).mean(0) if len(phis) else 0.0,
                       "n_nonzero": (phis != 0).sum(0)})
    df = df[df["n_nonzero"] > 0]
    return df.sort_values("mean_abs", ascending=False, ignore_index=True)
