"""Rebuild the files in ``molgdl_datasets/data/`` from the project's offline copies in ``shared/data``.

Usage: ``python plugins/molgdl-datasets/tools/make_bundled_data.py [SHARED_DATA_DIR]``
(default ``../shared/data`` relative to the repository root). Not run by the tests.

- The four MoleculeNet CSVs are copied byte for byte (their SHA-256 equals ``shared/data/SHA256SUMS``).
- ``qm9_first3000.npz``: the first 3000 molecules (in file order) of ``qm9/qm9_subset_20k.npz``, keeping
  ``index, ptr, z, pos, smiles``, the 15 property arrays, ``atomref`` and ``atomref_columns``.
  Values are unchanged: ``pos`` stays float64 (Å), ``z`` is stored as uint8 (1..9) to save space and is
  widened to int64 on load. ``n_atoms`` (= ``diff(ptr)``), ``inchi`` and ``mulliken_charges`` are dropped.
- ``rmd17_ethanol_first100.xyz``: the first 100 frames (1100 lines) of ``md/rmd17_ethanol_train_1000.xyz``,
  unchanged.
- ``3bpa_first50.xyz``: the first 50 frames (1450 lines) of ``md/3bpa_train_300K.xyz``, unchanged.
- ``moleculeace_<set>.csv``: the ten MoleculeACE sets of ``moleculeace/<set>.csv``, copied byte for byte.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np

from molgdl_datasets.bundled import MOLECULEACE_SETS

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "molgdl_datasets" / "data"
QM9_KEEP = ["A", "B", "C", "mu", "alpha", "homo", "lumo", "gap", "r2", "zpve", "U0", "U", "H", "G", "Cv"]
QM9_N = 3000
MD_FRAMES = 100
BPA_FRAMES = 50


def main(shared: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for src, dst in [
        ("esol/delaney-processed.csv", "esol_delaney-processed.csv"),
        ("freesolv/SAMPL.csv", "freesolv_SAMPL.csv"),
        ("lipo/Lipophilicity.csv", "lipo_Lipophilicity.csv"),
        ("bbbp/BBBP.csv", "bbbp_BBBP.csv"),
    ]:
        shutil.copyfile(shared / src, OUT / dst)
    for meta in MOLECULEACE_SETS.values():
        shutil.copyfile(shared / "moleculeace" / f"{meta.name}.csv", OUT / meta.filename)

    d = np.load(shared / "qm9" / "qm9_subset_20k.npz")
    n_atoms = int(d["ptr"][QM9_N])
    out = {
        "index": d["index"][:QM9_N],
        "ptr": d["ptr"][: QM9_N + 1],
        "z": d["z"][:n_atoms].astype(np.uint8),
        "pos": d["pos"][:n_atoms],
        "smiles": d["smiles"][:QM9_N],
        "atomref": d["atomref"],
        "atomref_columns": d["atomref_columns"],
    }
    for key in QM9_KEEP:
        out[key] = d[key][:QM9_N]
    np.savez_compressed(OUT / "qm9_first3000.npz", **out)

    for src, dst, frames in [
        ("rmd17_ethanol_train_1000.xyz", "rmd17_ethanol_first100.xyz", MD_FRAMES),
        ("3bpa_train_300K.xyz", "3bpa_first50.xyz", BPA_FRAMES),
    ]:
        (OUT / dst).write_text(_first_frames(shared / "md" / src, frames))


def _first_frames(path: Path, frames: int) -> str:
    """The first ``frames`` frames of an (extended) XYZ file, unchanged."""
    lines = path.read_text().splitlines(keepends=True)
    out_lines: list[str] = []
    i = 0
    for _ in range(frames):
        n = int(lines[i])
        out_lines.extend(lines[i : i + n + 2])
        i += n + 2
    return "".join(out_lines)


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[3]
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "data")
