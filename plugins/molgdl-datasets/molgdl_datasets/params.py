"""Parameter models of the dataset components (pydantic only: no pandas / rdkit / torch here)."""

from __future__ import annotations

import difflib
from typing import Literal

from pydantic import Field, field_validator, model_validator

from molgdl.specs import Params

Task = Literal["regression", "classification"]

#: PyG's 19 QM9 targets, in PyG's order (``torch_geometric.datasets.QM9``).
QM9_TARGETS: tuple[str, ...] = (
    "mu", "alpha", "homo", "lumo", "gap", "r2", "zpve", "U0", "U", "H", "G", "Cv",
    "U0_atom", "U_atom", "H_atom", "G_atom", "A", "B", "C",
)  # fmt: skip


def _check_target_list(values: list[str]) -> list[str]:
    cleaned = [v.strip() for v in values]
    if any(not v for v in cleaned):
        raise ValueError("target names must be non-empty strings")
    dupes = sorted({v for v in cleaned if cleaned.count(v) > 1})
    if dupes:
        raise ValueError(f"target names are repeated: {dupes}")
    return cleaned


class _TargetFileParams(Params):
    """Shared by file sources whose targets are named columns/properties: list check and units keys."""

    target_columns: list[str] = Field(..., min_length=1, description="numeric target columns")
    task: Task = Field("regression", description="'regression' or 'classification' (targets 0/1)")
    units: dict[str, str] = Field(
        default_factory=dict,
        description="optional units per target column, e.g. {'y': 'kcal/mol'}; copied into the table",
    )

    @field_validator("target_columns")
    @classmethod
    def _targets(cls, v: list[str]) -> list[str]:
        return _check_target_list(v)

    @model_validator(mode="after")
    def _units_keys(self):
        _check_units(self.units, self.target_columns)
        return self


class CsvParams(_TargetFileParams):
    """A CSV file with a SMILES column and one or more numeric target columns."""

    path: str = Field(..., description="CSV file; a relative path is resolved against the current directory")
    smiles_column: str = Field("smiles", description="column holding the SMILES strings")
    target_columns: list[str] = Field(
        ..., min_length=1, description="one or more numeric target columns (empty cells = missing, NaN)"
    )
    id_column: str | None = Field(None, description="column used as record id (default: 'row<k>')")
    validate_smiles: bool = Field(
        False,
        description="parse every SMILES with RDKit and send unparseable rows to the invalid rows "
        "(otherwise the featurizer reports them)",
    )
    split_column: str | None = Field(
        None,
        description="column of split labels (e.g. train/test), carried as metadata 'split' for the "
        "`column` splitter",
    )
    cliff_column: str | None = Field(
        None,
        description="column of 0/1 activity-cliff flags, carried as metadata 'cliff': evaluation then "
        "reports cliff_rmse",
    )
    metadata_columns: list[str] = Field(
        default_factory=list,
        description="further columns carried per molecule as text (MoleculeTable.columns, written to "
        "predictions.csv)",
    )

    @model_validator(mode="after")
    def _metadata_keys(self):
        return _check_metadata_keys(self)


class DataFrameParams(_TargetFileParams):
    """An in-memory pandas DataFrame (``molgdl.run(config, data=df)``), read as a CSV file with the same cells."""

    frame: str = Field(
        ..., description="key of a DataFrame held in this Python session (set by molgdl.run(config, data=df) "
        "or data: {source: {name: dataframe, frame: df}}; a content hash, so the same table gives the same key)"
    )
    smiles_column: str = Field("smiles", description="column holding the SMILES strings")
    target_columns: list[str] = Field(
        ..., min_length=1, description="one or more numeric target columns (NaN or None = missing)"
    )
    id_column: str | None = Field(None, description="column used as record id (default: 'row<k>')")
    validate_smiles: bool = Field(
        False, description="parse every SMILES with RDKit and send unparseable rows to the invalid rows"
    )
    split_column: str | None = Field(None, description="column of split labels, for the `column` splitter")
    cliff_column: str | None = Field(None, description="column of 0/1 activity-cliff flags (cliff_rmse)")
    metadata_columns: list[str] = Field(
        default_factory=list, description="further columns carried per molecule as text"
    )

    @model_validator(mode="after")
    def _metadata_keys(self):
        return _check_metadata_keys(self)


class SdfParams(_TargetFileParams):
    """An SDF file (3D or 2D records) with targets stored as SDF properties."""

    path: str = Field(..., description="SDF file; a relative path is resolved against the current directory")
    target_columns: list[str] = Field(
        ..., min_length=1, description="SDF property names (> <name>) holding numeric targets"
    )
    id_property: str | None = Field(
        None, description="SDF property used as record id (default: the molecule name line, else 'row<k>')"
    )


