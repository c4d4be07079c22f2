"""Inner folds partition the tuning molecules; ``restrict`` copies out exactly those molecules (targets,
descriptors and graphs renumbered consistently)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from molgdl.errors import DataError
from molgdl.tune.folds import inner_folds, restrict
from tune_helpers import rf_config


@pytest.mark.parametrize("n, k, fraction", [(10, 2, 0.1), (31, 5, 0.2), (120, 3, 0.1)])
def test_inner_folds_partition(n, k, fraction):
    folds = inner_folds(n, k, seed=3, val_fraction=fraction)
    scored = np.concatenate([f["test"] for f in folds])
    assert sorted(scored) == list(range(n))  # every molecule is scored exactly once
    for f in folds:
        assert sorted(np.concatenate([f["train"], f["val"], f["test"]])) == list(range(n))  # disjoint, complete
        assert abs(len(f["test"]) - n / k) < 1
        assert len(f["val"]) == max(1, round(fraction * (n - len(f["test"]))))
    again = inner_folds(n, k, seed=3, val_fraction=fraction)
    assert all((a[s] == b[s]).all() for a, b in zip(folds, again) for s in ("train", "val", "test"))
    other = inner_folds(n, k, seed=4, val_fraction=fraction)
    assert any(not np.array_equal(a["test"], b["test"]) for a, b in zip(folds, other))


def test_inner_folds_need_two_molecules_per_fold():
    with pytest.raises(DataError, match="tune.inner_folds=5 needs at least 10 training molecules"):
        inner_folds(9, 5, seed=0, val_fraction=0.1)


def test_outer_val_fraction():
    from molgdl.tune.folds import outer_val_fraction

    split = {"train": np.arange(80), "val": np.arange(10), "test": np.arange(10)}
    assert outer_val_fraction(split) == pytest.approx(10 / 90)
    assert outer_val_fraction({**split, "val": np.arange(0)}) == 0.1


def test_restrict_copies_out_the_molecules(tmp_path, esol_csv):
    from molgdl.config.load import parse_config
    from molgdl.run.data_stage import prepare_data
    from molgdl.run.resolve import resolve

    cfg = rf_config(tmp_path, esol_csv)
    cfg["featurizer"] = {"name": "graph2d"}
    data = prepare_data(resolve(parse_config(cfg)), None)
    keep = np.array([5, 0, 77, 149, 12])
    sub = restrict(data, keep)
    assert len(sub.table) == 5 and sub.table.smiles == [data.table.smiles[i] for i in keep]
    np.testing.assert_array_equal(sub.table.targets, data.table.targets[keep])
    np.testing.assert_array_equal(sub.graphs.extra, data.graphs.extra[keep])
    ds = sub.graphs.dataset
    assert len(ds) == 5 and ds._data.y.shape[0] == 5  # only these graphs are stored, not a view of all 150
    assert sorted(sub.graphs.graph_owner) == list(range(5))
    for j in range(5):  # graph j belongs to new molecule owner[j], i.e. to original molecule keep[owner[j]]
        g, new = ds[j], int(sub.graphs.graph_owner[j])
        mol = keep[new]
        orig = data.graphs.dataset[int(np.nonzero(data.graphs.graph_owner == mol)[0][0])]
        assert int(g.mol_index) == new
        assert torch.equal(g.x, orig.x) and torch.equal(g.edge_index, orig.edge_index)
        assert float(g.y) == pytest.approx(data.table.targets[mol, 0]) == sub.table.targets[new, 0]
