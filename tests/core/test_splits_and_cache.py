"""Splitters (random, k-fold, split files) and the featurization cache."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from core_helpers import csv_source, good_rows, read_json, run_dir, tiny_config, write_config, write_csv
from molgdl.data.cache import FeatureCache, cache_key, table_fingerprint
from molgdl.data.featurize import featurize_table
from molgdl.data.splits import FileSplitter, KFoldSplitter, RandomSplitter, check_split, read_split_file
from molgdl.errors import ConfigError, DataError
from molgdl.testing import tiny_table


def _check_partition(split: dict[str, np.ndarray], n: int) -> None:
    allidx = np.concatenate([split["train"], split["val"], split["test"]])
    assert sorted(allidx.tolist()) == list(range(n)), "every molecule in exactly one of train/val/test"
    check_split(split, n)


# ---------------------------------------------------------------- random


@pytest.mark.parametrize("n, sizes, expected", [
    (100, [0.8, 0.1, 0.1], (80, 10, 10)),
    (12, [0.8, 0.1, 0.1], (10, 1, 1)),
    (50, [0.6, 0.2, 0.2], (30, 10, 10)),
    (40, [0.9, 0.1, 0.0], (36, 4, 0)),
])
def test_random_split_sizes(n, sizes, expected):
    split = RandomSplitter(sizes).split(tiny_table(n), seed=0)
    assert tuple(len(split[k]) for k in ("train", "val", "test")) == expected
    _check_partition(split, n)


def test_random_split_is_deterministic_per_seed():
    table = tiny_table(60)
    splitter = RandomSplitter([0.8, 0.1, 0.1])
    a, b = splitter.split(table, seed=3), splitter.split(table, seed=3)
    for k in ("train", "val", "test"):
        assert np.array_equal(a[k], b[k])
    c = splitter.split(table, seed=4)
    assert not np.array_equal(a["train"], c["train"])
    # same seed -> same split, independent of any global RNG state
    np.random.seed(123)
    torch.manual_seed(5)
    d = splitter.split(table, seed=3)
    assert np.array_equal(a["test"], d["test"])


# ---------------------------------------------------------------- k-fold


@pytest.mark.parametrize("n, n_folds", [(23, 5), (12, 3), (10, 10)])
def test_kfold_every_molecule_is_test_exactly_once(n, n_folds):
    table = tiny_table(n)
    tests = []
    for fold in range(n_folds):
        split = KFoldSplitter(n_folds, fold, 0.2).split(table, seed=7)
        _check_partition(split, n)
        assert len(split["val"]) >= 1
        tests.append(split["test"])
    seen = np.concatenate(tests)
    assert sorted(seen.tolist()) == list(range(n))
    sizes = [len(t) for t in tests]
    assert max(sizes) - min(sizes) <= 1


def test_kfold_is_deterministic_and_seeded():
    table = tiny_table(30)
    a = KFoldSplitter(5, 2, 0.1).split(table, seed=1)
    b = KFoldSplitter(5, 2, 0.1).split(table, seed=1)
    c = KFoldSplitter(5, 2, 0.1).split(table, seed=2)
    assert np.array_equal(a["test"], b["test"]) and np.array_equal(a["val"], b["val"])
    assert not np.array_equal(a["test"], c["test"])


def test_kfold_needs_n_folds_molecules():
    with pytest.raises(DataError, match="k-fold split needs at least n_folds=5 molecules, got 3"):
        KFoldSplitter(5, 0, 0.1).split(tiny_table(3), seed=0)


def test_check_split_rejects_overlap_and_empty_train():
    with pytest.raises(DataError, match="overlap"):
        check_split({"train": np.array([0, 1]), "val": np.array([1]), "test": np.array([2])}, 3)
    with pytest.raises(DataError, match="the val split is empty"):
        check_split({"train": np.array([0, 1]), "val": np.array([], dtype=int), "test": np.array([2])}, 3)


# ---------------------------------------------------------------- split files


def test_split_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="split file not found"):
        read_split_file(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        read_split_file(bad)
    partial = tmp_path / "partial.json"
    partial.write_text('{"train": [0], "val": [1]}')
    with pytest.raises(DataError, match=r"split file lacks key\(s\) \['test'\]"):
        read_split_file(partial)


def test_split_file_accepts_chemprop_list_format(tmp_path):
    path = tmp_path / "splits.json"
    path.write_text('[{"train": [0, 1, 2], "val": [3], "test": [4]}]')
    split = FileSplitter(str(path)).split(tiny_table(5), seed=0)
    assert split["train"].tolist() == [0, 1, 2] and split["test"].tolist() == [4]


def test_split_json_round_trip_gives_identical_split(run_cli, tmp_path):
    # row 3 has an empty SMILES (dropped by the reader, so table positions != file rows) and row 10 an
    # unparseable one (kept in the table, fails featurization): the split file must still map back exactly
    rows = good_rows(40)
    rows[2] = ("", 1.0)
    rows[9] = ("C1CC", 1.0)
    data_csv = write_csv(tmp_path / "data.csv", rows)
    base = tiny_config(tmp_path, data={"source": csv_source(data_csv), "max_invalid_fraction": 0.1})
    first = dict(base, run={**base["run"], "name": "first"})
    code, out, err = run_cli("run", write_config(tmp_path / "first.yaml", first))
    assert code == 0, err
    split_path = run_dir(first) / "seed_0" / "split.json"
    rows1 = read_json(split_path)
    assert sorted(rows1["train"] + rows1["val"] + rows1["test"]) == [i for i in range(40) if i != 2]

    second = dict(base, run={**base["run"], "name": "second", "seeds": [5]},
                  split={"name": "file", "path": str(split_path)})
    code, out, err = run_cli("run", write_config(tmp_path / "second.yaml", second))
    assert code == 0, err
    rows2 = read_json(run_dir(second) / "seed_5" / "split.json")
    assert rows2 == rows1
    m1 = read_json(run_dir(first) / "seed_0" / "metrics.json")
    m2 = read_json(run_dir(second) / "seed_5" / "metrics.json")
    assert m1["split_sizes"] == m2["split_sizes"]
    p1 = pd.read_csv(run_dir(first) / "seed_0" / "predictions.csv")
    p2 = pd.read_csv(run_dir(second) / "seed_5" / "predictions.csv")
    assert p1[["row", "split"]].equals(p2[["row", "split"]])


# ---------------------------------------------------------------- cache


def _registry():
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry

    return Registry(create_plugin_manager())


def _build(reg, kind: str, name: str, **params):
    spec = reg.get(kind, name)
    p = spec.build_params(params)
    return spec.factory(p), (name, p.model_dump(mode="json"), reg.provider(kind, name))


def test_cache_key_depends_on_everything_that_changes_the_features():
    t = table_fingerprint(tiny_table(12))
    base = cache_key(t, "conformer3d", {"seed": 0, "n_conformers": 1}, "v1", "rdkit (molgdl-rdkit 0.1.0)")
    assert base == cache_key(t, "conformer3d", {"n_conformers": 1, "seed": 0}, "v1", "rdkit (molgdl-rdkit 0.1.0)")
    others = {
        cache_key(t, "conformer3d", {"seed": 1, "n_conformers": 1}, "v1", "rdkit (molgdl-rdkit 0.1.0)"),
        cache_key(t, "conformer3d", {"seed": 0, "n_conformers": 2}, "v1", "rdkit (molgdl-rdkit 0.1.0)"),
        cache_key(t, "graph2d", {"seed": 0, "n_conformers": 1}, "v1", "rdkit (molgdl-rdkit 0.1.0)"),
        cache_key(t, "conformer3d", {"seed": 0, "n_conformers": 1}, "v2", "rdkit (molgdl-rdkit 0.1.0)"),
        cache_key(t, "conformer3d", {"seed": 0, "n_conformers": 1}, "v1", "rdkit (molgdl-rdkit 0.2.0)"),
        cache_key(table_fingerprint(tiny_table(11)), "conformer3d", {"seed": 0, "n_conformers": 1}, "v1",
                  "rdkit (molgdl-rdkit 0.1.0)"),
    }
    assert base not in others and len(others) == 6


def test_cache_key_of_a_run_changes_with_featurizer_params(tmp_path):
    from molgdl.config import load_config
    from molgdl.run.resolve import resolve

    def key(**params):
        cfg = tiny_config(tmp_path, featurizer={"name": "conformer3d", **params})
        res = resolve(load_config(write_config(tmp_path / "c.yaml", cfg)))
        name, p, provider = res.identity("featurizer", "featurizer")
        return cache_key("table", name, p, "v", provider)

    assert key() == key(seed=0)  # defaults filled in: same features, same key
    assert key(seed=0) != key(seed=1)
    assert key(n_conformers=1) != key(n_conformers=3)


def test_second_featurization_is_a_cache_hit_and_faster(tmp_path):
    reg = _registry()
    table = reg.get("dataset", "esol").factory(reg.get("dataset", "esol").build_params({"limit": 300}))
    featurizer, ident = _build(reg, "featurizer", "graph2d")
    root = tmp_path / "cache"

    first = featurize_table(table, featurizer, ident, [], FeatureCache(root), num_workers=1, progress=False)
    assert not first.from_cache
    assert len(list(root.glob("*.pt"))) == 1 and len(list(root.glob("*.sha256"))) == 1

    second = featurize_table(table, featurizer, ident, [], FeatureCache(root), num_workers=1, progress=False)
    assert second.from_cache
    assert second.seconds < first.seconds / 3, (first.seconds, second.seconds)
    assert len(second.dataset) == len(first.dataset) == 300
    for key in ("x", "edge_index", "edge_attr", "z", "y", "mol_index"):
        assert torch.equal(getattr(first.dataset._data, key), getattr(second.dataset._data, key)), key
    assert np.array_equal(first.graph_owner, second.graph_owner)

    # other molecules -> another entry
    third = featurize_table(table.subset(np.arange(100)), featurizer, ident, [], FeatureCache(root),
                            num_workers=1, progress=False)
    assert not third.from_cache
    assert len(list(root.glob("*.pt"))) == 2


def test_descriptors_are_cached_separately(tmp_path):
    reg = _registry()
    table = tiny_table(12)
    featurizer, ident = _build(reg, "featurizer", "graph2d")
    morgan, mid = _build(reg, "descriptor", "morgan", radius=2, n_bits=64)
    root = tmp_path / "cache"
    first = featurize_table(table, featurizer, ident, [(morgan, mid)], FeatureCache(root), num_workers=1,
                            progress=False)
    assert not first.from_cache and first.extra.shape == (12, 64)
    second = featurize_table(table, featurizer, ident, [(morgan, mid)], FeatureCache(root), num_workers=1,
                             progress=False)
    assert second.from_cache and np.array_equal(first.extra, second.extra)
    assert len(list(root.glob("*.pt"))) == 2

    morgan128, mid128 = _build(reg, "descriptor", "morgan", radius=2, n_bits=128)
    third = featurize_table(table, featurizer, ident, [(morgan128, mid128)], FeatureCache(root), num_workers=1,
                            progress=False)
    assert not third.from_cache and third.extra.shape == (12, 128)
    assert len(list(root.glob("*.pt"))) == 3  # graphs reused, one new descriptor entry


def test_corrupted_cache_entry_is_rebuilt(tmp_path):
    cache = FeatureCache(tmp_path)
    cache.put("k", {"a": torch.ones(3)})
    assert torch.equal(FeatureCache(tmp_path).get("k")["a"], torch.ones(3))
    (tmp_path / "k.pt").write_bytes(b"garbage")
    bad = FeatureCache(tmp_path)
    assert bad.get("k") is None
    assert len(bad.corrupted) == 1 and "checksum mismatch" in bad.corrupted[0]
    assert not (tmp_path / "k.pt").exists() and not (tmp_path / "k.sha256").exists()
