"""QM9 through PyTorch Geometric's downloader (``qm9`` with ``source: pyg``).

``torch_geometric.datasets.QM9(root)`` downloads QM9 on first use (MoleculeNet's ``qm9.zip`` plus the list of
3,054 uncharacterized molecules when RDKit is installed, otherwise PyG's pre-processed ``qm9_v3.zip``) and
processes it into ``root/processed/data_v3.pt``; later runs read that file offline. 130,831 molecules.

Conversion of one PyG ``Data`` (PyG 2.x, ``torch_geometric/datasets/qm9.py``):

- ``z`` [N] int64 and ``pos`` [N, 3] float32 Å (H included) -> ``MoleculeRecord.z`` int64 / ``pos`` float64;
- ``y`` [1, 19] float32: PyG reorders MoleculeNet's CSV columns to ``mu, alpha, homo, lumo, gap, r2, zpve,
  U0, U, H, G, Cv, U0_atom, U_atom, H_atom, G_atom, A, B, C`` (= :data:`molgdl_datasets.params.QM9_TARGETS`)
  and converts Hartree -> eV (x 27.211386246) for homo/lumo/gap/zpve/U0/U/H/G and kcal/mol -> eV
  (x 0.04336414) for the four ``*_atom`` columns 12-15, which are already atomization energies (no atom
  reference is subtracted here; PyG's ``QM9.atomref(target)`` is for models predicting U0/U/H/G). So the
  columns are picked by name, with no further conversion: units as :data:`molgdl_datasets.qm9.QM9_UNITS`;
- ``smiles`` (RDKit's SMILES of the SDF record; absent in some pre-processed versions -> None),
  ``name`` (``gdb_<QM9 id>``) -> record id (else ``gdb_idx<idx>``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from molgdl.data import MoleculeRecord, MoleculeTable
from molgdl.errors import DataError
from molgdl_datasets.params import QM9_TARGETS

#: Where PyG stores its QM9 copy when ``root`` is not given.
DEFAULT_ROOT = "~/.cache/molgdl/pyg_qm9"

_ALTERNATIVES = (
    "use `source: bundled` (3000 molecules shipped with molgdl-datasets), `source: npz` with `path:` "
    "to a local QM9 .npz (e.g. the project's qm9_subset_20k.npz), or `source: qm9pack` (pip install qm9pack)"
)


def _open_pyg_qm9(root: Path):
    """``torch_geometric.datasets.QM9(root)`` (looked up at call time, so tests can replace it)."""
    try:
        import torch_geometric.datasets as tgd
    except ImportError as exc:
        raise DataError(
            f"QM9 `source: pyg` needs torch_geometric, which cannot be imported ({exc})",
            hint=f"install torch_geometric, or {_ALTERNATIVES}",
        ) from None
    try:
        return tgd.QM9(str(root))
    except Exception as exc:  # noqa: BLE001 - urllib/fsspec/zip errors differ by PyG version
        raise DataError(
            f"QM9 `source: pyg` could not download or open PyG's QM9 in {root} "
            f"({type(exc).__name__}: {exc}); the first use needs the network (PyG downloads it from "
            "deepchemdata.s3-us-west-1.amazonaws.com / figshare / data.pyg.org)",
            hint=f"run once with network access (a partial download in {root} can be deleted), or "
            f"{_ALTERNATIVES}",
        ) from exc


def _numpy(value) -> np.ndarray:
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def pyg_qm9_table(targets: list[str], root: str | None = None, limit: int | None = None) -> MoleculeTable:
    """QM9 from PyG's ``QM9`` dataset, targets picked by name from PyG's ``y``.

    Shapes:
        record.z ``[n_atoms]`` int64, record.pos ``[n_atoms, 3]`` float64 Å; targets ``[M, len(targets)]``
        float64 (energies in eV, from PyG's float32).
    """
    from molgdl_datasets.qm9 import QM9_UNITS

    folder = Path(root or DEFAULT_ROOT).expanduser().resolve()
    dataset = _open_pyg_qm9(folder)
    where = f"PyG QM9 in {folder}"
    n = len(dataset) if limit is None else min(limit, len(dataset))
    if n == 0:
        raise DataError(f"{where} holds no molecules", hint=f"delete {folder} to download it again")
    cols = [QM9_TARGETS.index(t) for t in targets]
    y_out = np.empty((n, len(targets)), dtype=np.float64)
    records: list[MoleculeRecord] = []
    for i in range(n):
        data = dataset[i]
        z = getattr(data, "z", None)
        pos = getattr(data, "pos", None)
        y = getattr(data, "y", None)
        if z is None or pos is None or y is None:
            raise DataError(
                f"{where}, molecule {i}: the Data object lacks z, pos or y (has {sorted(data.keys())})",
                hint=f"this PyG version stores QM9 differently; {_ALTERNATIVES}",
            )
        z = _numpy(z).astype(np.int64).reshape(-1)
        pos = _numpy(pos).astype(np.float64)
        y = _numpy(y).astype(np.float64).reshape(-1)
        if y.shape != (len(QM9_TARGETS),) or pos.shape != (len(z), 3):
            raise DataError(
                f"{where}, molecule {i}: y has {y.size} values (expected 19) and pos shape {list(pos.shape)} "
                f"for {len(z)} atoms",
                hint=f"this PyG version stores QM9 differently; {_ALTERNATIVES}",
            )
        y_out[i] = y[cols]
        name = getattr(data, "name", None)
        idx = getattr(data, "idx", None)
        if isinstance(name, str) and name:
            rec_id = name
        else:
            rec_id = f"gdb_idx{int(_numpy(idx).reshape(-1)[0])}" if idx is not None else f"row{i + 1}"
        smiles = getattr(data, "smiles", None)
        records.append(
            MoleculeRecord(
                id=rec_id,
                smiles=smiles if isinstance(smiles, str) and smiles else None,
                row=i + 1,
                z=z,
                pos=pos,
            )
        )
    return MoleculeTable(
        records=records,
        targets=y_out,
        target_names=list(targets),
        task="regression",
        source=f"pyg:QM9 ({folder})",
        invalid=[],
        n_read=len(records),
        units={t: QM9_UNITS[t] for t in targets},
    )
