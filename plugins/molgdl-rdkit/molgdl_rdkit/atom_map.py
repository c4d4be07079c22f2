"""Which atoms set each fingerprint column: the atom-mapping side of the descriptor protocol.

A descriptor set that can say which atoms of a molecule are behind each of its columns defines
``atom_environments(record) -> dict[int, list[tuple[int, ...]]]``: column index -> one tuple of atom indices
(of ``mol_from_record(record)``, hydrogens implicit) per occurrence of the feature in the molecule. An
attribution analysis uses it to spread a column's contribution over those atoms. Read from RDKit's
``rdFingerprintGenerator.AdditionalOutput``:

=============  ================================  ============================================================
set            AdditionalOutput                  atoms of one occurrence
=============  ================================  ============================================================
ecfp, fcfp,    ``bitInfoMap``: (centre, radius)  the centre and every atom within ``radius`` bonds of it along
morgan                                           the environment's bonds (``FindAtomEnvironmentOfRadiusN``)
atompair       ``bitInfoMap``: (a, b)            the two atoms of the pair
torsion        ``bitPaths``: atom paths          the ``atom_count`` atoms of the torsion path
rdkit_path     ``bitPaths``: bond paths          the atoms of the path's bonds
=============  ================================  ============================================================

MACCS keys, Avalon and the RDKit 2D descriptors have no atom mapping.
"""

from __future__ import annotations

from typing import Any

#: fingerprint kinds (``molgdl_rdkit.fingerprints``) with an atom mapping
MAPPED_KINDS = ("ecfp", "fcfp", "atompair", "torsion", "rdkit_path")


def morgan_environment(mol, centre: int, radius: int) -> tuple[int, ...]:
    """Atoms of the Morgan environment of ``centre`` at ``radius`` (the centre first, then sorted)."""
    from rdkit import Chem

    if radius == 0:
        return (centre,)
    bonds = Chem.FindAtomEnvironmentOfRadiusN(mol, radius, centre)
    atoms = {centre}
    for b in bonds:
        bond = mol.GetBondWithIdx(b)
        atoms.update((bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()))
    return (centre, *sorted(atoms - {centre}))


def environments(generator: Any, kind: str, mol, counts: bool) -> dict[int, list[tuple[int, ...]]]:
    """Column -> atom tuples of every occurrence, for an ``rdFingerprintGenerator`` generator of ``kind``
    (``ecfp``/``fcfp``/``morgan``, ``atompair``, ``torsion`` or ``rdkit_path``) giving bits, or counts when
    ``counts``. The columns are exactly the non-zero ones of that fingerprint (with count simulation, the
    bit fingerprint's columns differ from the count fingerprint's: the same call as ``compute`` is made)."""
    from rdkit.Chem import rdFingerprintGenerator as rfg

    ao = rfg.AdditionalOutput()
    if kind in ("torsion", "rdkit_path"):
        ao.AllocateBitPaths()
    else:
        ao.AllocateBitInfoMap()
    if counts:
        generator.GetCountFingerprintAsNumPy(mol, additionalOutput=ao)
    else:
        generator.GetFingerprintAsNumPy(mol, additionalOutput=ao)
    out: dict[int, list[tuple[int, ...]]] = {}
    if kind in ("ecfp", "fcfp", "morgan"):
        for bit, hits in ao.GetBitInfoMap().items():
            out[int(bit)] = [morgan_environment(mol, int(a), int(r)) for a, r in hits]
    elif kind == "atompair":
        for bit, hits in ao.GetBitInfoMap().items():
            out[int(bit)] = [tuple(sorted({int(a), int(b)})) for a, b in hits]
    elif kind == "torsion":
        for bit, paths in ao.GetBitPaths().items():
            out[int(bit)] = [tuple(int(a) for a in p) for p in paths]
    elif kind == "rdkit_path":
        for bit, paths in ao.GetBitPaths().items():
            occ = []
            for p in paths:
                atoms: set[int] = set()
                for b in p:
                    bond = mol.GetBondWithIdx(int(b))
                    atoms.update((bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()))
                occ.append(tuple(sorted(atoms)))
            out[int(bit)] = occ
    else:
        raise ValueError(f"no atom mapping for fingerprint kind {kind!r}")
    return out
