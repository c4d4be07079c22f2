"""ECFP4 bits (Morgan radius 2, 2048 bits, RDKit ``rdFingerprintGenerator``) and the Tanimoto kernel on them.

Used by the direct peers (``peers.py``); molgdl's own arms featurize through molgdl.
"""

from __future__ import annotations

import numpy as np

RADIUS, N_BITS = 2, 2048


def ecfp4(smiles: list[str]) -> np.ndarray:
    """SMILES ``[M]`` -> 0/1 bits ``[M, 2048]`` (uint8). An unparsable SMILES raises ``ValueError``
    naming it."""
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=RADIUS, fpSize=N_BITS)
    out = np.zeros((len(smiles), N_BITS), dtype=np.uint8)
    for i, smi in enumerate(smiles):
        mol = Chem.MolFromSmiles(smi)
        if mol is None:
            raise ValueError(f"row {i}: RDKit cannot parse SMILES {smi!r}")
        out[i] = gen.GetFingerprintAsNumPy(mol)
    return out


def tanimoto(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Tanimoto similarity of bit rows: ``|a & b| / |a | b|``. A ``[M, D]``, B ``[N, D]`` -> ``[M, N]``
    in [0, 1]; two empty fingerprints have similarity 1 (identical), an empty and a non-empty one 0."""
    A, B = A.astype(np.float64), B.astype(np.float64)
    inter = A @ B.T
    union = A.sum(1)[:, None] + B.sum(1)[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 1.0)
    return sim
