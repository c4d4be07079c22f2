"""Plain-Python extended-XYZ reader (the ASE/extxyz layout of the rMD17 / 3BPA files; no ASE needed).

A frame is::

    <n_atoms>
    key=value key="quoted value" Properties=species:S:1:pos:R:3:forces:R:3 energy=-4209.46 pbc="F F F"
    <n_atoms lines, columns as declared by Properties>

``Properties`` lists ``name:type:ncols`` triples (types S string, R real, I integer, L logical); without
it the plain XYZ layout ``species:S:1:pos:R:3`` is assumed. The element column may be ``species``
(symbols or atomic numbers) or ``Z``/``numbers`` (integers). ``Lattice`` and ``pbc`` are read but
ignored (molecules, no periodic images). Units follow the files: positions Å, energy eV, forces eV/Å.
Any malformed frame raises ``DataError`` naming the 1-based line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from molgdl.data import MoleculeRecord, MoleculeTable
from molgdl.errors import DataError
from molgdl_datasets._util import did_you_mean, existing_file

_SYMBOLS = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr "
    "Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb "
    "Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf "
    "Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og"
).split()
#: element symbol -> atomic number (1..118)
ATOMIC_NUMBERS: dict[str, int] = {s: i + 1 for i, s in enumerate(_SYMBOLS)}

_KV = re.compile(r"""([A-Za-z_][\w\-.]*)\s*=\s*("[^"]*"|'[^']*'|\{[^}]*\}|\S+)|(\S+)""")
_DEFAULT_PROPERTIES = "species:S:1:pos:R:3"
_NCOL_TYPES = {"S", "R", "I", "L"}


@dataclass
class XyzFrame:
    """One frame: ``z`` [n] int64, ``pos`` [n, 3] float64 (Å), per-atom ``arrays`` (e.g. ``forces``
    [n, 3]), comment-line ``info`` (values as strings, quotes removed), ``line`` = 1-based line of the
    atom-count line."""

    z: np.ndarray
    pos: np.ndarray
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)
    line: int = 0


def parse_comment(comment: str) -> dict[str, str]:
    """``key=value`` pairs of an extended-XYZ comment line (quotes stripped; a bare word maps to 'T')."""
    info: dict[str, str] = {}
    for m in _KV.finditer(comment):
        if m.group(1) is not None:
            value = m.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            info[m.group(1)] = value
        else:
            info.setdefault(m.group(3), "T")
    return info


def _parse_properties(spec: str, line_no: int, where: str) -> list[tuple[str, str, int]]:
    parts = spec.split(":")
    if len(parts) % 3 != 0:
        raise DataError(
            f"{where}, line {line_no}: Properties={spec!r} is not a list of name:type:ncols triples",
            hint="write e.g. Properties=species:S:1:pos:R:3:forces:R:3",
        )
    out = []
    for k in range(0, len(parts), 3):
        name, typ, ncols = parts[k], parts[k + 1].upper(), parts[k + 2]
        if typ not in _NCOL_TYPES or not ncols.isdigit() or int(ncols) < 1:
            raise DataError(
                f"{where}, line {line_no}: bad Properties entry {':'.join(parts[k:k + 3])!r}",
                hint="each entry is name:type:ncols with type S, R, I or L and ncols >= 1",
            )
        out.append((name, typ, int(ncols)))
    names = [p[0] for p in out]
    if "pos" not in names:
        raise DataError(f"{where}, line {line_no}: Properties has no 'pos' column", hint="add pos:R:3")
    if not any(n in names for n in ("species", "Z", "numbers")):
        raise DataError(
            f"{where}, line {line_no}: Properties has no element column (species, Z or numbers)",
            hint="add species:S:1 as the first entry",
        )
    return out


def _element(token: str, line_no: int, where: str) -> int:
    if token.isdigit():
        z = int(token)
        if 1 <= z <= 118:
            return z
    else:
        sym = token[:1].upper() + token[1:].lower()
        if sym in ATOMIC_NUMBERS:
            return ATOMIC_NUMBERS[sym]
    raise DataError(
        f"{where}, line {line_no}: unknown element {token!r}",
        hint="the element column holds symbols (C, H, ...) or atomic numbers 1..118",
    )


