"""Dataset factories: ``factory(params) -> MoleculeTable``.

Readers (pandas, RDKit) are imported inside each factory so that registering the components stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from molgdl_datasets.bundled import BUNDLED_CSV, BUNDLED_XYZ, MOLECULEACE_SETS, data_path
from molgdl_datasets.params import (
    BundledParams,
    BundledXyzParams,
    CsvParams,
    DataFrameParams,
    MoleculeAceParams,
    Qm9Params,
    SdfParams,
    XyzParams,
)

if TYPE_CHECKING:
    from molgdl.data import MoleculeTable


def _table_options(params: CsvParams | DataFrameParams) -> dict:
    """The column and validation options a CSV file and a DataFrame are read with."""
    return {"smiles_column": params.smiles_column, "target_columns": list(params.target_columns),
            "id_column": params.id_column, "task": params.task, "validate_smiles": params.validate_smiles,
            "units": dict(params.units), "split_column": params.split_column, "cliff_column": params.cliff_column,
            "metadata_columns": list(params.metadata_columns)}


def csv_dataset(params: CsvParams) -> "MoleculeTable":
    """A user CSV file (see :func:`molgdl_datasets.csv_reader.read_csv_table`)."""
    from molgdl_datasets.csv_reader import read_csv_table

    return read_csv_table(params.path, **_table_options(params))


def dataframe_dataset(params: DataFrameParams) -> "MoleculeTable":
    """An in-memory DataFrame held in this session (``molgdl.data.frames``), read as a CSV file would be."""
    from molgdl.data.frames import get_frame
    from molgdl_datasets.csv_reader import read_frame_table

    return read_frame_table(get_frame(params.frame), where=f"DataFrame {params.frame}", **_table_options(params))


def sdf_dataset(params: SdfParams) -> "MoleculeTable":
    """A user SDF file (see :func:`molgdl_datasets.sdf_reader.read_sdf_table`)."""
    from molgdl_datasets.sdf_reader import read_sdf_table

    return read_sdf_table(
        params.path,
        target_columns=list(params.target_columns),
        id_property=params.id_property,
        task=params.task,
        units=dict(params.units),
    )


def xyz_dataset(params: XyzParams) -> "MoleculeTable":
    """A user extended-XYZ file (see :func:`molgdl_datasets.xyz_reader.read_xyz_table`)."""
    from molgdl_datasets.xyz_reader import read_xyz_table

    return read_xyz_table(
        params.path,
        energy_key=params.energy_key,
        forces_key=params.forces_key,
        target_columns=params.targets,
        units=dict(params.units),
    )


def bundled_csv_dataset(name: str, params: BundledParams) -> "MoleculeTable":
    """A bundled MoleculeNet CSV (``functools.partial(bundled_csv_dataset, name)`` is the factory)."""
    from molgdl_datasets.csv_reader import read_csv_table

    meta = BUNDLED_CSV[name]
    return read_csv_table(
        str(data_path(meta.filename)),
        smiles_column=meta.smiles_column,
        target_columns=[meta.target],
        id_column=meta.id_column,
        task=meta.task,
        validate_smiles=params.validate_smiles,
        units={meta.target: meta.units} if meta.units else {},
        limit=params.limit,
        source=f"bundled:{name} ({meta.filename})",
    )


def moleculeace_dataset(params: MoleculeAceParams) -> "MoleculeTable":
    """A bundled MoleculeACE set: target ``y`` in -log10(Ki or EC50 / nM), columns ``split`` and ``cliff``."""
    from molgdl_datasets.csv_reader import read_csv_table

    meta = MOLECULEACE_SETS[params.set]
    return read_csv_table(
        str(data_path(meta.filename)),
        target_columns=["y"],
        validate_smiles=params.validate_smiles,
        units={"y": meta.units},
        limit=params.limit,
        source=f"bundled:moleculeace/{meta.name} ({meta.filename})",
        split_column="split",
        cliff_column="cliff_mol",
    )


def bundled_xyz_dataset(name: str, params: BundledXyzParams) -> "MoleculeTable":
    """A bundled extended-XYZ trajectory slice; target ``energy`` (eV), forces on the records."""
    from molgdl_datasets.xyz_reader import read_xyz_table

    meta = BUNDLED_XYZ[name]
    return read_xyz_table(
        str(data_path(meta.filename)),
        energy_key=meta.energy_key,
        forces_key=meta.forces_key,
        limit=params.limit,
        source=f"bundled:{name} ({meta.filename})",
    )


def qm9_dataset(params: Qm9Params) -> "MoleculeTable":
    """QM9 with DFT geometries (see :mod:`molgdl_datasets.qm9`)."""
    from molgdl_datasets.qm9 import qm9_table

    return qm9_table(
        list(params.targets), source=params.source, limit=params.limit, path=params.path, root=params.root
    )
