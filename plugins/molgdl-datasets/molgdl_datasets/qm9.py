"""QM9 (B3LYP/6-31G(2df,p) geometries and properties) in PyG's 19-target convention.

Targets, in PyG's order: ``mu, alpha, homo, lumo, gap, r2, zpve, U0, U, H, G, Cv, U0_atom, U_atom, H_atom,
G_atom, A, B, C``. Energies (``homo, lumo, gap, zpve, U0, U, H, G`` and the ``*_atom`` targets) are in eV
(QM9's Hartree x 27.211386246); ``X_atom = X - sum_i atomref[z_i, X]`` (atomization energy, with QM9's
atom reference energies from ``atomref.txt``). Other units: mu Debye, alpha bohr^3, r2 bohr^2,
Cv cal/(mol K), A/B/C GHz.

Sources:

- ``bundled``: ``data/qm9_first3000.npz``, the first 3000 molecules (in file order) of the project's
  20k random subset of QM9 (see ``data/LICENSES.md``). Methane (QM9 id 1) is not among them.
- ``qm9pack``: the full 130,831 molecules shipped as ``qm9pack/data/qm9_part{1,2,3}.csv`` by the optional
  PyPI package ``qm9pack`` (MIT). Its package ``__init__`` is not imported (it parses ``sys.argv``); the
  CSVs are located with ``importlib.util.find_spec`` and read with pandas. Columns are matched by name,
  tolerant of case and of spelling variants (e.g. ``Enthalphy_298K_au``, ``ZOVE_au``): ``Index``,
  ``SMILES``, ``Elements`` (a list of symbols written as text), ``XYZ_Ang`` (the flat list of coordinates
  in Å written as text) and one column per property (``HOMO_au``, ``InternalEnergy_0K_au``, ...).
  Atom reference energies come from :data:`QM9_ATOMREF_HARTREE` (qm9pack does not ship them).
  Parsing all 130,831 rows takes a while (expected tens of seconds) at every load; only the featurization
  is cached (by the core). This path was written from qm9pack's documentation and source without the
  package installed: ``tests/plugins/datasets`` checks it on a stand-in package with that layout.
"""

from __future__ import annotations

import importlib.util
import re
from importlib import resources
from pathlib import Path
from typing import Mapping

import numpy as np

from molgdl.data import MoleculeRecord, MoleculeTable
from molgdl.errors import DataError
from molgdl_datasets.params import QM9_TARGETS

HARTREE_TO_EV = 27.211386246

#: Properties stored per molecule (the 15 raw QM9 columns), with their units as stored (Hartree, ...).
RAW_PROPERTIES: tuple[str, ...] = (
    "A", "B", "C", "mu", "alpha", "homo", "lumo", "gap", "r2", "zpve", "U0", "U", "H", "G", "Cv",
)  # fmt: skip
_IN_HARTREE = frozenset({"homo", "lumo", "gap", "zpve", "U0", "U", "H", "G"})
_ATOM_TARGETS = {"U0_atom": "U0", "U_atom": "U", "H_atom": "H", "G_atom": "G"}

#: Units of every target as returned (after conversion).
QM9_UNITS: dict[str, str] = {
    "mu": "D", "alpha": "bohr^3", "homo": "eV", "lumo": "eV", "gap": "eV", "r2": "bohr^2", "zpve": "eV",
    "U0": "eV", "U": "eV", "H": "eV", "G": "eV", "Cv": "cal/(mol K)",
    "U0_atom": "eV", "U_atom": "eV", "H_atom": "eV", "G_atom": "eV", "A": "GHz", "B": "GHz", "C": "GHz",
}  # fmt: skip

