"""Hook implementations of the ``datasets`` plugin (entry point ``molgdl: datasets``)."""

from __future__ import annotations

from molgdl import hookimpl
from molgdl.specs import DatasetSpec


@hookimpl
def molgdl_datasets() -> list[DatasetSpec]:
    from molgdl_datasets.specs import dataset_specs

    return dataset_specs()


@hookimpl
def molgdl_sdf_to_smiles(records: list[str]) -> tuple[list[str], dict[int, str]]:
    from molgdl_datasets.sdf_reader import sdf_records_to_smiles

    return sdf_records_to_smiles(records)
