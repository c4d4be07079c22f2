"""Datasets shipped inside the package (``molgdl_datasets/data/``), so a fresh install runs offline.

Provenance, papers and licenses: ``data/LICENSES.md``. This module holds metadata only (no pandas,
rdkit or torch imports): the registration hook reads it to build the specs.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class BundledCsv:
    """One bundled MoleculeNet CSV: file name in ``data/``, columns, task and target units."""

    name: str
    filename: str
    target: str
    units: str
    task: Literal["regression", "classification"]
    id_column: str
    summary: str
    smiles_column: str = "smiles"


BUNDLED_CSV: dict[str, BundledCsv] = {
    b.name: b
    for b in (
        BundledCsv(
            name="esol",
            filename="esol_delaney-processed.csv",
            target="measured log solubility in mols per litre",
            units="log10(mol/L)",
            task="regression",
            id_column="Compound ID",
            summary="ESOL (Delaney) aqueous solubility, 1128 molecules, log10(mol/L) (bundled)",
        ),
        BundledCsv(
            name="freesolv",
            filename="freesolv_SAMPL.csv",
            target="expt",
            units="kcal/mol",
            task="regression",
            id_column="iupac",
            summary="FreeSolv experimental hydration free energy, 642 molecules, kcal/mol (bundled)",
        ),
        BundledCsv(
            name="lipo",
            filename="lipo_Lipophilicity.csv",
            target="exp",
            units="logD",
            task="regression",
            id_column="CMPD_CHEMBLID",
            summary="Lipophilicity (AstraZeneca/ChEMBL) logD at pH 7.4, 4200 molecules (bundled)",
        ),
        BundledCsv(
            name="bbbp",
            filename="bbbp_BBBP.csv",
            target="p_np",
            units="0/1",
            task="classification",
            id_column="num",
            summary="BBBP blood-brain barrier penetration (1 = penetrates), 2050 rows, classification",
        ),
    )
}


@dataclass(frozen=True)
class BundledXyz:
    """One bundled extended-XYZ slice: file name in ``data/``, the comment-line energy key (eV, total
    energy) and the per-atom force property (eV/Å)."""

    name: str
    filename: str
    summary: str
    energy_key: str = "energy"
    forces_key: str = "forces"


BUNDLED_XYZ: dict[str, BundledXyz] = {
    "rmd17_ethanol": BundledXyz(
        name="rmd17_ethanol",
        filename="rmd17_ethanol_first100.xyz",
        summary="rMD17 ethanol, first 100 training frames: energy (eV), forces (eV/Å) (bundled)",
    ),
    "3bpa": BundledXyz(
        name="3bpa",
        filename="3bpa_first50.xyz",
        summary="3BPA (27 atoms), first 50 frames of the 300 K training set: energy (eV), forces (eV/Å) "
        "(bundled)",
    ),
}


@dataclass(frozen=True)
class MoleculeAceSet:
    """One bundled MoleculeACE set (van Tilborg et al., JCIM 2022): ChEMBL id + endpoint, protein, row counts.

    Target ``y`` = -log10(endpoint in nM) (pKi = y + 9); ``cliff_mol`` and the benchmark's ``split`` are
    carried as the table's ``cliff`` and ``split`` columns.
    """

    name: str
    protein: str
    rows: int
    n_test: int
    n_test_cliff: int

    @property
    def endpoint(self) -> str:
        return self.name.rsplit("_", 1)[1]

    @property
    def filename(self) -> str:
        return f"moleculeace_{self.name}.csv"

    @property
    def units(self) -> str:
        return f"-log10({self.endpoint}/nM)"


MOLECULEACE_SETS: dict[str, MoleculeAceSet] = {
    m.name: m
    for m in (
        MoleculeAceSet("CHEMBL1862_Ki", "ABL1 kinase", 794, 161, 67),
        MoleculeAceSet("CHEMBL2047_EC50", "farnesoid X receptor (FXR)", 631, 128, 50),
        MoleculeAceSet("CHEMBL204_Ki", "thrombin", 2754, 553, 220),
        MoleculeAceSet("CHEMBL214_Ki", "serotonin 1a receptor (5-HT1A)", 3317, 666, 245),
        MoleculeAceSet("CHEMBL218_EC50", "cannabinoid receptor 1 (CB1)", 1031, 208, 76),
        MoleculeAceSet("CHEMBL228_Ki", "serotonin transporter (SERT)", 1704, 342, 127),
        MoleculeAceSet("CHEMBL236_Ki", "delta opioid receptor (DOR)", 2598, 521, 204),
        MoleculeAceSet("CHEMBL262_Ki", "glycogen synthase kinase-3 beta (GSK3)", 856, 173, 32),
        MoleculeAceSet("CHEMBL287_Ki", "sigma opioid receptor (SOR)", 1328, 267, 103),
        MoleculeAceSet("CHEMBL4203_Ki", "CLK4 kinase", 731, 149, 13),
    )
}


def data_path(filename: str) -> Path:
    """Absolute path of a bundled data file (the package is installed as plain files)."""
    path = Path(str(resources.files("molgdl_datasets") / "data" / filename))
    if not path.is_file():
        from molgdl.errors import DataError

        raise DataError(
            f"bundled data file missing: {path}",
            hint="reinstall molgdl-datasets (its package data was not installed)",
        )
    return path
