"""The ``conformer3d`` featurizer: the ``graph2d`` features plus 3D coordinates ``pos`` (Å).

Given coordinates (``record.z``/``record.pos`` from SDF, XYZ, QM9) are used unchanged, with the graph from
``geometry.mol_for_geometry``. Otherwise conformers are embedded with ETKDGv3 (Riniker & Landrum, J. Chem.
Inf. Model. 2015, 55, 2562; Wang et al., J. Chem. Inf. Model. 2020, 60, 2044) and optimised with MMFF94
(UFF when MMFF lacks parameters).
"""

from __future__ import annotations

import math
import time

import numpy as np
import rdkit
from rdkit import Chem
from rdkit.Chem import rdDistGeom, rdForceFieldHelpers
from torch_geometric.data import Data

from molgdl.data import MoleculeRecord
from molgdl.errors import FeaturizationError
from molgdl.specs import FeatureDims
from molgdl_rdkit.features import ATOM_DIM, ATOM_FEATURES, BOND_DIM, BOND_FEATURES, mol_to_arrays
from molgdl_rdkit.geometry import check_geometry, mol_for_geometry
from molgdl_rdkit.graph2d import arrays_to_data
from molgdl_rdkit.molecule import mol_from_record, record_smiles, where
from molgdl_rdkit.params import Conformer3DParams

FEATURES_VERSION = "1"
_MAX_OPT_ITERS = 2000


class Conformer3DFeaturizer:
    """One ``Data`` per conformer: the ``graph2d`` features plus ``pos``.

    Shapes:
        ``x`` float32 [N, 50], ``edge_index`` int64 [2, 2M] (edge e and e ^ 1 are the two directions of one
        bond), ``edge_attr`` float32 [2M, 14], ``z`` int64 [N], ``pos`` float32 [N, 3] in Å.
        N counts hydrogens when ``add_hs`` is true (always when the record carries its own geometry).
    """

    atom_features = ATOM_FEATURES
    bond_features = BOND_FEATURES

    def __init__(self, params: Conformer3DParams | None = None) -> None:
        params = params or Conformer3DParams()
        self.seed = params.seed
        self.n_conformers = params.n_conformers
        self.add_hs = params.add_hs
        self.optimize = params.optimize
        self.max_attempts = params.max_attempts
        self.time_limit = params.time_limit_seconds
        self.dims = FeatureDims(atom_dim=ATOM_DIM, bond_dim=BOND_DIM, is_3d=True)
        self.version = f"conformer3d-{FEATURES_VERSION}+rdkit{rdkit.__version__}"

    def featurize(self, record: MoleculeRecord) -> list[Data]:
        if record.z is not None and record.pos is not None:
            z, pos = check_geometry(record)
            arrays = mol_to_arrays(mol_for_geometry(record, z, pos))
            return [arrays_to_data(*arrays[:3], z, pos)]
        mol = Chem.AddHs(mol_from_record(record))
        conf_ids = self._embed(mol, record)
        if not self.add_hs:
            mol = Chem.RemoveHs(mol)  # keeps the conformers (heavy-atom coordinates)
        x, edge_index, edge_attr, z = mol_to_arrays(mol)
        return [
            arrays_to_data(x, edge_index, edge_attr, z, mol.GetConformer(i).GetPositions().astype(np.float32))
            for i in conf_ids
        ]

    def _embed(self, mol: Chem.Mol, record: MoleculeRecord) -> list[int]:
        """Embed (and optimise) conformers of ``mol`` (hydrogens included) in place; their ids."""
        start = time.monotonic()
        params = rdDistGeom.ETKDGv3()
        params.randomSeed = self.seed
        params.maxIterations = self.max_attempts
        params.numThreads = 1
        params.timeout = self.time_limit  # RDKit's own limit (per conformer); the total is checked below
        conf_ids = [i for i in rdDistGeom.EmbedMultipleConfs(mol, self.n_conformers, params) if i >= 0]
        self._check_time(start, mol, record, "embedding", stopped_by_rdkit=not conf_ids)
        if not conf_ids:  # the usual rescue for strained or large molecules
            params.useRandomCoords = True
            params.timeout = max(1, math.ceil(self.time_limit - (time.monotonic() - start)))
            conf_ids = [i for i in rdDistGeom.EmbedMultipleConfs(mol, self.n_conformers, params) if i >= 0]
            self._check_time(start, mol, record, "embedding (random initial coordinates)")
        if not conf_ids:
            smiles = record_smiles(record) or "<molblock>"
            raise FeaturizationError(
                f"{where(record)}: conformer embedding failed for {smiles!r} (ETKDGv3, seed {self.seed}, "
                f"max_attempts {self.max_attempts}, also with random initial coordinates)",
                hint="check the structure (impossible stereo or ring strain); raise max_attempts; "
                "or provide 3D coordinates (SDF)",
            )
        if self.optimize:
            if rdForceFieldHelpers.MMFFHasAllMoleculeParams(mol):
                rdForceFieldHelpers.MMFFOptimizeMoleculeConfs(mol, numThreads=1, maxIters=_MAX_OPT_ITERS)
            elif rdForceFieldHelpers.UFFHasAllMoleculeParams(mol):
                rdForceFieldHelpers.UFFOptimizeMoleculeConfs(mol, numThreads=1, maxIters=_MAX_OPT_ITERS)
            self._check_time(start, mol, record, "force-field optimisation")
        return conf_ids

    def _check_time(self, start: float, mol: Chem.Mol, record: MoleculeRecord, step: str,
                    stopped_by_rdkit: bool = False) -> None:
        """``FeaturizationError`` (an invalid row) once the molecule has used up ``time_limit_seconds``
        (``stopped_by_rdkit``: an embedding that failed at about RDKit's own timeout counts as over it)."""
        spent = time.monotonic() - start
        if spent < (0.9 * self.time_limit if stopped_by_rdkit else self.time_limit):
            return
        smiles = record_smiles(record) or "<molblock>"
        raise FeaturizationError(
            f"{where(record)}: conformer generation for {smiles!r} ({mol.GetNumAtoms()} atoms with hydrogens) "
            f"stopped after {spent:.1f} s in {step}: over time_limit_seconds={self.time_limit}",
            hint="raise featurizer.time_limit_seconds, lower n_conformers, or provide 3D coordinates (SDF)",
        )

    def __repr__(self) -> str:
        return (
            f"Conformer3DFeaturizer(seed={self.seed}, n_conformers={self.n_conformers}, "
            f"add_hs={self.add_hs}, "
            f"optimize={self.optimize}, max_attempts={self.max_attempts}, time_limit_seconds={self.time_limit})"
        )
