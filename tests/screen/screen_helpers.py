"""Helpers of the streaming predict tests: a small library of Lipophilicity SMILES written as CSV."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def library(n: int, invalid: dict[int, str] | None = None) -> list[str]:
    """``n`` SMILES of the bundled Lipophilicity set in RDKit's canonical form (an SDF round trip keeps them),
    with ``invalid`` strings placed at the given positions."""
    from molgdl_datasets.bundled import data_path
    from rdkit import Chem

    smiles = pd.read_csv(data_path("lipo_Lipophilicity.csv"))["smiles"].head(n).tolist()
    smiles = [Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in smiles]
    for i, s in (invalid or {}).items():
        smiles[i] = s
    return smiles


def write_csv(path: Path, smiles: list[str]) -> Path:
    pd.DataFrame({"smiles": smiles}).to_csv(path, index=False)
    return path
