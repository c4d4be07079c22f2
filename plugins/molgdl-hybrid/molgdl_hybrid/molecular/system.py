"""One molecule with hydrogens and its RDKit force fields (MMFF94 or UFF), evaluated at arbitrary positions.

RDKit builds a force field's terms from the topology (bonds, angles, torsions, atom types); the nonbonded
pair lists are cut at 100 Å (MMFF) or 10 x the vdW distance (UFF), so for molecules of a few dozen atoms the
force field is a function of the positions alone, whatever conformer it was built from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from molgdl.errors import ConfigError, DataError

FORCEFIELDS = ("mmff94", "uff")


@dataclass(frozen=True)
class MolecularSystem:
    """A molecule with explicit hydrogens.

    Attributes: smiles; mol (RDKit Mol with Hs); z :math:`(N)` atomic numbers; masses :math:`(N)` amu.
    """

    smiles: str
    mol: object = field(repr=False)
    z: np.ndarray = field(repr=False)
    masses: np.ndarray = field(repr=False)

    @property
    def num_atoms(self) -> int:
        return int(self.z.shape[0])

    @classmethod
    def from_smiles(cls, smiles: str) -> "MolecularSystem":
        from rdkit import Chem

        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            raise ConfigError(f"molecular solver: RDKit cannot parse the SMILES {smiles!r}",
                              hint="give a valid SMILES, e.g. CCO for ethanol")
        mol = Chem.AddHs(mol)
        z = np.array([a.GetAtomicNum() for a in mol.GetAtoms()], dtype=np.int64)
        masses = np.array([a.GetMass() for a in mol.GetAtoms()], dtype=np.float64)
        return cls(smiles, mol, z, masses)

    def embed(self, seed: int) -> np.ndarray:
        """A conformer from RDKit's ETKDG embedding with ``randomSeed=seed`` (deterministic), Å, :math:`(N, 3)`."""
        from rdkit import Chem
        from rdkit.Chem import AllChem

        mol = Chem.Mol(self.mol)
        if AllChem.EmbedMolecule(mol, randomSeed=int(seed)) != 0:
            raise DataError(f"molecular solver: RDKit could not embed {self.smiles!r} (seed {seed})",
                            hint="try another embed_seed")
        return np.array(mol.GetConformer().GetPositions(), dtype=np.float64)

    def forcefield(self, kind: str) -> "ForceField":
        return ForceField(self, kind)


class ForceField:
    """An RDKit force field of a :class:`MolecularSystem` (``kind``: ``mmff94`` or ``uff``), called on numpy
    positions; never differentiated by autograd.

    Shapes: x :math:`(N, 3)` Å -> energy float kcal/mol, forces :math:`(N, 3)` kcal/mol/Å.
    """

    def __init__(self, system: MolecularSystem, kind: str) -> None:
        from rdkit import Chem
        from rdkit.Chem import AllChem

        if kind not in FORCEFIELDS:
            raise ConfigError(f"molecular solver: unknown force field {kind!r}", hint=f"choose one of {FORCEFIELDS}")
        self.kind, self.system = kind, system
        mol = Chem.Mol(system.mol)
        AllChem.EmbedMolecule(mol, randomSeed=0)  # the force field needs a conformer; its terms do not depend on it
        if kind == "mmff94":
            props = AllChem.MMFFGetMoleculeProperties(mol)
            if props is None:
                raise DataError(f"molecular solver: MMFF94 has no parameters for {system.smiles!r}",
                                hint="use forcefield: uff")
            self._ff = AllChem.MMFFGetMoleculeForceField(mol, props)
        else:
            if not AllChem.UFFHasAllMoleculeParams(mol):
                raise DataError(f"molecular solver: UFF lacks parameters for {system.smiles!r}",
                                hint="use forcefield: mmff94")
            self._ff = AllChem.UFFGetMoleculeForceField(mol)
        self._mol = mol  # keeps the force field's molecule alive

    def energy(self, x: np.ndarray) -> float:
        return float(self._ff.CalcEnergy(np.asarray(x, dtype=np.float64).ravel().tolist()))

    def forces(self, x: np.ndarray) -> np.ndarray:
        # RDKit 2026.09: CalcGrad(pos) reuses terms cached by the last CalcEnergy call (its gradient at other
        # positions was off by up to 400 kcal/mol/Å against finite differences), so evaluate the energy first.
        pos = np.asarray(x, dtype=np.float64).ravel().tolist()
        self._ff.CalcEnergy(pos)
        return -np.asarray(self._ff.CalcGrad(pos), dtype=np.float64).reshape(-1, 3)

    def minimize(self, x: np.ndarray, max_iters: int = 2000) -> np.ndarray:
        """A local minimum (RDKit's BFGS) started from ``x``, Å, :math:`(N, 3)`."""
        conf = self._mol.GetConformer()
        for i, p in enumerate(np.asarray(x, dtype=np.float64)):
            conf.SetAtomPosition(i, p.tolist())
        self._ff.Initialize()
        self._ff.Minimize(maxIts=max_iters)
        return np.array(self._ff.Positions(), dtype=np.float64).reshape(-1, 3)
