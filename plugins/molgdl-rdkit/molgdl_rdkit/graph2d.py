"""The ``graph2d`` featurizer: SMILES -> 2D molecular graph (chemprop-style atom and bond features)."""

from __future__ import annotations

import rdkit
import torch
from torch_geometric.data import Data

from molgdl.data import MoleculeRecord
from molgdl.specs import FeatureDims
from molgdl_rdkit.features import (
    ATOM_DIM,
    ATOM_FEATURES,
    BOND_DIM,
    BOND_FEATURES,
    mol_to_arrays,
    smiles_hints,
)
from molgdl_rdkit.molecule import mol_from_record, parse_smiles, record_smiles
from molgdl_rdkit.pyg_data import make_data

FEATURES_VERSION = "1"


def arrays_to_data(x, edge_index, edge_attr, z, pos=None) -> Data:
    """Wrap the numpy arrays of ``mol_to_arrays`` (no copies) in a ``Data``."""
    if pos is None:
        return make_data(
            x=torch.from_numpy(x),
            edge_index=torch.from_numpy(edge_index),
            edge_attr=torch.from_numpy(edge_attr),
            z=torch.from_numpy(z),
        )
    return make_data(
        x=torch.from_numpy(x),
        edge_index=torch.from_numpy(edge_index),
        edge_attr=torch.from_numpy(edge_attr),
        z=torch.from_numpy(z),
        pos=torch.from_numpy(pos),
    )


class Graph2DFeaturizer:
    """Molecular graph from ``record.smiles`` (whitespace stripped), hydrogens implicit.

    Shapes:
        ``x`` float32 [N, 50], ``edge_index`` int64 [2, 2M] (edge e and e ^ 1 are the two directions of
        one bond), ``edge_attr`` float32 [2M, 14], ``z`` int64 [N]. Feature names: ``atom_features``,
        ``bond_features``.
    """

    atom_features = ATOM_FEATURES
    bond_features = BOND_FEATURES

    def __init__(self, params=None) -> None:
        self.dims = FeatureDims(atom_dim=ATOM_DIM, bond_dim=BOND_DIM)
        self.version = f"graph2d-{FEATURES_VERSION}+rdkit{rdkit.__version__}"

    def featurize(self, record: MoleculeRecord) -> list[Data]:
        smiles = record_smiles(record)
        if smiles:
            hints = smiles_hints(smiles)
            plain = not (hints["chiral"] or hints["bond_stereo"] or hints["explicit_h"])
            mol = parse_smiles(smiles, record, plain=plain, metals=hints["exotic_bonds"])
            arrays = mol_to_arrays(mol, **hints)
        else:
            arrays = mol_to_arrays(mol_from_record(record))  # molblock, or the error for a missing SMILES
        return [arrays_to_data(*arrays)]

    def __repr__(self) -> str:
        return f"Graph2DFeaturizer(version={self.version!r})"
