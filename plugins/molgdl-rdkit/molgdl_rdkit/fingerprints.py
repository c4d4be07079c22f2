"""Fingerprint descriptor sets: ECFP/FCFP, atom pairs, topological torsions, RDKit paths, MACCS, Avalon.

Every set gives a float64 vector ``[n_bits]`` of 0/1 bits, or of non-negative integer counts when
``counts`` is true (MACCS: 167 bits, never counts). All but MACCS and Avalon come from
``rdkit.Chem.rdFingerprintGenerator``. The objects keep only plain data so they pickle into worker
processes; the RDKit generator is rebuilt lazily in each process.

=============  ==========================================================  =============================
name           RDKit                                                       reference
=============  ==========================================================  =============================
``ecfp``       ``GetMorganGenerator`` (connectivity invariants)            Rogers & Hahn 2010
``fcfp``       ``GetMorganGenerator`` + ``GetMorganFeatureAtomInvGen``     Rogers & Hahn 2010
``atompair``   ``GetAtomPairGenerator``                                    Carhart et al. 1985
``torsion``    ``GetTopologicalTorsionGenerator``                          Nilakantan et al. 1987
``rdkit_path`` ``GetRDKitFPGenerator``                                     RDKit (Daylight-like)
``maccs``      ``MACCSkeys.GenMACCSKeys`` (167 keys, bit 0 unused)         MDL MACCS keys
``avalon``     ``pyAvalonTools.GetAvalonFP`` / ``GetAvalonCountFP``        Gedeck et al. 2006
=============  ==========================================================  =============================
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from molgdl.data import MoleculeRecord
from molgdl_rdkit.molecule import mol_from_record

MACCS_BITS = 167


def _generator(kind: str, s: dict[str, Any]):
    """The ``rdFingerprintGenerator`` generator of ``kind`` with settings ``s`` (a params dump)."""
    from rdkit.Chem import rdFingerprintGenerator as rfg

    if kind in ("ecfp", "fcfp"):
        extra = {"atomInvariantsGenerator": rfg.GetMorganFeatureAtomInvGen()} if kind == "fcfp" else {}
        return rfg.GetMorganGenerator(radius=s["radius"], fpSize=s["n_bits"], includeChirality=s["chirality"],
                                      **extra)
    if kind == "atompair":
        return rfg.GetAtomPairGenerator(minDistance=s["min_distance"], maxDistance=s["max_distance"],
                                        countSimulation=s["count_simulation"], fpSize=s["n_bits"])
    if kind == "torsion":
        return rfg.GetTopologicalTorsionGenerator(torsionAtomCount=s["atom_count"],
                                                  countSimulation=s["count_simulation"], fpSize=s["n_bits"])
    if kind == "rdkit_path":
        return rfg.GetRDKitFPGenerator(minPath=s["min_path"], maxPath=s["max_path"],
                                       branchedPaths=s["branched"], fpSize=s["n_bits"])
    raise ValueError(f"no fingerprint generator for {kind!r}")


def _compute_fn(kind: str, s: dict[str, Any]) -> Callable[[Any], np.ndarray]:
    """``mol -> vector`` for ``kind``."""
    if kind == "maccs":
        from rdkit.Chem import MACCSkeys

        return lambda mol: np.array(MACCSkeys.GenMACCSKeys(mol), dtype=np.float64)
    if kind == "avalon":
        from rdkit.Avalon import pyAvalonTools

        if s["counts"]:
            n = s["n_bits"]
            return lambda mol: _sparse_counts(pyAvalonTools.GetAvalonCountFP(mol, nBits=n), n)
        return lambda mol: np.array(pyAvalonTools.GetAvalonFP(mol, nBits=s["n_bits"]), dtype=np.float64)
    gen = _generator(kind, s)
    if s["counts"]:
        return lambda mol: gen.GetCountFingerprintAsNumPy(mol).astype(np.float64)
    return lambda mol: gen.GetFingerprintAsNumPy(mol).astype(np.float64)


def _sparse_counts(fp, n_bits: int) -> np.ndarray:
    out = np.zeros(n_bits, dtype=np.float64)
    for index, count in fp.GetNonzeroElements().items():
        out[index] = count
    return out


class Fingerprint:
    """One fingerprint set ``kind`` (a name in the table above) with its params.

    ``names``: ``<kind>[_count]_<i>`` (ECFP/FCFP: ``<kind>[_count]_r<radius>_<i>``); ``compute`` returns
    float64 ``[len(names)]``.
    """

    def __init__(self, kind: str, params: Any = None) -> None:
        self.kind = kind
        self.settings: dict[str, Any] = params.model_dump() if params is not None else {}
        counts = bool(self.settings.get("counts", False))
        n_bits = MACCS_BITS if kind == "maccs" else int(self.settings["n_bits"])
        radius = f"_r{self.settings['radius']}" if "radius" in self.settings else ""
        self.names: list[str] = [f"{kind}{'_count' if counts else ''}{radius}_{i}" for i in range(n_bits)]
        self._fn: Callable[[Any], np.ndarray] | None = None

    def compute(self, record: MoleculeRecord) -> np.ndarray:
        if self._fn is None:
            self._fn = _compute_fn(self.kind, self.settings)
        return self._fn(mol_from_record(record))

    def __getstate__(self) -> dict[str, Any]:
        return {"kind": self.kind, "settings": self.settings, "names": self.names}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._fn = None


class MappedFingerprint(Fingerprint):
    """A fingerprint set whose columns can be traced back to atoms (``molgdl_rdkit.atom_map``): ECFP, FCFP,
    atom pairs, torsions, RDKit paths."""

    def atom_environments(self, record: MoleculeRecord) -> dict[int, list[tuple[int, ...]]]:
        """Column -> atom indices (of ``mol_from_record(record)``) of every occurrence of the feature."""
        from molgdl_rdkit.atom_map import environments

        gen = self.__dict__.get("_env_generator")
        if gen is None:  # not pickled (__getstate__ keeps plain data): rebuilt once per process
            gen = self._env_generator = _generator(self.kind, self.settings)
        return environments(gen, self.kind, mol_from_record(record), bool(self.settings.get("counts", False)))


def build_fingerprint(kind: str, params: Any) -> Fingerprint:
    """Factory behind every fingerprint descriptor spec of ``hooks.py`` (MACCS and Avalon have no atom
    mapping; the others are ``MappedFingerprint``)."""
    from molgdl_rdkit.atom_map import MAPPED_KINDS

    return (MappedFingerprint if kind in MAPPED_KINDS else Fingerprint)(kind, params)
