"""The on-disk featurized store (``data.storage: disk``) against the in-memory store: same graphs, same
descriptors, same failures; reused, resumed and rebuilt when damaged; read lazily, one graph at a time."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch
from torch.utils.data import DistributedSampler

from molgdl.data.cache import FeatureCache
from molgdl.data.disk_featurize import featurize_to_disk
from molgdl.data.featurize import featurize_table
from molgdl.data.table import MoleculeRecord, MoleculeTable

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "C1CC1N", "not_a_smiles", "O=C(O)c1ccccc1", "CCN(CC)CC",
          "Clc1ccc(Cl)cc1", "CC#N", "OCC(O)CO", "c1ccc2ccccc2c1", "CCCCCCCC", "N#Cc1ccccc1", "CS(C)=O"]
SHARD = 4


def _table() -> MoleculeTable:
    records = [MoleculeRecord(id=f"m{i}", smiles=s, row=i + 2) for i, s in enumerate(SMILES)]
    targets = np.array([[float(len(s)), np.nan if i % 5 == 0 else float(i)] for i, s in enumerate(SMILES)])
    return MoleculeTable(records, targets, ["length", "index"], "regression", "test")


def _components():
    from molgdl_rdkit.descriptors import RDKit2DDescriptors
    from molgdl_rdkit.graph2d import Graph2DFeaturizer
    from molgdl_rdkit.params import RDKit2DParams

    names = ["MolWt", "TPSA", "Ipc_log1p", "NumHDonors"]
    desc = RDKit2DDescriptors(RDKit2DParams(names=names))
    return (Graph2DFeaturizer(None), ("graph2d", {}, "molgdl-rdkit"),
            [(desc, ("rdkit2d", {"names": names}, "molgdl-rdkit"))])


def _both(tmp_path, workers=1):
    featurizer, fid, descriptors = _components()
    table = _table()
    memory = featurize_table(table, featurizer, fid, descriptors, FeatureCache(tmp_path / "mem"), workers, False)
    disk = featurize_to_disk(table, featurizer, fid, descriptors, tmp_path / "cache", workers, False, SHARD)
    return table, memory, disk


def _same_graph(a, b) -> None:
    assert sorted(a.keys()) == sorted(b.keys())
    for key in a.keys():
        assert a[key].dtype == b[key].dtype, key
        assert torch.equal(a[key], b[key]) or (torch.isnan(a[key]).any() and
                                               torch.equal(torch.nan_to_num(a[key], 7.0), torch.nan_to_num(b[key], 7.0))), key


def test_disk_store_gives_the_graphs_descriptors_and_failures_of_the_memory_store(tmp_path):
    _, memory, disk = _both(tmp_path)
    assert len(disk.dataset) == len(memory.dataset) == len(SMILES) - 1
    for i in range(len(memory.dataset)):
        _same_graph(memory.dataset[i], disk.dataset[i])
    assert np.array_equal(disk.graph_owner, memory.graph_owner)
    assert np.array_equal(np.asarray(disk.extra), memory.extra, equal_nan=True)
    assert disk.extra_names == memory.extra_names
    assert disk.failures == memory.failures and list(disk.failures) == [4]
    assert disk.notes == memory.notes
    sub = [3, 0, 7]
    for key in ("y", "extra"):  # what training fits its scalers on
        want = getattr(memory.dataset._data, key)[torch.tensor(sub)]
        assert torch.equal(torch.nan_to_num(disk.dataset.index_select(sub).graph_rows(key), 7.0),
                           torch.nan_to_num(want, 7.0))


def test_disk_store_is_reused_and_a_damaged_shard_is_rebuilt_with_a_message(tmp_path):
    table, memory, first = _both(tmp_path)
    assert not first.from_cache
    folder = first.dataset.folder
    shards = sorted(p for p in folder.iterdir() if p.name.startswith("shard_"))
    assert len(shards) == -(-len(SMILES) // SHARD)
    stamps = {p: (p / "meta.json").stat().st_mtime_ns for p in shards}
    featurizer, fid, descriptors = _components()
    again = featurize_to_disk(table, featurizer, fid, descriptors, tmp_path / "cache", 1, False, SHARD)
    assert again.from_cache and again.dataset.folder == folder
    assert {p: (p / "meta.json").stat().st_mtime_ns for p in shards} == stamps  # nothing rewritten

    damaged = shards[1] / "x.bin"
    raw = bytearray(damaged.read_bytes())
    raw[10] ^= 0xFF
    damaged.write_bytes(bytes(raw))
    rebuilt = featurize_to_disk(table, featurizer, fid, descriptors, tmp_path / "cache", 1, False, SHARD)
    assert not rebuilt.from_cache
    message = [n for n in rebuilt.notes if "damaged" in n]
    assert len(message) == 1 and "shard_00001" in message[0] and "x.bin does not match its checksum" in message[0]
    assert "molecules 4..7" in message[0] and "rebuilt" in message[0]
    assert (shards[0] / "meta.json").stat().st_mtime_ns == stamps[shards[0]]  # only the damaged shard
    for i in range(len(memory.dataset)):
        _same_graph(memory.dataset[i], rebuilt.dataset[i])


def test_disk_dataset_reads_lazily_one_graph_at_a_time(tmp_path):
    _, memory, disk = _both(tmp_path)
    data_bytes = sum(p.stat().st_size for p in disk.dataset.folder.glob("shard_*/*.bin"))
    ds = pickle.loads(pickle.dumps(disk.dataset))  # what a loader worker or a spawned DDP rank receives
    assert ds.bytes_read == 0
    held = len(pickle.dumps(ds))
    assert held < data_bytes / 4, (held, data_bytes)  # offsets and targets, not the graphs
    for i in (5, 0, 11):
        before = ds.bytes_read
        g = ds[i]
        graph_bytes = sum(g[k].numel() * g[k].element_size() for k in ("x", "edge_index", "edge_attr", "z"))
        extra_bytes = 8 * g.extra.shape[1]  # float64 on disk
        assert ds.bytes_read - before == graph_bytes + extra_bytes


def test_each_distributed_rank_reads_only_its_graphs(tmp_path):
    _, _, disk = _both(tmp_path)
    n = len(disk.dataset)
    seen, read = [], []
    for rank in range(2):
        ds = pickle.loads(pickle.dumps(disk.dataset))
        sampler = DistributedSampler(ds, num_replicas=2, rank=rank, shuffle=True, seed=3, drop_last=True)
        indices = list(sampler)
        for i in indices:
            ds[i]
        seen.append(set(indices))
        expected = 0
        for i in indices:
            g = disk.dataset[i]
            expected += sum(g[k].numel() * g[k].element_size() for k in ("x", "edge_index", "edge_attr", "z"))
            expected += 8 * g.extra.shape[1]
        read.append((ds.bytes_read, expected))
    assert not seen[0] & seen[1] and len(seen[0]) + len(seen[1]) == n - n % 2
    assert all(got == want for got, want in read)


def test_a_killed_featurization_resumes_at_the_first_missing_shard(tmp_path):
    table, memory, first = _both(tmp_path)
    folder = first.dataset.folder
    last = sorted(folder.glob("shard_*"))[-1]
    import shutil

    shutil.rmtree(last)
    (folder / f"{last.name}.tmp{os.getpid() + 1}").mkdir()  # what a kill during writing leaves
    featurizer, fid, descriptors = _components()
    again = featurize_to_disk(table, featurizer, fid, descriptors, tmp_path / "cache", 1, False, SHARD)
    assert not again.from_cache and not [n for n in again.notes if "damaged" in n]  # missing, not damaged
    for i in range(len(memory.dataset)):
        _same_graph(memory.dataset[i], again.dataset[i])


@pytest.mark.parametrize("workers", [2])
def test_disk_store_with_a_process_pool(tmp_path, workers):
    _, memory, disk = _both(tmp_path, workers)
    for i in range(len(memory.dataset)):
        _same_graph(memory.dataset[i], disk.dataset[i])


def test_an_unwritable_cache_folder_is_a_clear_error(tmp_path):
    from molgdl.errors import DataError

    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the cache folder should be")
    featurizer, fid, descriptors = _components()
    with pytest.raises(DataError, match="featurized store cannot be written") as info:
        featurize_to_disk(_table(), featurizer, fid, descriptors, blocker, 1, False, SHARD)
    assert "data.cache_dir" in info.value.hint and "storage: memory" in info.value.hint


@pytest.mark.parametrize("workers", [0, 1])
def test_batches_read_from_disk_equal_the_data_loaders_and_read_each_byte_once(tmp_path, workers, assert_same_batch):
    from torch_geometric.loader import DataLoader

    from molgdl.data.batches import graph_loader, ordered_batches

    _, _, disk = _both(tmp_path)
    keep = torch.tensor([g for g in range(len(disk.dataset)) if g % 4 != 1])
    subset = disk.dataset.index_select(keep)  # holes in the store, runs that cross shard boundaries
    for batch_size in (1, 3, 64):
        fast = list(ordered_batches(subset, batch_size))
        slow = list(DataLoader(subset, batch_size=batch_size))
        assert len(fast) == len(slow) == -(-len(keep) // batch_size)
        for a, b in zip(fast, slow):
            assert_same_batch(a, b)
    fast = graph_loader(subset, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(5),
                        num_workers=workers)
    slow = DataLoader(subset, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(5))
    assert not isinstance(fast, DataLoader)
    for _ in range(2):
        pairs = list(zip(list(fast), list(slow)))
        assert len(pairs) == -(-len(keep) // 4)
        for a, b in pairs:
            assert_same_batch(a, b)

    ds = pickle.loads(pickle.dumps(disk.dataset))
    order = torch.tensor([9, 2, 3, 4, 11, 0])
    batch = ds.read_batch(order)
    graphs = [disk.dataset[int(i)] for i in order]
    assert ds.bytes_read == sum(sum(g[k].numel() * g[k].element_size() for k in ("x", "edge_index", "edge_attr", "z"))
                                + 8 * g.extra.shape[1] for g in graphs)  # nothing read twice, nothing extra
    assert_same_batch(batch, next(iter(DataLoader(graphs, batch_size=len(graphs)))))
