"""Bemis-Murcko scaffold split (Bemis & Murcko, J. Med. Chem. 1996, 39, 2887).

``balanced=True`` follows chemprop's ``scaffold_balanced`` (Yang et al., J. Chem. Inf. Model. 2019, 59,
3370): scaffold sets larger than half the validation or test size go first, in random order, then the
other sets in random order; ``balanced=False`` follows DeepChem's ScaffoldSplitter (largest sets first).
Sets are placed whole into train until it is full, then validation, then test, so no scaffold is shared.
"""

from __future__ import annotations

import random
import numpy as np
from rdkit.Chem.Scaffolds import MurckoScaffold

from molgdl.data import MoleculeTable
from molgdl.errors import DataError, FeaturizationError
from molgdl_rdkit.molecule import mol_from_record
from molgdl_rdkit.params import ScaffoldParams


def scaffold_sets(table: MoleculeTable) -> dict[str, list[int]]:
    """Scaffold SMILES (no chirality; "" for acyclic molecules) -> positions in ``table.records``,
    in order of first appearance."""
    sets: dict[str, list[int]] = {}
    for i, record in enumerate(table.records):
        try:
            mol = mol_from_record(record)
        except FeaturizationError as exc:
            raise DataError(
                f"scaffold split of {table.source!r}: {exc}",
                hint="the scaffold splitter needs a parsable SMILES (or SDF block) per molecule; "
                "use a random split for geometry-only data",
            ) from exc
        scaffold = MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=False)
        sets.setdefault(scaffold, []).append(i)
    return sets


class ScaffoldSplitter:
    """``split(table, seed) -> {"train", "val", "test"}``: sorted int64 positions into ``table.records``;
    no scaffold lands in two splits."""

    def __init__(self, params: ScaffoldParams | None = None) -> None:
        params = params or ScaffoldParams()
        self.sizes = tuple(params.sizes)
        self.balanced = params.balanced

    def split(self, table: MoleculeTable, seed: int) -> dict[str, np.ndarray]:
        n = len(table)
        train_size, val_size, test_size = (fraction * n for fraction in self.sizes)
        index_sets = list(scaffold_sets(table).values())
        if self.balanced:
            big = [s for s in index_sets if len(s) > val_size / 2 or len(s) > test_size / 2]
            small = [s for s in index_sets if not (len(s) > val_size / 2 or len(s) > test_size / 2)]
            rng = random.Random(seed)
            rng.shuffle(big)
            rng.shuffle(small)
            index_sets = big + small
        else:  # largest first, ties by first appearance (stable sort)
            index_sets = sorted(index_sets, key=len, reverse=True)
        train: list[int] = []
        val: list[int] = []
        test: list[int] = []
        for index_set in index_sets:
            if len(train) + len(index_set) <= train_size:
                train += index_set
            elif len(val) + len(index_set) <= val_size:
                val += index_set
            else:
                test += index_set
        return {
            name: np.array(sorted(part), dtype=np.int64)
            for name, part in (("train", train), ("val", val), ("test", test))
        }

    def __repr__(self) -> str:
        return f"ScaffoldSplitter(sizes={self.sizes}, balanced={self.balanced})"
