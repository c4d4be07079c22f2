"""The ``fragtree2d`` featurizer: SMILES -> 2D graph plus its fragment tree, stored per atom."""

from __future__ import annotations

import rdkit
import torch
from rdkit import Chem, RDLogger
from torch_geometric.data import Data

from molgdl.errors import FeaturizationError
from molgdl.specs import FeatureDims

from .features import ATOM_DIM, BOND_DIM, mol_arrays
from .params import FragTree2DParams
from .tree import fragment_tree

VERSION = "1"


class FragTreeFeaturizer:
    """Graph from ``record.smiles`` (hydrogens implicit) with the fragment tree of ``molgdl_fragtree.tree``.

    Shapes:
        ``x`` float32 [N, 33], ``edge_index`` int64 [2, 2M], ``edge_attr`` float32 [2M, 6], ``z`` int64 [N],
        ``frag_id`` int64 [N] (fragment of each atom, 0..F-1), ``frag_parent`` int64 [N] (parent fragment of the
        atom's fragment, -1 at a root). Per-atom storage keeps the tree valid under atom relabelling and
        batching (ids are local to a molecule; names without "index" so PyG does not offset them).
    """

    def __init__(self, params: FragTree2DParams | None = None) -> None:
        self.params = params or FragTree2DParams()
        self.dims = FeatureDims(atom_dim=ATOM_DIM, bond_dim=BOND_DIM)
        self.version = f"fragtree2d-{VERSION}-{self.params.cut}+rdkit{rdkit.__version__}"

    def featurize(self, record) -> list[Data]:
        smiles = (record.smiles or "").strip()
        if not smiles:
            raise FeaturizationError(f"row {record.row} ({record.id}): fragtree2d needs a SMILES",
                                     hint="give a SMILES column, or use a 3D featurizer for geometry-only input")
        RDLogger.DisableLog("rdApp.*")
        try:
            mol = Chem.MolFromSmiles(smiles)
        finally:
            RDLogger.EnableLog("rdApp.*")
        if mol is None:
            raise FeaturizationError(f"row {record.row} ({record.id}): RDKit cannot parse SMILES {smiles!r}",
                                     hint="fix or remove the row")
        return [self.featurize_mol(mol)]

    def featurize_mol(self, mol: Chem.Mol) -> Data:
        x, edge_index, edge_attr, z = mol_arrays(mol)
        tree = fragment_tree(mol, self.params.cut)
        frag = torch.from_numpy(tree.frag_of_atom)
        parent = torch.from_numpy(tree.parent)[frag]
        return Data(x=torch.from_numpy(x), edge_index=torch.from_numpy(edge_index),
                    edge_attr=torch.from_numpy(edge_attr), z=torch.from_numpy(z), frag_id=frag, frag_parent=parent)

    def __repr__(self) -> str:
        return f"FragTreeFeaturizer(version={self.version!r})"