#: QM9 atom reference energies (Hartree) from QM9's ``atomref.txt``: Z -> (U0, U, H, G).
QM9_ATOMREF_HARTREE: dict[int, tuple[float, float, float, float]] = {
    1: (-0.500273, -0.498857, -0.497912, -0.510927),
    6: (-37.846772, -37.845355, -37.844411, -37.861317),
    7: (-54.583861, -54.582445, -54.581501, -54.598897),
    8: (-75.064579, -75.063163, -75.062219, -75.079532),
    9: (-99.718730, -99.717314, -99.716370, -99.733544),
}
ATOMREF_COLUMNS: tuple[str, ...] = ("U0", "U", "H", "G")

BUNDLED_FILE = "qm9_first3000.npz"


def atomref_table() -> np.ndarray:
    """``[10, 4]`` float64 atom reference energies (Hartree), row = Z, columns U0, U, H, G."""
    table = np.zeros((10, 4), dtype=np.float64)
    for z, values in QM9_ATOMREF_HARTREE.items():
        table[z] = values
    return table


def qm9_targets(
    props: Mapping[str, np.ndarray],
    z: np.ndarray,
    ptr: np.ndarray,
    atomref: np.ndarray,
    names: list[str],
    atomref_columns: tuple[str, ...] = ATOMREF_COLUMNS,
) -> np.ndarray:
    """Compute PyG-convention targets.

    Args:
        props: raw QM9 arrays ``[M]`` (energies in Hartree), keys from :data:`RAW_PROPERTIES`.
        z: ``[A]`` atomic numbers of all molecules, concatenated; ptr: ``[M + 1]`` offsets into ``z``.
        atomref: ``[max_Z + 1, len(atomref_columns)]`` atom reference energies (Hartree).
        names: targets from :data:`molgdl_datasets.params.QM9_TARGETS`.
    Returns:
        ``[M, len(names)]`` float64, energies in eV.
    """
    m = len(ptr) - 1
    counts = np.diff(ptr)
    mol_of_atom = np.repeat(np.arange(m), counts)
    out = np.empty((m, len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        if name in _ATOM_TARGETS:
            base = _ATOM_TARGETS[name]
            col = list(atomref_columns).index(base)
            ref = np.bincount(mol_of_atom, weights=atomref[z, col], minlength=m)
            out[:, j] = (np.asarray(props[base], dtype=np.float64) - ref) * HARTREE_TO_EV
        else:
            values = np.asarray(props[name], dtype=np.float64)
            out[:, j] = values * HARTREE_TO_EV if name in _IN_HARTREE else values
    return out


def _needed(names: list[str]) -> list[str]:
    return sorted({_ATOM_TARGETS.get(n, n) for n in names})


def load_bundled(limit: int | None = None) -> dict[str, np.ndarray]:
    """Arrays of the bundled slice: index [M], ptr [M+1], z [A] int64, pos [A,3] float64 Å, smiles [M],
    the raw properties [M] and atomref [10, 5] (columns ``atomref_columns``)."""
    ref = resources.files("molgdl_datasets") / "data" / BUNDLED_FILE
    with resources.as_file(ref) as path, np.load(path) as d:
        arrays = {k: d[k] for k in d.files}
    arrays["z"] = arrays["z"].astype(np.int64)
    arrays["pos"] = arrays["pos"].astype(np.float64)
    arrays["atomref_columns"] = np.asarray([str(c) for c in arrays["atomref_columns"]])
    return _truncate(arrays, limit)


def _truncate(arrays: dict[str, np.ndarray], limit: int | None) -> dict[str, np.ndarray]:
    m = len(arrays["ptr"]) - 1
    if limit is None or limit >= m:
        return arrays
    n_atoms = int(arrays["ptr"][limit])
    out = dict(arrays)
    out["ptr"] = arrays["ptr"][: limit + 1]
    out["z"] = arrays["z"][:n_atoms]
    out["pos"] = arrays["pos"][:n_atoms]
    for key in ("index", "smiles", *RAW_PROPERTIES):
        if key in arrays:
            out[key] = arrays[key][:limit]
    return out


# ---------------------------------------------------------------- qm9pack (optional, full QM9)

_QM9PACK_COLUMNS: dict[str, tuple[str, ...]] = {
    "index": ("Index",),
    "elements": ("Elements",),
    "xyz": ("XYZ_Ang", "XYZ_Angstrom", "XYZ"),
    "A": ("RotA_GHz", "A"),
    "B": ("RotB_GHz", "B"),
    "C": ("RotC_GHz", "C"),
    "mu": ("Dipole_debye", "mu"),
    "alpha": ("Polarizability_bohr3", "alpha"),
    "homo": ("HOMO_au", "homo"),
    "lumo": ("LUMO_au", "lumo"),
    "gap": ("HOMO_LUMO_gap_au", "gap_au", "gap"),
    "r2": ("R2_bohr2", "r2"),
    "zpve": ("ZPVE_au", "ZOVE_au", "zpve"),
    "U0": ("InternalEnergy_0K_au", "U0"),
    "U": ("InternalEnergy_298K_au", "U"),
    "H": ("Enthalpy_298K_au", "Enthalphy_298K_au", "H"),
    "G": ("GibbsFreeEnergy_298K_au", "G"),
    "Cv": ("Heatcapacity_Cv_cal_mol_K", "Cv"),
}
_FLOAT = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
_SYMBOL = re.compile(r"[A-Z][a-z]?")
_Z = {"H": 1, "C": 6, "N": 7, "O": 8, "F": 9}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _resolve_columns(columns: list[str], wanted: list[str], where: str) -> dict[str, str]:
    by_norm = {_norm(c): c for c in columns}
    out: dict[str, str] = {}
    for key in wanted:
        if key == "smiles":
            hits = [c for c in columns if _norm(c).startswith("smiles")]
            if hits:
                out[key] = hits[0]
                continue
        for cand in _QM9PACK_COLUMNS.get(key, ()):
            if _norm(cand) in by_norm:
                out[key] = by_norm[_norm(cand)]
                break
        if key not in out:
            raise DataError(
                f"{where}: cannot find the QM9 column for {key!r}; columns found: {columns}",
                hint="this qm9pack version has an unexpected layout: use `source: bundled`, or report "
                "the column names to the molgdl-datasets maintainers",
            )
    return out


def _find_qm9pack():
    """``importlib`` spec of the qm9pack package, or None (the package itself is not imported)."""
    try:
        return importlib.util.find_spec("qm9pack")
    except (ImportError, ValueError):
        return None


def qm9pack_folder() -> Path:
    """The ``data`` folder of an installed ``qm9pack`` (without importing the package)."""
    spec = _find_qm9pack()
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "the full QM9 (source: qm9pack) needs the optional package qm9pack, which is not installed",
            hint="run `pip install qm9pack` (about 60 MB download), or use `source: bundled` "
            "(3000 molecules shipped with molgdl-datasets)",
        )
    folder = Path(list(spec.submodule_search_locations)[0]) / "data"
    missing = [f"qm9_part{k}.csv" for k in (1, 2, 3) if not (folder / f"qm9_part{k}.csv").is_file()]
    if missing:
        raise DataError(
            f"qm9pack is installed but {folder} lacks {missing}",
            hint="reinstall it with `pip install --force-reinstall qm9pack`",
        )
    return folder


def load_qm9pack(names: list[str], limit: int | None = None) -> dict[str, np.ndarray]:
    """Read the full QM9 from qm9pack's CSVs into the bundled layout (see :func:`load_bundled`)."""
    import pandas as pd

    folder = qm9pack_folder()
    props = _needed(names)
    chunks: list[pd.DataFrame] = []
    n_total = 0
    colmap: dict[str, str] = {}
    for k in (1, 2, 3):
        file = folder / f"qm9_part{k}.csv"
        header = [str(c) for c in pd.read_csv(file, nrows=0).columns]
        colmap = _resolve_columns(header, ["index", "smiles", "elements", "xyz", *props], f"qm9pack {file}")
        nrows = None if limit is None else limit - n_total
        df = pd.read_csv(file, usecols=list(colmap.values()), nrows=nrows)
        df = df.rename(columns={v: k2 for k2, v in colmap.items()})
        df.attrs["file"] = str(file)
        chunks.append(df)
        n_total += len(df)
        if limit is not None and n_total >= limit:
            break
    z_parts: list[np.ndarray] = []
    pos_parts: list[np.ndarray] = []
    counts: list[int] = []
    for df in chunks:
        for r, (elements, xyz) in enumerate(zip(df["elements"].astype(str), df["xyz"].astype(str))):
            symbols = _SYMBOL.findall(elements)
            coords = [float(v) for v in _FLOAT.findall(xyz.replace("*^", "e"))]
            if not symbols or len(coords) != 3 * len(symbols) or any(s not in _Z for s in symbols):
                raise DataError(
                    f"qm9pack {df.attrs['file']}, data row {r + 1}: cannot read the geometry "
                    f"({len(symbols)} elements, {len(coords)} coordinates)",
                    hint="use `source: bundled`; this qm9pack version stores geometries differently",
                )
            z_parts.append(np.array([_Z[s] for s in symbols], dtype=np.int64))
            pos_parts.append(np.asarray(coords, dtype=np.float64).reshape(-1, 3))
            counts.append(len(symbols))
    df_all = pd.concat(chunks, ignore_index=True)
    out: dict[str, np.ndarray] = {
        "index": df_all["index"].to_numpy(dtype=np.int64),
        "ptr": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        "z": np.concatenate(z_parts),
        "pos": np.concatenate(pos_parts),
        "smiles": df_all["smiles"].astype(str).str.strip().to_numpy(),
        "atomref": atomref_table(),
        "atomref_columns": np.asarray(ATOMREF_COLUMNS),
    }
    for p in props:
        out[p] = pd.to_numeric(df_all[p], errors="coerce").to_numpy(dtype=np.float64)
    return out


def qm9_table(targets: list[str], source: str = "bundled", limit: int | None = None) -> MoleculeTable:
    """QM9 molecules (with DFT geometries) and the requested PyG-convention targets.

    Shapes:
        record.z ``[n_atoms]`` int64 (H included), record.pos ``[n_atoms, 3]`` float64 Å;
        targets ``[M, len(targets)]`` float64 (energies in eV).
    """
    unknown = [t for t in targets if t not in QM9_TARGETS]
    if unknown:
        raise DataError(f"unknown QM9 targets {unknown}", hint=f"choose from {', '.join(QM9_TARGETS)}")
    if source == "bundled":
        arrays = load_bundled(limit)
        label = f"bundled:qm9 ({BUNDLED_FILE})"
    elif source == "qm9pack":
        arrays = load_qm9pack(targets, limit)
        label = "qm9pack (full QM9, 130,831 molecules)"
    else:
        raise DataError(f"unknown QM9 source {source!r}", hint="use 'bundled' or 'qm9pack'")
    atomref_cols = tuple(str(c) for c in arrays["atomref_columns"])
    y = qm9_targets(arrays, arrays["z"], arrays["ptr"], arrays["atomref"], list(targets), atomref_cols)
    ptr = arrays["ptr"]
    records = [
        MoleculeRecord(
            id=f"gdb_{int(arrays['index'][i])}",
            smiles=str(arrays["smiles"][i]),
            row=i + 1,
            z=arrays["z"][ptr[i] : ptr[i + 1]].copy(),
            pos=arrays["pos"][ptr[i] : ptr[i + 1]].copy(),
        )
        for i in range(len(ptr) - 1)
    ]
    return MoleculeTable(
        records=records,
        targets=y,
        target_names=list(targets),
        task="regression",
        source=label,
        invalid=[],
        n_read=len(records),
        units={t: QM9_UNITS[t] for t in targets},
    )
