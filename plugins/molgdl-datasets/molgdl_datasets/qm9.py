"""QM9 (B3LYP/6-31G(2df,p) geometries and properties) in PyG's 19-target convention.

Targets, in PyG's order: ``mu, alpha, homo, lumo, gap, r2, zpve, U0, U, H, G, Cv, U0_atom, U_atom, H_atom,
G_atom, A, B, C``. Energies (``homo, lumo, gap, zpve, U0, U, H, G`` and the ``*_atom`` targets) are in eV
(QM9's Hartree x 27.211386246); ``X_atom = X - sum_i atomref[z_i, X]`` (atomization energy, with QM9's
atom reference energies from ``atomref.txt``). Other units: mu Debye, alpha bohr^3, r2 bohr^2,
Cv cal/(mol K), A/B/C GHz.

Sources:

- ``bundled``: ``data/qm9_first3000.npz``, the first 3000 molecules (in file order) of the project's
  20k random subset of QM9 (see ``data/LICENSES.md``). Methane (QM9 id 1) is not among them.
- ``npz``: a user ``.npz`` file in the bundled slice's layout (e.g. the project's 20k subset
  ``qm9_subset_20k.npz``), read by the same code as the bundled slice (:func:`load_npz`). Required arrays:
  ``ptr`` [M+1] (or ``n_atoms`` [M]), ``z`` [A], ``pos`` [A, 3] Å and the raw properties the requested
  targets need (in QM9's units: energies in Hartree); optional: ``index`` [M] (QM9 ids, default 1..M),
  ``smiles`` [M], ``atomref`` [>=10, k] with ``atomref_columns`` [k] (default: :data:`QM9_ATOMREF_HARTREE`).
  Other arrays (``inchi``, ``mulliken_charges``, ...) are not read.
- ``pyg``: ``torch_geometric.datasets.QM9(root)`` (downloads about 130,831 molecules on first use, needs the
  network; later runs read ``root``). PyG's ``y`` [1, 19] is already in this module's order and units
  (PyG's ``*_atom`` columns 12-15 are MoleculeNet's atomization energies in kcal/mol converted to eV), so it
  is used as is (float32 -> float64); ids from ``data.name``, SMILES from ``data.smiles`` (see
  :mod:`molgdl_datasets.qm9_pyg`).
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
import zipfile
from importlib import resources
from pathlib import Path
from typing import Mapping

import numpy as np

from molgdl.data import MoleculeRecord, MoleculeTable
from molgdl.errors import DataError
from molgdl_datasets._util import existing_file
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


def load_bundled(limit: int | None = None, names: list[str] | None = None) -> dict[str, np.ndarray]:
    """Arrays of the bundled slice (see :func:`load_npz`)."""
    ref = resources.files("molgdl_datasets") / "data" / BUNDLED_FILE
    with resources.as_file(ref) as path:
        return load_npz(path, names, limit, where=f"bundled QM9 file {path}")


#: Arrays of the npz layout every file must hold (``ptr`` may be replaced by ``n_atoms``).
NPZ_REQUIRED: tuple[str, ...] = ("ptr", "z", "pos")
NPZ_OPTIONAL: tuple[str, ...] = ("index", "smiles", "atomref", "atomref_columns")


def load_npz(
    path: str | Path,
    names: list[str] | None = None,
    limit: int | None = None,
    where: str | None = None,
) -> dict[str, np.ndarray]:
    """Read a QM9 ``.npz`` in the bundled layout (only the arrays needed are read).

    Args:
        path: the ``.npz`` file (already checked to exist).
        names: requested targets; None reads all 15 raw properties.
        limit: keep only the first N molecules.
    Returns:
        ``index`` [M] int64, ``ptr`` [M+1] int64, ``z`` [A] int64, ``pos`` [A, 3] float64 Å, ``smiles`` [M]
        str (or absent), the raw properties [M] float64 (QM9 units, energies in Hartree), ``atomref``
        [R, k] float64 Hartree with ``atomref_columns`` [k].
    """
    where = where or f"QM9 npz {path}"
    props = list(RAW_PROPERTIES) if names is None else _needed(names)
    if not zipfile.is_zipfile(path):
        raise DataError(
            f"{where}: not a numpy .npz archive (an .npz is a zip file of named arrays)",
            hint="`source: npz` expects a file written by numpy.savez / savez_compressed in the layout of "
            "the bundled qm9_first3000.npz (see docs/datasets.md)",
        )
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(
            f"{where}: cannot read it as a numpy .npz archive ({type(exc).__name__}: {exc})",
            hint="`source: npz` expects a file written by numpy.savez / savez_compressed in the layout of "
            "the bundled qm9_first3000.npz (see docs/datasets.md)",
        ) from None
    with npz:
        files = set(npz.files)
        wanted = [k for k in NPZ_REQUIRED if not (k == "ptr" and "ptr" not in files and "n_atoms" in files)]
        missing = [k for k in (*wanted, *props) if k not in files]
        if missing:
            raise DataError(
                f"{where}: missing arrays {missing} (found: {sorted(files)})",
                hint="a QM9 npz needs ptr (or n_atoms), z, pos and the raw property arrays of the requested "
                f"targets ({', '.join(props)}; energies in Hartree), as in the bundled qm9_first3000.npz",
            )
        try:
            arrays = {k: npz[k] for k in (*wanted, *props, *NPZ_OPTIONAL, "n_atoms") if k in files}
        except ValueError as exc:  # object arrays would need pickle
            raise DataError(
                f"{where}: an array cannot be read without pickle ({exc})",
                hint="store strings as fixed-width unicode (numpy dtype '<U..'), not as Python objects",
            ) from None
    if "ptr" not in arrays:
        arrays["ptr"] = np.concatenate([[0], np.cumsum(arrays["n_atoms"])])
    arrays.pop("n_atoms", None)
    arrays["ptr"] = np.asarray(arrays["ptr"], dtype=np.int64)
    arrays["z"] = np.asarray(arrays["z"]).astype(np.int64).reshape(-1)
    arrays["pos"] = np.asarray(arrays["pos"], dtype=np.float64)
    _check_layout(arrays, props, where)
    m = len(arrays["ptr"]) - 1
    if "index" in arrays:
        arrays["index"] = np.asarray(arrays["index"], dtype=np.int64)
    else:
        arrays["index"] = np.arange(1, m + 1, dtype=np.int64)
    if "atomref" in arrays:
        ref = np.asarray(arrays["atomref"], dtype=np.float64)
        arrays["atomref"] = ref if ref.ndim == 2 else ref.reshape(len(ref), -1)
        cols = arrays.get("atomref_columns")
        k = arrays["atomref"].shape[1]
        if cols is None or np.ndim(cols) != 1 or len(cols) != k:
            raise DataError(
                f"{where}: 'atomref' [{len(ref)}, {k}] needs 'atomref_columns' naming its {k} columns",
                hint="add atomref_columns=['U0', 'U', 'H', 'G', ...], or drop atomref to use QM9's "
                "atomref.txt",
            )
        arrays["atomref_columns"] = np.asarray([str(c) for c in cols])
    else:
        arrays["atomref"] = atomref_table()
        arrays["atomref_columns"] = np.asarray(ATOMREF_COLUMNS)
    for p in props:
        arrays[p] = np.asarray(arrays[p], dtype=np.float64)
    return _truncate(arrays, limit)


def _check_layout(arrays: dict[str, np.ndarray], props: list[str], where: str) -> None:
    ptr, z, pos = arrays["ptr"], arrays["z"], arrays["pos"]
    problems: list[str] = []
    if ptr.ndim != 1 or len(ptr) < 2 or ptr[0] != 0 or np.any(np.diff(ptr) < 1):
        problems.append("ptr must be [M+1] offsets starting at 0 and strictly increasing")
    elif ptr[-1] != len(z):
        problems.append(f"ptr[-1] = {int(ptr[-1])} but z has {len(z)} atoms")
    if pos.shape != (len(z), 3):
        problems.append(f"pos has shape {list(pos.shape)}, expected [{len(z)}, 3]")
    m = len(ptr) - 1
    for key in ("index", "smiles", *props):
        if key in arrays and np.shape(arrays[key]) != (m,):
            shape = list(np.shape(arrays[key]))
            problems.append(f"{key} has shape {shape}, expected [{m}] (one per molecule)")
    if problems:
        raise DataError(
            f"{where}: inconsistent QM9 layout: " + "; ".join(problems),
            hint="atoms of molecule i are z[ptr[i]:ptr[i+1]], pos[ptr[i]:ptr[i+1]] (Å); per-molecule arrays "
            "have one entry per molecule",
        )


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


def qm9_table(
    targets: list[str],
    source: str = "bundled",
    limit: int | None = None,
    path: str | None = None,
    root: str | None = None,
) -> MoleculeTable:
    """QM9 molecules (with DFT geometries) and the requested PyG-convention targets.

    Args:
        source: ``bundled``, ``npz`` (needs ``path``), ``qm9pack`` or ``pyg`` (``root``, default
            :data:`molgdl_datasets.qm9_pyg.DEFAULT_ROOT`).
    Shapes:
        record.z ``[n_atoms]`` int64 (H included), record.pos ``[n_atoms, 3]`` float64 Å;
        targets ``[M, len(targets)]`` float64 (energies in eV).
    """
    unknown = [t for t in targets if t not in QM9_TARGETS]
    if unknown:
        raise DataError(f"unknown QM9 targets {unknown}", hint=f"choose from {', '.join(QM9_TARGETS)}")
    if source == "pyg":
        from molgdl_datasets.qm9_pyg import pyg_qm9_table

        return pyg_qm9_table(list(targets), root=root, limit=limit)
    if source == "bundled":
        arrays = load_bundled(limit, list(targets))
        label = f"bundled:qm9 ({BUNDLED_FILE})"
    elif source == "npz":
        if not path:
            raise DataError("QM9 `source: npz` needs `path`", hint="set `path:` to the .npz file")
        file = existing_file(path, "QM9 npz")
        arrays = load_npz(file, list(targets), limit, where=f"QM9 npz {file}")
        label = f"qm9 npz ({file})"
    elif source == "qm9pack":
        arrays = load_qm9pack(targets, limit)
        label = "qm9pack (full QM9, 130,831 molecules)"
    else:
        raise DataError(f"unknown QM9 source {source!r}", hint="use 'bundled', 'npz', 'qm9pack' or 'pyg'")
    atomref_cols = tuple(str(c) for c in arrays["atomref_columns"])
    missing_ref = [
        _ATOM_TARGETS[t] for t in targets if t in _ATOM_TARGETS and _ATOM_TARGETS[t] not in atomref_cols
    ]
    if missing_ref:
        raise DataError(
            f"{label}: atomref has no column for {missing_ref} (atomref_columns: {list(atomref_cols)})",
            hint="add the column to atomref / atomref_columns, or drop atomref to use QM9's atomref.txt",
        )
    if int(arrays["z"].max()) >= arrays["atomref"].shape[0] and any(t in _ATOM_TARGETS for t in targets):
        raise DataError(
            f"{label}: atomic number {int(arrays['z'].max())} has no atom reference energy "
            f"(atomref has {arrays['atomref'].shape[0]} rows, row = Z)",
            hint="QM9 holds H, C, N, O, F only; extend atomref to the elements of the file",
        )
    y = qm9_targets(arrays, arrays["z"], arrays["ptr"], arrays["atomref"], list(targets), atomref_cols)
    ptr = arrays["ptr"]
    smiles = arrays.get("smiles")
    records = [
        MoleculeRecord(
            id=f"gdb_{int(arrays['index'][i])}",
            smiles=None if smiles is None else str(smiles[i]),
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
