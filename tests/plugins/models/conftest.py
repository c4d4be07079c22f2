"""Hand-built molecule-like graphs for the molgdl-models tests (no RDKit).

Graphs follow the molgdl data contract: both directions of every bond as consecutive columns (2k, 2k+1),
so the reverse of edge e is e ^ 1; ``x`` [N, atom_dim], ``edge_attr`` [E, bond_dim], ``z`` [N],
``pos`` [N, 3].
"""

from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Batch, Data

ATOM_DIM = 7
BOND_DIM = 4


def random_molecule(
    n_atoms: int,
    gen: torch.Generator,
    *,
    atom_dim: int = ATOM_DIM,
    bond_dim: int = BOND_DIM,
    ring_bonds: int = 2,
    dtype: torch.dtype = torch.float32,
    box: float = 3.0,
) -> Data:
    """A connected random 'molecule': a random tree plus up to ``ring_bonds`` ring-closing bonds.

    Bond features are shared by the two directions (as a chemical featurizer does); positions are
    uniform in a cube of side ``box`` Å.
    """
    bonds: list[tuple[int, int]] = []
    for i in range(1, n_atoms):
        j = int(torch.randint(0, i, (1,), generator=gen))
        bonds.append((j, i))
    seen = {frozenset(b) for b in bonds}
    for _ in range(ring_bonds):
        if n_atoms < 3:
            break
        u, v = (int(t) for t in torch.randperm(n_atoms, generator=gen)[:2])
        if frozenset((u, v)) not in seen:
            seen.add(frozenset((u, v)))
            bonds.append((u, v))
    cols = []
    for u, v in bonds:
        cols += [(u, v), (v, u)]
    edge_index = torch.tensor(cols, dtype=torch.long).t().reshape(2, -1)
    bond_feat = torch.randn(len(bonds), bond_dim, generator=gen, dtype=dtype)
    edge_attr = bond_feat.repeat_interleave(2, dim=0)
    return Data(
        x=torch.randn(n_atoms, atom_dim, generator=gen, dtype=dtype),
        edge_index=edge_index,
        edge_attr=edge_attr,
        z=torch.randint(1, 10, (n_atoms,), generator=gen),
        pos=torch.rand(n_atoms, 3, generator=gen, dtype=dtype) * box,
    )


def permute_molecule(data: Data, gen: torch.Generator) -> tuple[Data, torch.Tensor]:
    """Relabel the atoms by a random permutation, shuffle the bond order and flip bond directions,
    keeping the (2k, 2k+1) pairing. Returns the new graph and ``perm`` with new atom k = old atom perm[k]."""
    from molgdl.testing.contracts import relabel_molecule

    return relabel_molecule(data, gen)


def batch_of(*graphs: Data) -> Batch:
    return Batch.from_data_list(list(graphs))


@pytest.fixture
def gen() -> torch.Generator:
    return torch.Generator().manual_seed(1234)


@pytest.fixture
def molgraphs():
    """The graph helpers of this conftest (tests reach them through this fixture, not by import)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        random_molecule=random_molecule,
        permute_molecule=permute_molecule,
        batch_of=batch_of,
        ATOM_DIM=ATOM_DIM,
        BOND_DIM=BOND_DIM,
    )
