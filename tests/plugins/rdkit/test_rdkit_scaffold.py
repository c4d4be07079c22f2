"""Scaffold split: disjoint scaffolds, full coverage, chemprop's balanced ordering, size validation."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
from rdkit import Chem
from rdkit.Chem.Scaffolds import MurckoScaffold

from molgdl.data import MoleculeRecord, MoleculeTable
from molgdl.errors import DataError
from molgdl_rdkit.params import ScaffoldParams
from molgdl_rdkit.scaffold import ScaffoldSplitter, scaffold_sets

# benzenes, pyridines, naphthalenes, cyclohexanes, indoles, acyclics and singletons
SMILES = (
    [
        "c1ccccc1" + s
        for s in [
            "C",
            "O",
            "N",
            "Cl",
            "CC",
            "CO",
            "C(=O)O",
            "F",
            "Br",
            "I",
            "CCC",
            "OC",
            "C#N",
            "N(C)C",
            "S",
            "C=O",
        ]
    ]
    + ["c1ccncc1" + s for s in ["C", "O", "N", "Cl", "CC", "F", "Br", "CO"]]
    + ["c1ccc2ccccc2c1" + s for s in ["C", "O", "N", "Cl", "F", "CC"]]
    + ["C1CCCCC1" + s for s in ["C", "O", "N", "Cl", "CC"]]
    + ["c1ccc2[nH]ccc2c1" + s for s in ["C", "O", "Cl", "F"]]
    + ["CCO", "CCCC", "CC(C)O", "CCN", "CCCCCC", "OCCO", "CC(=O)O"]
    + [
        "C1CC1",
        "C1CCC1",
        "C1CCCC1",
        "c1ccoc1",
        "c1ccsc1",
        "C1CCOC1",
        "C1CCNCC1",
        "c1cnccn1",
        "O=C1CCCCC1",
        "c1ccc(cc1)-c1ccccc1",
        "C1CCC2CCCCC2C1",
        "c1ccc2c(c1)ccc1ccccc12",
        "C1CCCCCC1",
        "c1ncncn1",
    ]
)


def table(smiles=SMILES) -> MoleculeTable:
    records = [MoleculeRecord(id=f"m{i}", smiles=s, row=i + 1) for i, s in enumerate(smiles)]
    return MoleculeTable(records, np.zeros((len(records), 1)), ["y"], "regression", "inline")


def scaffold_of(smiles: str) -> str:
    return MurckoScaffold.MurckoScaffoldSmiles(mol=Chem.MolFromSmiles(smiles), includeChirality=False)


@pytest.mark.parametrize("balanced", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_no_scaffold_in_two_splits_and_full_coverage(seed, balanced):
    t = table()
    splits = ScaffoldSplitter(ScaffoldParams(balanced=balanced)).split(t, seed)
    assert set(splits) == {"train", "val", "test"}
    everything = np.concatenate(list(splits.values()))
    assert sorted(everything.tolist()) == list(range(len(t)))  # every molecule exactly once
    owners = [{scaffold_of(SMILES[i]) for i in idx} for idx in splits.values()]
    assert not (owners[0] & owners[1]) and not (owners[0] & owners[2]) and not (owners[1] & owners[2])
    assert all(idx.dtype == np.int64 for idx in splits.values())
    assert len(splits["train"]) <= 0.8 * len(t) and len(splits["val"]) <= 0.1 * len(t)


def test_seeded_and_balanced_ordering():
    t = table()
    splitter = ScaffoldSplitter(ScaffoldParams())
    a, b = splitter.split(t, 5), splitter.split(t, 5)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert any(not np.array_equal(a["test"], splitter.split(t, s)["test"]) for s in range(6, 12))
    # sets larger than half the val/test size (> 3 of 60 molecules) go first: 16+8+6+5+4+7 = 46 <= 48 train
    n = len(t)
    big = [idx for idx in scaffold_sets(t).values() if len(idx) > 0.1 * n / 2]
    assert n == 60 and sum(map(len, big)) == 46
    for seed in range(5):
        train = set(splitter.split(t, seed)["train"].tolist())
        assert all(set(idx) <= train for idx in big)


def test_deepchem_order_hand_computed():
    # scaffold sets: benzene x4 (0-3), pyridine x3 (4-6), acyclic "" x2 (7-8), cyclohexane x1 (9)
    smiles = [
        "c1ccccc1C",
        "c1ccccc1O",
        "c1ccccc1N",
        "c1ccccc1F",
        "c1ccncc1C",
        "c1ccncc1O",
        "c1ccncc1N",
        "CCO",
        "CCC",
        "C1CCCCC1O",
    ]
    splits = ScaffoldSplitter(ScaffoldParams(sizes=(0.7, 0.2, 0.1), balanced=False)).split(table(smiles), 0)
    # largest first: benzenes (4 <= 7) and pyridines (7 <= 7) -> train; acyclic (2 <= 2) -> val; rest -> test
    assert splits["train"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert splits["val"].tolist() == [7, 8] and splits["test"].tolist() == [9]


@pytest.mark.parametrize("sizes", [(0.8, 0.1, 0.2), (0.5, 0.5, 0.5), (1.1, -0.05, -0.05)])
def test_sizes_must_sum_to_one(sizes):
    with pytest.raises(ValidationError):
        ScaffoldParams(sizes=sizes)
    ScaffoldParams(sizes=(0.7, 0.15, 0.15))
    ScaffoldParams(sizes=(0.8, 0.1, 0.1 + 5e-7))


def test_unparsable_smiles_is_a_data_error():
    with pytest.raises(DataError, match="row 2"):
        ScaffoldSplitter().split(table(["CCO", "C1CC"]), 0)
