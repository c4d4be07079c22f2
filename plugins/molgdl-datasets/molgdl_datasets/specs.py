"""The DatasetSpec objects this plugin registers (built from light metadata only)."""

from __future__ import annotations

from functools import partial

from molgdl.specs import DatasetSpec
from molgdl_datasets import factories
from molgdl_datasets.bundled import BUNDLED_CSV, BUNDLED_XYZ
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


def dataset_specs() -> list[DatasetSpec]:
    specs = [
        DatasetSpec(
            name="csv",
            summary="CSV file with a SMILES column and numeric target columns (pandas)",
            factory=factories.csv_dataset,
            params=CsvParams,
        ),
        DatasetSpec(
            name="dataframe",
            summary="in-memory pandas DataFrame (molgdl.run(config, data=df)), read as a CSV file with the same "
            "cells",
            factory=factories.dataframe_dataset,
            params=DataFrameParams,
        ),
        DatasetSpec(
            name="sdf",
            summary="SDF file (RDKit, hydrogens kept, 3D coordinates in Å) with targets as SDF properties",
            factory=factories.sdf_dataset,
            params=SdfParams,
        ),
        DatasetSpec(
            name="xyz",
            summary="extended XYZ trajectory (energy eV, forces eV/Å per frame), plain-Python parser",
            factory=factories.xyz_dataset,
            params=XyzParams,
        ),
        DatasetSpec(
            name="qm9",
            summary="QM9 DFT geometries + PyG's 19 targets (eV): 3000 bundled molecules, a local .npz, "
            "or all 130,831 via qm9pack / PyG's downloader",
            factory=factories.qm9_dataset,
            params=Qm9Params,
        ),
        DatasetSpec(
            name="moleculeace",
            summary="MoleculeACE activity-cliff sets (10 ChEMBL targets, bundled): y = -log10(Ki or EC50 "
            "/ nM), the benchmark's train/test split and cliff flag",
            factory=factories.moleculeace_dataset,
            params=MoleculeAceParams,
        ),
    ]
    for meta in BUNDLED_CSV.values():
        specs.append(
            DatasetSpec(
                name=meta.name,
                summary=meta.summary,
                factory=partial(factories.bundled_csv_dataset, meta.name),
                params=BundledParams,
            )
        )
    for xyz in BUNDLED_XYZ.values():
        specs.append(
            DatasetSpec(
                name=xyz.name,
                summary=xyz.summary,
                factory=partial(factories.bundled_xyz_dataset, xyz.name),
                params=BundledXyzParams,
            )
        )
    return specs
