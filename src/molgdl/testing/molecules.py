"""Tiny molecules for tests (no file access)."""

from __future__ import annotations

import numpy as np

from molgdl.data.table import MoleculeRecord, MoleculeTable

TINY_SMILES = ["CCO", "c1ccccc1O", "CC(=O)N", "CCN(CC)CC", "OC(=O)c1ccccc1", "C1CCCCC1", "CC#N", "ClCCl",
               "CC(C)O", "c1ccncc1", "CCOC(=O)C", "NCCO"]


def tiny_table(n: int = len(TINY_SMILES), task: str = "regression") -> MoleculeTable:
    """A MoleculeTable of ``n`` small molecules with one target (heavy-atom count, or a 0/1 label)."""
    smiles = [TINY_SMILES[i % len(TINY_SMILES)] for i in range(n)]
    y = np.array([[float(sum(ch.isalpha() and ch.isupper() for ch in s))] for s in smiles])
    if task == "classification":
        y = (y > 3).astype(float)
    recs = [MoleculeRecord(id=f"m{i}", smiles=s, row=i + 1) for i, s in enumerate(smiles)]
    return MoleculeTable(recs, y, ["y"], task, "tiny")