class XyzParams(Params):
    """An extended-XYZ trajectory (ASE/extxyz layout) with energies and forces."""

    path: str = Field(
        ..., description="extended XYZ file; a relative path is resolved against the current directory"
    )
    energy_key: str = Field("energy", description="comment-line key of the total energy (eV)")
    forces_key: str = Field("forces", description="per-atom property (R:3) holding the forces (eV/Å)")
    target_columns: list[str] | None = Field(
        None,
        description="numeric comment-line keys used as targets (default: [energy_key]); "
        "a frame without the key gets NaN",
    )
    task: Literal["regression"] = Field("regression", description="always 'regression'")
    units: dict[str, str] = Field(
        default_factory=dict,
        description="optional units per target column, e.g. {'y': 'kcal/mol'}; copied into the table",
    )

    @field_validator("target_columns")
    @classmethod
    def _targets(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("target_columns must name at least one key (or be left out for [energy_key])")
        return _check_target_list(v)

    @property
    def targets(self) -> list[str]:
        return list(self.target_columns) if self.target_columns else [self.energy_key]


class BundledParams(Params):
    """Bundled MoleculeNet CSV datasets (esol, freesolv, lipo, bbbp)."""

    limit: int | None = Field(None, ge=1, description="use only the first N rows of the file (quick runs)")
    validate_smiles: bool = Field(
        False, description="parse every SMILES with RDKit and send unparseable rows to the invalid rows"
    )


MoleculeAceName = Literal[
    "CHEMBL1862_Ki", "CHEMBL2047_EC50", "CHEMBL204_Ki", "CHEMBL214_Ki", "CHEMBL218_EC50",
    "CHEMBL228_Ki", "CHEMBL236_Ki", "CHEMBL262_Ki", "CHEMBL287_Ki", "CHEMBL4203_Ki",
]  # fmt: skip  (the keys of bundled.MOLECULEACE_SETS; a test keeps them equal)


class MoleculeAceParams(Params):
    """Bundled MoleculeACE activity-cliff sets: target y = -log10(Ki or EC50 / nM), split and cliff flag."""

    set: MoleculeAceName = Field(..., description="which of the ten bundled sets, e.g. CHEMBL204_Ki")
    limit: int | None = Field(None, ge=1, description="use only the first N rows of the file (quick runs)")
    validate_smiles: bool = Field(
        False, description="parse every SMILES with RDKit and send unparseable rows to the invalid rows"
    )


class BundledXyzParams(Params):
    """Bundled MD trajectory slices (extended XYZ)."""

    limit: int | None = Field(None, ge=1, description="use only the first N frames")


class Qm9Params(Params):
    """QM9 with DFT geometries, PyG's 19-target convention."""

    targets: list[str] = Field(
        default_factory=lambda: ["U0_atom"],
        min_length=1,
        description="targets from PyG's list [mu, alpha, homo, lumo, gap, r2, zpve, U0, U, H, G, Cv, "
        "U0_atom, U_atom, H_atom, G_atom, A, B, C]; energies in eV",
    )
    source: Literal["bundled", "npz", "qm9pack", "pyg"] = Field(
        "bundled",
        description="'bundled': first 3000 molecules shipped with molgdl-datasets; 'npz': a local .npz in "
        "the bundled layout (set `path`, e.g. the project's qm9_subset_20k.npz); 'qm9pack': all 130,831 "
        "molecules from the optional qm9pack package (pip install qm9pack); 'pyg': "
        "torch_geometric.datasets.QM9 (downloads on first use, needs the network; set `root`)",
    )
    path: str | None = Field(
        None,
        description="with source 'npz': the .npz file (arrays ptr or n_atoms, z, pos, QM9 properties in "
        "Hartree, optional index, smiles, atomref); a relative path is resolved against the current "
        "directory",
    )
    root: str | None = Field(
        None,
        description="with source 'pyg': PyG's dataset folder (default ~/.cache/molgdl/pyg_qm9)",
    )
    limit: int | None = Field(None, ge=1, description="use only the first N molecules")

    @model_validator(mode="after")
    def _source_options(self):
        if self.source == "npz" and not self.path:
            raise ValueError("source 'npz' needs `path` (the .npz file)")
        if self.path is not None and self.source != "npz":
            raise ValueError(f"`path` is only used with source 'npz' (source is {self.source!r})")
        if self.root is not None and self.source != "pyg":
            raise ValueError(f"`root` is only used with source 'pyg' (source is {self.source!r})")
        return self

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, v: list[str]) -> list[str]:
        v = _check_target_list(v)
        for name in v:
            if name not in QM9_TARGETS:
                close = difflib.get_close_matches(name, QM9_TARGETS, n=1, cutoff=0.5)
                extra = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"unknown QM9 target {name!r}{extra}; known: {', '.join(QM9_TARGETS)}")
        return v


def _check_metadata_keys(params):
    taken = {"cliff"} | ({"split"} if params.split_column else set())
    clash = sorted(taken & set(params.metadata_columns))
    if clash:
        raise ValueError(
            f"metadata_columns {clash} would overwrite the split/cliff metadata; declare the split "
            "with `split_column` and the cliff flag with `cliff_column`"
        )
    return params


def _check_units(units: dict[str, str], targets: list[str]) -> None:
    unknown = [k for k in units if k not in targets]
    if unknown:
        raise ValueError(f"units given for {unknown}, which are not target columns {targets}")
