"""Molecule-level descriptors: the RDKit 2D descriptor set and Morgan fingerprints.

Both objects keep only plain data (names, integers) so that they pickle into worker processes; the RDKit
callables and the fingerprint generator are rebuilt lazily in each process.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
from rdkit.Chem import Descriptors, rdFingerprintGenerator

from molgdl.data import MoleculeRecord
from molgdl_rdkit.molecule import mol_from_record
from molgdl_rdkit.params import MorganParams


#: Descriptors whose raw values are too heavy-tailed for float32 or for a z-score, with the transform applied
#: and the column name it is reported under. ``Ipc`` (Bonchev-Trinajstic information content of the
#: characteristic polynomial) grows exponentially with size: median 4e6 on drug-like molecules, above
#: float32's 3.4e38 for about 1 in 600 ChEMBL assay molecules (8.5e118 seen). ``log1p`` keeps its order.
TRANSFORMS: dict[str, tuple[str, Callable[[float], float]]] = {
    "Ipc": ("Ipc_log1p", math.log1p),
}


class RDKit2DDescriptors:
    """The RDKit 2D descriptors (``rdkit.Chem.Descriptors._descList``), all of them in that order, or only
    ``params.names`` in the order given, with the transforms of ``TRANSFORMS`` applied (``Ipc`` is reported as
    ``Ipc_log1p``). Only the listed descriptors are computed, so a subset costs only what its members cost.

    ``compute`` returns float64 ``[len(names)]``; a descriptor that raises, or returns NaN/inf, gives NaN.
    """

    #: part of the feature-cache key: bump when values change (2: Ipc -> log1p(Ipc))
    version = "2"

    def __init__(self, params: Any = None, *, component: str = "rdkit2d") -> None:
        wanted = getattr(params, "names", None)
        self.raw_names: list[str] = ([name for name, _ in Descriptors._descList] if wanted is None
                                     else [_raw_name(n, component) for n in wanted])
        self.names: list[str] = [TRANSFORMS[n][0] if n in TRANSFORMS else n for n in self.raw_names]
        self._functions: list | None = None

    def _callables(self) -> list:
        if self._functions is None:
            table = dict(Descriptors._descList)
            self._functions = [_transformed(table[name], TRANSFORMS[name][1]) if name in TRANSFORMS else table[name]
                               for name in self.raw_names]
        return self._functions

    def compute(self, record: MoleculeRecord) -> np.ndarray:
        mol = mol_from_record(record)
        values = np.full(len(self.names), np.nan, dtype=np.float64)
        for i, function in enumerate(self._callables()):
            try:
                values[i] = function(mol)
            except Exception:  # noqa: BLE001 - RDKit descriptors raise assorted errors on odd molecules
                continue  # the value stays NaN: imputed/zeroed downstream
        values[~np.isfinite(values)] = np.nan
        return values

    def __getstate__(self) -> dict[str, Any]:
        return {"names": self.names, "raw_names": self.raw_names}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.names = state["names"]
        self.raw_names = state["raw_names"]
        self._functions = None


def _raw_name(name: str, component: str) -> str:
    """The ``_descList`` name of a descriptor named in a config (``Ipc_log1p`` -> ``Ipc``); ConfigError otherwise."""
    import difflib

    from molgdl.errors import ConfigError

    known = [n for n, _ in Descriptors._descList]
    reported = {TRANSFORMS[n][0]: n for n in known if n in TRANSFORMS}
    if name in known or name in reported:
        return reported.get(name, name)
    close = difflib.get_close_matches(name, known + list(reported), n=3)
    raise ConfigError(f"descriptors: {component} has no descriptor named {name!r} (in its names list)",
                      hint=(f"did you mean {' or '.join(map(repr, close))}? " if close else "")
                      + f"the {len(known)} names are those of rdkit.Chem.Descriptors._descList")


#: ``rdkit2d_fast`` leaves out these descriptors, the costly ones, measured by ``benchmarks/descriptors/cost.py``
#: on 1,000 MOSES molecules: every descriptor whose cost when computed alone (so that it pays for the work it
#: shares with its family: the EState indices and VSA bins, the Crippen contributions behind MolLogP, MolMR and
#: SlogP_VSA, the BCUT matrices, QED, BertzCT, Ipc, SPS) is more than FAST_LIMIT_SHARE of the summed stand-alone
#: cost of all descriptors. The report applies the rule to its own measurement and names any descriptor it would
#: move. Bump ``RDKit2DFastDescriptors.version`` when this list changes.
FAST_LIMIT_SHARE = 0.0065
FAST_EXCLUDED: tuple[str, ...] = (
    'MaxAbsEStateIndex', 'MaxEStateIndex', 'MinAbsEStateIndex', 'MinEStateIndex', 'qed', 'SPS', 'BCUT2D_MWHI',
    'BCUT2D_MWLOW', 'BCUT2D_CHGHI', 'BCUT2D_CHGLO', 'BCUT2D_LOGPHI', 'BCUT2D_LOGPLOW', 'BCUT2D_MRHI', 'BCUT2D_MRLOW',
    'AvgIpc', 'BertzCT', 'Ipc', 'SMR_VSA1', 'SMR_VSA10', 'SMR_VSA2', 'SMR_VSA3', 'SMR_VSA4', 'SMR_VSA5', 'SMR_VSA6',
    'SMR_VSA7', 'SMR_VSA8', 'SMR_VSA9', 'SlogP_VSA1', 'SlogP_VSA10', 'SlogP_VSA11', 'SlogP_VSA12', 'SlogP_VSA2',
    'SlogP_VSA3', 'SlogP_VSA4', 'SlogP_VSA5', 'SlogP_VSA6', 'SlogP_VSA7', 'SlogP_VSA8', 'SlogP_VSA9', 'EState_VSA1',
    'EState_VSA10', 'EState_VSA11', 'EState_VSA2', 'EState_VSA3', 'EState_VSA4', 'EState_VSA5', 'EState_VSA6',
    'EState_VSA7', 'EState_VSA8', 'EState_VSA9', 'VSA_EState1', 'VSA_EState10', 'VSA_EState2', 'VSA_EState3',
    'VSA_EState4', 'VSA_EState5', 'VSA_EState6', 'VSA_EState7', 'VSA_EState8', 'VSA_EState9', 'MolLogP', 'MolMR',
)


def fast_names() -> list[str]:
    """The ``_descList`` names of ``rdkit2d_fast``, in ``_descList`` order."""
    return [name for name, _ in Descriptors._descList if name not in FAST_EXCLUDED]


class RDKit2DFastDescriptors(RDKit2DDescriptors):
    """``rdkit2d_fast``: the RDKit 2D descriptors without the costly ones (``FAST_EXCLUDED``)."""

    #: part of the feature-cache key: bump when values or FAST_EXCLUDED change
    version = "1"

    def __init__(self, params: Any = None) -> None:
        from molgdl_rdkit.params import RDKit2DParams

        super().__init__(RDKit2DParams(names=fast_names()), component="rdkit2d_fast")


def _transformed(function: Callable, transform: Callable[[float], float]) -> Callable:
    def compute(mol):
        return transform(function(mol))

    return compute


class MorganFingerprint:
    """Morgan (ECFP-like) fingerprint from ``rdFingerprintGenerator.GetMorganGenerator(radius, fpSize)``.

    ``compute`` returns float64 ``[n_bits]``: 0/1 bits, or counts when ``counts`` is true.
    """

    def __init__(self, params: MorganParams | None = None) -> None:
        params = params or MorganParams()
        self.radius = params.radius
        self.n_bits = params.n_bits
        self.counts = params.counts
        self.names: list[str] = [
            f"morgan{'_count' if self.counts else ''}_r{self.radius}_{i}" for i in range(self.n_bits)
        ]
        self._generator = None

    def _gen(self):
        if self._generator is None:
            self._generator = rdFingerprintGenerator.GetMorganGenerator(
                radius=self.radius, fpSize=self.n_bits
            )
        return self._generator

    def compute(self, record: MoleculeRecord) -> np.ndarray:
        mol = mol_from_record(record)
        if self.counts:
            return self._gen().GetCountFingerprintAsNumPy(mol).astype(np.float64)
        return self._gen().GetFingerprintAsNumPy(mol).astype(np.float64)

    def atom_environments(self, record: MoleculeRecord) -> dict[int, list[tuple[int, ...]]]:
        """Column -> atom indices (of ``mol_from_record(record)``) of every occurrence of the Morgan
        environment behind it (``molgdl_rdkit.atom_map``)."""
        from molgdl_rdkit.atom_map import environments

        return environments(self._gen(), "morgan", mol_from_record(record), self.counts)

    def __getstate__(self) -> dict[str, Any]:
        return {"radius": self.radius, "n_bits": self.n_bits, "counts": self.counts, "names": self.names}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._generator = None
