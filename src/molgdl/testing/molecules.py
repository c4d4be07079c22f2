"""Tiny molecules for tests (no file access, no RDKit).

``tiny_table``: twelve SMILES-only molecules with one target. ``tiny_table_3d``: ten small molecules with
SMILES *and* 3D coordinates (hydrogens included; MMFF94-optimised geometries stored as constants, atoms
in RDKit's ``AddHs`` order so that SMILES and coordinates agree). ``TinyGraphFeaturizer`` turns a record
with coordinates into a graph that follows the molgdl graph data contract without any chemistry toolkit
(bonds from covalent radii), so that models and readouts can be tested with the core alone;
``tiny_graphs`` applies it to ``tiny_table_3d``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from molgdl.data.table import MoleculeRecord, MoleculeTable

if TYPE_CHECKING:  # torch / torch_geometric are imported inside the functions that need them
    from torch_geometric.data import Data

TINY_SMILES = ["CCO", "c1ccccc1O", "CC(=O)N", "CCN(CC)CC", "OC(=O)c1ccccc1", "C1CCCCC1", "CC#N", "ClCCl",
               "CC(C)O", "c1ccncc1", "CCOC(=O)C", "NCCO"]


def tiny_table(n: int = len(TINY_SMILES), task: str = "regression") -> MoleculeTable:
    """A MoleculeTable of ``n`` small molecules with one target (heavy-atom count, or a 0/1 label)."""
    smiles = [TINY_SMILES[i % len(TINY_SMILES)] for i in range(n)]
    y = np.array([[float(sum(ch.isalpha() and ch.isupper() for ch in s))] for s in smiles])
    if task == "classification":
        y = (y > 3).astype(float)
    recs = [MoleculeRecord(id=f"m{i}", smiles=s, row=i + 1) for i, s in enumerate(smiles)]
    return MoleculeTable(recs, y, ["y"], task, "tiny")


# (SMILES, atomic numbers, coordinates in Å): heavy atoms in SMILES order, then hydrogens (RDKit AddHs order).
TINY_3D: list[tuple[str, tuple[int, ...], tuple[tuple[float, float, float], ...]]] = [
    ("C", (6, 1, 1, 1, 1),
     ((0.0, 0.0, 0.0), (-0.713, -0.285, -0.776), (0.116, 1.086, 0.007), (-0.368, -0.333, 0.973),
      (0.966, -0.468, -0.203))),
    ("O", (8, 1, 1), ((0.007, 0.398, 0.0), (-0.767, -0.185, 0.0), (0.76, -0.213, 0.0))),
    ("CCO", (6, 6, 8, 1, 1, 1, 1, 1, 1),
     ((-0.854, 0.224, 0.242), (0.387, -0.359, -0.401), (1.532, 0.384, -0.007), (-1.748, -0.328, -0.065),
      (-0.975, 1.276, -0.036), (-0.777, 0.189, 1.333), (0.528, -1.403, -0.108), (0.31, -0.314, -1.492),
      (1.597, 0.331, 0.961))),
    ("CC#N", (6, 6, 7, 1, 1, 1),
     ((-0.486, 0.004, -0.008), (0.975, -0.008, 0.016), (2.135, -0.016, 0.035), (-0.87, -0.759, -0.692),
      (-0.893, -0.197, 0.987), (-0.862, 0.977, -0.339))),
    ("CC(=O)N", (6, 6, 8, 7, 1, 1, 1, 1, 1),
     ((-1.099, 0.058, -0.127), (0.235, -0.005, 0.562), (0.359, -0.063, 1.78), (1.321, 0.009, -0.259),
      (-0.987, 0.171, -1.208), (-1.658, 0.916, 0.256), (-1.65, -0.864, 0.075), (2.227, -0.098, 0.178),
      (1.252, -0.123, -1.258))),
    ("NCCO", (7, 6, 6, 8, 1, 1, 1, 1, 1, 1, 1),
     ((1.612, -0.358, -0.114), (0.361, 0.379, -0.26), (-0.867, -0.509, -0.039), (-2.061, 0.266, -0.109),
      (1.708, -0.697, 0.842), (2.397, 0.274, -0.273), (0.311, 0.822, -1.261), (0.344, 1.217, 0.446),
      (-0.834, -0.998, 0.94), (-0.925, -1.287, -0.807), (-2.046, 0.891, 0.636))),
    ("ClCCl", (17, 6, 17, 1, 1),
     ((-1.445, 0.871, -0.042), (-0.002, -0.148, 0.009), (1.47, 0.828, -0.056), (-0.006, -0.724, 0.937),
      (-0.016, -0.827, -0.847))),
    ("CC(C)O", (6, 6, 6, 8, 1, 1, 1, 1, 1, 1, 1, 1),
     ((-1.07, 0.679, -0.084), (-0.002, -0.391, -0.244), (1.379, 0.141, 0.103), (-0.292, -1.48, 0.627),
      (-0.875, 1.536, -0.735), (-1.124, 1.029, 0.953), (-2.058, 0.274, -0.329), (-0.001, -0.77, -1.272),
      (1.421, 0.479, 1.144), (2.13, -0.65, -0.0), (1.66, 0.975, -0.548), (-1.17, -1.822, 0.387))),
    ("c1ccncc1", (6, 6, 6, 7, 6, 6, 1, 1, 1, 1, 1),
     ((-0.39, 1.118, 0.021), (-1.281, 0.066, -0.168), (-0.777, -1.225, -0.184), (0.531, -1.523, -0.028),
      (1.372, -0.481, 0.153), (0.964, 0.843, 0.184), (-0.748, 2.143, 0.04), (-2.341, 0.247, -0.298),
      (-1.432, -2.079, -0.328), (2.418, -0.747, 0.276), (1.683, 1.64, 0.333))),
    ("c1ccccc1O", (6, 6, 6, 6, 6, 6, 8, 1, 1, 1, 1, 1, 1),
     ((0.554, 1.03, 0.38), (-0.822, 1.083, 0.608), (-1.634, 0.007, 0.246), (-1.071, -1.125, -0.345),
      (0.303, -1.18, -0.575), (1.105, -0.104, -0.211), (2.444, -0.199, -0.453), (1.173, 1.874, 0.666),
      (-1.263, 1.963, 1.069), (-2.705, 0.05, 0.425), (-1.702, -1.963, -0.628), (0.748, -2.057, -1.035),
      (2.87, 0.619, -0.149))),
]  # fmt: skip


def radius_of_gyration(z: np.ndarray, pos: np.ndarray) -> float:
    """Unweighted radius of gyration of the heavy atoms (Å); 0 for a single heavy atom."""
    heavy = pos[np.asarray(z) > 1]
    return float(np.sqrt(((heavy - heavy.mean(0)) ** 2).sum(1).mean()))


def tiny_table_3d(task: str = "regression") -> MoleculeTable:
    """Ten small molecules with SMILES, atomic numbers ``z`` [n] and coordinates ``pos`` [n, 3] (Å, with H).

    Target ``rg``: heavy-atom radius of gyration in Å (regression), or ``rg > 1`` as 0/1 (classification).
    """
    recs, y = [], []
    for i, (smiles, z, pos) in enumerate(TINY_3D):
        z_arr, pos_arr = np.array(z, dtype=np.int64), np.array(pos, dtype=np.float64)
        recs.append(MoleculeRecord(id=f"g{i}", smiles=smiles, row=i + 1, z=z_arr, pos=pos_arr))
        y.append([radius_of_gyration(z_arr, pos_arr)])
    targets = np.array(y)
    if task == "classification":
        targets = (targets > 1.0).astype(float)
    return MoleculeTable(recs, targets, ["rg"], task, "tiny3d", units={"rg": "Å"})


_ELEMENTS = (1, 6, 7, 8, 9, 17)  # one-hot slots; anything else goes to the last slot
_COVALENT_RADIUS = {1: 0.31, 5: 0.84, 6: 0.76, 7: 0.71, 8: 0.66, 9: 0.57, 14: 1.11, 15: 1.07, 16: 1.05, 17: 1.02,
                    35: 1.20, 53: 1.39}
_RBF_CENTERS = (1.0, 1.25, 1.5, 1.75)  # Å


class TinyGraphFeaturizer:
    """Geometry-only featurizer for tests: bonds where two atoms are closer than 1.15 x the sum of their
    covalent radii, no chemistry toolkit. Needs ``record.z`` and ``record.pos``.

    Shapes:
        ``x`` float32 [N, 8] (one-hot H, C, N, O, F, Cl, other; degree / 4), ``edge_index`` int64 [2, 2M]
        (edge e and e ^ 1 are the two directions of one bond), ``edge_attr`` float32 [2M, 4] (Gaussian
        expansion of the bond length), ``z`` int64 [N], ``pos`` float32 [N, 3] in Å.
        N counts hydrogens only when ``hydrogens`` is true.
    """

    version = "tiny-1"

    def __init__(self, hydrogens: bool = False) -> None:
        from molgdl.specs import FeatureDims

        self.hydrogens = hydrogens
        self.dims = FeatureDims(atom_dim=len(_ELEMENTS) + 2, bond_dim=len(_RBF_CENTERS), is_3d=True)

    def featurize(self, record: MoleculeRecord) -> list["Data"]:
        import torch
        from torch_geometric.data import Data

        from molgdl.errors import FeaturizationError

        if record.z is None or record.pos is None:
            raise FeaturizationError(f"row {record.row} (id {record.id!r}): no 3D geometry (z, pos)",
                                     hint="the tiny test featurizer needs records with coordinates")
        z = np.asarray(record.z, dtype=np.int64)
        pos = np.asarray(record.pos, dtype=np.float64)
        keep = np.ones(len(z), dtype=bool) if self.hydrogens else z > 1
        z, pos = z[keep], pos[keep]
        radii = np.array([_COVALENT_RADIUS.get(int(a), 1.5) for a in z])
        dist = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
        i, j = np.nonzero(np.triu(dist < 1.15 * (radii[:, None] + radii[None]), k=1))
        edges = np.stack([np.stack([i, j], 1), np.stack([j, i], 1)], 1).reshape(-1, 2).T  # (2k, 2k+1) pairs
        degree = np.bincount(edges[0], minlength=len(z)) if edges.size else np.zeros(len(z), dtype=np.int64)
        x = np.zeros((len(z), self.dims.atom_dim), dtype=np.float32)
        slots = [(_ELEMENTS.index(int(a)) if int(a) in _ELEMENTS else len(_ELEMENTS)) for a in z]
        x[np.arange(len(z)), slots] = 1.0
        x[:, -1] = degree / 4.0
        length = np.repeat(dist[i, j], 2)
        edge_attr = np.exp(-((length[:, None] - np.array(_RBF_CENTERS)[None]) ** 2) / 0.125).astype(np.float32)
        return [Data(x=torch.from_numpy(x), edge_index=torch.from_numpy(edges.astype(np.int64)).reshape(2, -1),
                     edge_attr=torch.from_numpy(edge_attr).reshape(-1, self.dims.bond_dim),
                     z=torch.from_numpy(z), pos=torch.from_numpy(pos.astype(np.float32)))]


def tiny_graphs(hydrogens: bool = False) -> list["Data"]:
    """``TinyGraphFeaturizer`` graphs of the ``tiny_table_3d`` molecules (methane and water are single atoms
    without hydrogens)."""
    featurizer = TinyGraphFeaturizer(hydrogens)
    return [g for rec in tiny_table_3d().records for g in featurizer.featurize(rec)]