def parse_extxyz(path: str | Path, *, limit: int | None = None, where: str | None = None) -> list[XyzFrame]:
    """Parse every frame of an (extended) XYZ file; ``limit`` stops after that many frames."""
    path = Path(path)
    where = where or f"XYZ {path}"
    lines = path.read_text().splitlines()
    frames: list[XyzFrame] = []
    i = 0
    while i < len(lines) and (limit is None or len(frames) < limit):
        if not lines[i].strip():  # blank lines between / after frames
            i += 1
            continue
        head_no = i + 1
        head = lines[i].split()
        if len(head) != 1 or not head[0].isdigit():
            raise DataError(
                f"{where}, line {head_no}: expected the atom count of a frame, "
                f"found {lines[i].strip()[:60]!r}",
                hint="each frame starts with a line holding only the number of atoms",
            )
        n_atoms = int(head[0])
        if i + 1 + n_atoms >= len(lines):
            have = max(len(lines) - i - 2, 0)
            raise DataError(
                f"{where}, line {head_no}: frame {len(frames) + 1} declares {n_atoms} atoms but the file "
                f"ends after {have} atom lines",
                hint="the file is truncated or the atom count is wrong",
            )
        info = parse_comment(lines[i + 1])
        props = _parse_properties(info.get("Properties", _DEFAULT_PROPERTIES), i + 2, where)
        n_cols = sum(p[2] for p in props)
        columns: dict[str, list[list[str]]] = {p[0]: [] for p in props}
        for a in range(n_atoms):
            line_no = i + 3 + a
            tokens = lines[i + 2 + a].split()
            if len(tokens) != n_cols:
                raise DataError(
                    f"{where}, line {line_no}: expected {n_cols} columns "
                    f"({':'.join(f'{p[0]}:{p[1]}:{p[2]}' for p in props)}), found {len(tokens)}",
                    hint="check the atom count line and the Properties entry of this frame",
                )
            k = 0
            for name, _typ, nc in props:
                columns[name].append(tokens[k : k + nc])
                k += nc
        arrays: dict[str, np.ndarray] = {}
        for name, typ, nc in props:
            if typ in {"R", "I"}:
                try:
                    arr = np.array(columns[name], dtype=np.float64 if typ == "R" else np.int64)
                except ValueError:
                    bad = _first_bad(columns[name], typ)
                    raise DataError(
                        f"{where}, line {i + 3 + bad}: non-numeric value in column {name!r}",
                        hint="the atom lines must match the Properties entry of the comment line",
                    ) from None
                arrays[name] = arr.reshape(n_atoms, nc) if nc > 1 else arr.reshape(n_atoms)
        if "species" in columns:
            z = np.array(
                [_element(t[0], i + 3 + a, where) for a, t in enumerate(columns["species"])], dtype=np.int64
            )
        else:
            key = "Z" if "Z" in arrays else "numbers"
            z = np.asarray(arrays.pop(key), dtype=np.int64).reshape(n_atoms)
        pos = np.asarray(arrays.pop("pos"), dtype=np.float64).reshape(n_atoms, 3)
        frames.append(XyzFrame(z=z, pos=pos, arrays=arrays, info=info, line=head_no))
        i += n_atoms + 2
    return frames


def _first_bad(rows: list[list[str]], typ: str) -> int:
    conv = float if typ == "R" else int
    for a, row in enumerate(rows):
        try:
            [conv(t) for t in row]
        except ValueError:
            return a
    return 0


def read_xyz_table(
    path: str,
    *,
    energy_key: str = "energy",
    forces_key: str = "forces",
    target_columns: list[str] | None = None,
    units: dict[str, str] | None = None,
    limit: int | None = None,
    source: str | None = None,
) -> MoleculeTable:
    """Read an extended-XYZ file into a :class:`MoleculeTable` (one record per frame, ``smiles=None``).

    Shapes:
        record.z ``[n]`` int64, record.pos ``[n, 3]`` Å, record.forces ``[n, 3]`` eV/Å (when present),
        record.energy float eV (when the frame has ``energy_key``); targets ``[n_frames, T]`` float64.
    """
    file = existing_file(path, "XYZ")
    where = f"XYZ {file}"
    frames = parse_extxyz(file, limit=limit, where=where)
    if not frames:
        raise DataError(f"{where} holds no frames", hint="the file is empty")
    names = list(target_columns) if target_columns else [energy_key]
    targets = np.full((len(frames), len(names)), np.nan, dtype=np.float64)
    keys_seen: set[str] = set()
    records: list[MoleculeRecord] = []
    for k, fr in enumerate(frames):
        keys_seen.update(fr.info)
        for j, name in enumerate(names):
            if name in fr.info:
                targets[k, j] = _number(fr.info[name], name, fr.line + 1, where)
        energy = None
        if energy_key in fr.info:
            energy = _number(fr.info[energy_key], energy_key, fr.line + 1, where)
        forces = fr.arrays.get(forces_key)
        if forces is not None and forces.shape != (len(fr.z), 3):
            raise DataError(
                f"{where}, line {fr.line + 1}: {forces_key!r} must have 3 columns "
                f"(Properties {forces_key}:R:3)",
                hint="set `forces_key` to the per-atom force property of the file",
            )
        records.append(
            MoleculeRecord(
                id=f"frame{k + 1}", smiles=None, row=k + 1, z=fr.z, pos=fr.pos, energy=energy,
                forces=None if forces is None else np.asarray(forces, dtype=np.float64),
            )
        )
    for j, name in enumerate(names):
        if np.isnan(targets[:, j]).all():
            found = sorted(keys_seen - {"Properties", "Lattice", "pbc"})
            raise DataError(
                f"{where}: no frame has the comment-line key {name!r}{did_you_mean(name, found)}; "
                f"keys found: {found}",
                hint="set `target_columns` / `energy_key` to a numeric key=value of the comment lines",
            )
    default_units = {energy_key: "eV"}
    units_out = {n: (units or {}).get(n, default_units.get(n, "")) for n in names}
    return MoleculeTable(
        records=records,
        targets=targets,
        target_names=names,
        task="regression",
        source=source or str(file),
        invalid=[],
        n_read=len(frames),
        units={k: v for k, v in units_out.items() if v},
    )


def _number(text: str, key: str, line_no: int, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise DataError(
            f"{where}, line {line_no}: {key}={text!r} is not a number",
            hint="targets must be numeric key=value pairs of the comment line",
        ) from None
