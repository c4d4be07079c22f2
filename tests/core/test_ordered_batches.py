"""Batches cut from the collated store (``molgdl.data.batches``) equal PyG ``DataLoader``'s, attribute for
attribute, for every first-party featurizer, on a subset of the store (graphs no longer next to each other, as
after a split or a descriptor failure) and with several conformers per molecule; the training loader draws the
same shuffled batches from the same seeded generator."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.loader import DataLoader

from molgdl.data.batches import graph_loader, ordered_batches
from molgdl.data.featurize import featurize_table
from molgdl.data.table import MoleculeRecord, MoleculeTable

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "not_a_smiles", "C1CC1N", "O=C(O)c1ccccc1", "CCN(CC)CC",
          "Clc1ccc(Cl)cc1", "C(", "CC#N", "OCC(O)CO", "c1ccc2ccccc2c1", "CCCCCCCC", "N#Cc1ccccc1", "CS(C)=O", "[Na+].[Cl-]"]


def _featurizer(name: str):
    if name == "graph2d":
        from molgdl_rdkit.graph2d import Graph2DFeaturizer

        return Graph2DFeaturizer(None)
    if name == "conformer3d":
        from molgdl_rdkit.conformer3d import Conformer3DFeaturizer
        from molgdl_rdkit.params import Conformer3DParams

        return Conformer3DFeaturizer(Conformer3DParams(n_conformers=2))
    from molgdl_fragtree.featurizer import FragTreeFeaturizer
    from molgdl_fragtree.params import FragTree2DParams

    return FragTreeFeaturizer(FragTree2DParams())


def _graphs(name: str):
    records = [MoleculeRecord(id=f"m{i}", smiles=s, row=i + 2) for i, s in enumerate(SMILES)]
    table = MoleculeTable(records, np.arange(len(SMILES), dtype=float)[:, None], ["t"], "regression", "test")
    return featurize_table(table, _featurizer(name), (name, {}, "test"), [], None, 1, progress=False)


@pytest.mark.parametrize("name", ["graph2d", "conformer3d", "fragtree2d"])
@pytest.mark.parametrize("batch_size", [1, 3, 64])
def test_batches_cut_from_the_store_equal_the_data_loaders(name, batch_size, assert_same_batch):
    graphs = _graphs(name)
    assert graphs.failures  # broken SMILES have no graph
    keep = [g for g in range(len(graphs.dataset)) if g % 4 != 1]
    subset = graphs.dataset.index_select(torch.tensor(keep))  # holes in the store
    fast = list(ordered_batches(subset, batch_size))
    slow = list(DataLoader(subset, batch_size=batch_size, shuffle=False))
    assert len(fast) == len(slow) == -(-len(keep) // batch_size)
    for a, b in zip(fast, slow):
        assert_same_batch(a, b)


def test_a_store_without_holes_is_sliced_and_a_model_writing_in_place_does_not_change_it(assert_same_batch):
    graphs = _graphs("graph2d")
    whole = graphs.dataset
    assert whole._indices is None  # the graphs are one store without holes
    stored = whole._data.x.clone()
    for a, b in zip(ordered_batches(whole, 5), DataLoader(whole, batch_size=5)):
        assert_same_batch(a, b)
        a.x.mul_(0.0)
    assert torch.equal(whole._data.x, stored)


def test_other_datasets_go_through_the_data_loader(assert_same_batch):
    graphs = _graphs("graph2d")
    as_list = [graphs.dataset[i] for i in range(len(graphs.dataset))]
    for a, b in zip(ordered_batches(as_list, 4), DataLoader(graphs.dataset, batch_size=4)):
        assert_same_batch(a, b)


@pytest.mark.parametrize("workers", [0, 1])
@pytest.mark.parametrize("name", ["graph2d", "conformer3d"])
def test_the_training_loader_draws_the_data_loaders_shuffled_batches(name, workers, assert_same_batch):
    graphs = _graphs(name)
    subset = graphs.dataset.index_select(torch.tensor([g for g in range(len(graphs.dataset)) if g % 3 != 2]))
    fast = graph_loader(subset, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(7),
                        num_workers=workers, drop_last=True)
    slow = DataLoader(subset, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(7), drop_last=True)
    for epoch in range(2):  # the generator moves on between epochs in both (each epoch runs to its end)
        pairs = list(zip(list(fast), list(slow)))
        assert len(pairs) == len(subset) // 4
        for a, b in pairs:
            assert_same_batch(a, b)
    for i in (0, len(subset) - 1):  # the loader's dataset still gives single graphs (callbacks sample from it)
        a, b = fast.dataset[i], subset[i]
        assert sorted(a.keys()) == sorted(b.keys()) and all(torch.equal(a[k], b[k]) for k in b.keys())
    with pytest.raises(AssertionError):  # another seed, other batches: the comparison can fail
        other = graph_loader(subset, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(8))
        for a, b in zip(other, DataLoader(subset, batch_size=4, shuffle=True,
                                          generator=torch.Generator().manual_seed(7))):
            assert_same_batch(a, b)


def test_the_training_loader_of_another_dataset_is_pygs():
    from torch_geometric.loader import DataLoader as PygLoader

    graphs = _graphs("graph2d")
    as_list = [graphs.dataset[i] for i in range(len(graphs.dataset))]
    assert isinstance(graph_loader(as_list, batch_size=4, shuffle=True), PygLoader)
    assert not isinstance(graph_loader(graphs.dataset, batch_size=4), PygLoader)
