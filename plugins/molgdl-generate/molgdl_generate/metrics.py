"""MOSES metrics of a set of generated SMILES (Polykovskiy et al. 2020; definitions of molsets 0.3.1).

- validity: fraction of strings RDKit parses (and sanitizes) into a molecule with at least one atom;
- unique@k: fraction of distinct canonical SMILES among the first k valid molecules;
- novelty: fraction of the distinct valid molecules whose canonical SMILES is not in the training set;
- IntDiv: 1 - mean Tanimoto similarity over all ordered pairs (i = j included, as MOSES) of Morgan
  fingerprints (radius 2, 1024 bits) of the valid molecules;
- Scaf / Frag: cosine similarity of the count vectors of Bemis-Murcko scaffolds (at least 2 rings, as
  MOSES) / BRICS fragments of the generated and the reference molecules;
- property distributions: mean, std and the Wasserstein-1 distance to the reference of logP, QED and MW.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

import numpy as np


def _rdkit():
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    return Chem


def canonical(smiles: str) -> str | None:
    """RDKit canonical SMILES, or None if the string is not a valid molecule (empty counts as invalid)."""
    Chem = _rdkit()
    if not smiles:
        return None
    mol = Chem.MolFromSmiles(smiles)
    if mol is None or mol.GetNumAtoms() == 0:
        return None
    return Chem.MolToSmiles(mol)


def validity(smiles: Sequence[str]) -> float:
    return sum(canonical(s) is not None for s in smiles) / max(len(smiles), 1)


def unique_at(valid_canonical: Sequence[str], k: int) -> float:
    """unique@k on the first k valid canonical SMILES (all of them if fewer)."""
    head = list(valid_canonical)[:k]
    return len(set(head)) / max(len(head), 1)


def novelty(valid_canonical: Iterable[str], train: set[str]) -> float:
    distinct = set(valid_canonical)
    return len(distinct - train) / max(len(distinct), 1)


def fingerprints(smiles: Sequence[str]) -> np.ndarray:
    """Morgan radius-2 1024-bit fingerprints as a bool array [N, 1024]."""
    Chem = _rdkit()
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    return np.array([gen.GetFingerprintAsNumPy(Chem.MolFromSmiles(s)) for s in smiles], dtype=bool).reshape(-1, 1024)


def internal_diversity(smiles: Sequence[str], block: int = 2000) -> float:
    """MOSES IntDiv1: 1 - mean_{i,j} Tanimoto(fp_i, fp_j) over all ordered pairs."""
    fp = fingerprints(smiles).astype(np.float32)
    if len(fp) == 0:
        return 0.0
    counts = fp.sum(1)
    total = 0.0
    for i in range(0, len(fp), block):
        inter = fp[i:i + block] @ fp.T
        union = counts[i:i + block, None] + counts[None, :] - inter
        total += float(np.where(union > 0, inter / np.maximum(union, 1), 1.0).sum())
    return 1.0 - total / len(fp) ** 2


def scaffold(smiles: str, min_rings: int = 2) -> str | None:
    """Bemis-Murcko scaffold SMILES with at least ``min_rings`` rings (MOSES compute_scaffold)."""
    Chem = _rdkit()
    from rdkit.Chem.Scaffolds import MurckoScaffold

    mol = Chem.MolFromSmiles(smiles)
    try:
        scaf = MurckoScaffold.GetScaffoldForMol(mol)
    except (ValueError, RuntimeError):
        return None
    text = Chem.MolToSmiles(scaf)
    if not text or scaf.GetRingInfo().NumRings() < min_rings:
        return None
    return text


def fragments(smiles: str) -> list[str]:
    """BRICS fragments (MOSES fragmenter: FragmentOnBRICSBonds, split on '.')."""
    Chem = _rdkit()
    from rdkit.Chem import AllChem

    return Chem.MolToSmiles(AllChem.FragmentOnBRICSBonds(Chem.MolFromSmiles(smiles))).split(".")


def scaffold_counts(smiles: Iterable[str]) -> Counter:
    return Counter(s for s in (scaffold(x) for x in smiles) if s is not None)


def fragment_counts(smiles: Iterable[str]) -> Counter:
    out: Counter = Counter()
    for s in smiles:
        out.update(fragments(s))
    return out


def cosine_similarity(a: Counter, b: Counter) -> float | None:
    """Cosine of two count vectors over the union of their keys (None if either is empty)."""
    if not a or not b:
        return None
    keys = sorted(set(a) | set(b))
    u = np.array([a.get(k, 0) for k in keys], dtype=float)
    v = np.array([b.get(k, 0) for k in keys], dtype=float)
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


def properties(smiles: Sequence[str]) -> dict[str, np.ndarray]:
    """logP (Crippen), QED and molecular weight (Da) of valid SMILES."""
    Chem = _rdkit()
    from rdkit.Chem import QED, Crippen, Descriptors

    mols = [Chem.MolFromSmiles(s) for s in smiles]
    return {"logP": np.array([Crippen.MolLogP(m) for m in mols]), "QED": np.array([QED.qed(m) for m in mols]),
            "MW": np.array([Descriptors.MolWt(m) for m in mols])}


def property_report(generated: Sequence[str], reference: Sequence[str]) -> dict:
    from scipy.stats import wasserstein_distance

    gen, ref = properties(generated), properties(reference)
    return {k: {"mean": float(gen[k].mean()) if len(gen[k]) else None,
                "std": float(gen[k].std()) if len(gen[k]) else None,
                "reference_mean": float(ref[k].mean()),
                "wasserstein": float(wasserstein_distance(gen[k], ref[k])) if len(gen[k]) else None}
            for k in gen}


def moses_metrics(generated: Sequence[str], train: set[str], reference: Sequence[str],
                  k: Sequence[int] = (1000, 10_000), reference_stats: dict | None = None) -> dict:
    """Every metric above. ``train``: canonical training SMILES; ``reference``: canonical test SMILES;
    ``reference_stats`` may hold precomputed ``scaffolds``/``fragments`` Counters of the reference."""
    valid = [c for c in (canonical(s) for s in generated) if c is not None]
    ref_stats = reference_stats or {}
    ref_scaf = ref_stats.get("scaffolds") or scaffold_counts(reference)
    ref_frag = ref_stats.get("fragments") or fragment_counts(reference)
    out = {"n": len(generated), "valid": len(valid), "validity": len(valid) / max(len(generated), 1)}
    for kk in k:
        out[f"unique@{kk}"] = unique_at(valid, kk)
    out["novelty"] = novelty(valid, train)
    out["intdiv"] = internal_diversity(valid) if valid else None
    out["scaffold_similarity"] = cosine_similarity(scaffold_counts(valid), ref_scaf)
    out["fragment_similarity"] = cosine_similarity(fragment_counts(valid), ref_frag)
    out["properties"] = property_report(valid, reference) if valid else {}
    return out
