"""From per-feature attributions to per-atom ones, through the descriptor columns' atom environments.

A descriptor set that can trace its columns back to atoms defines ``atom_environments(record) ->
{column: [atom tuple per occurrence]}`` (the first-party fingerprints do: ``molgdl_rdkit.atom_map``). A
column's attribution is split equally over its occurrences in the molecule, and each occurrence's share
equally over its atoms, so the atom scores sum to the attribution of the columns present in the molecule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from molgdl.errors import ConfigError


@dataclass(frozen=True)
class DescriptorBlock:
    """One descriptor set of a run: its registered ``name``, the descriptor object, and its columns
    ``[offset, offset + width)`` in the concatenated descriptor vector."""

    name: str
    descriptor: Any
    offset: int
    width: int

    @property
    def mapped(self) -> bool:
        return callable(getattr(self.descriptor, "atom_environments", None))


def unmapped_message(blocks: Sequence[DescriptorBlock]) -> str:
    names = ", ".join(repr(b.name) for b in blocks if not b.mapped)
    return (f"descriptor set(s) {names} have no atom mapping: their columns are whole-molecule values (or "
            "keys without recorded atoms), so their attribution cannot be placed on atoms")


def check_mapped(blocks: Sequence[DescriptorBlock]) -> None:
    """``ConfigError`` when no descriptor set of the run maps its columns to atoms."""
    if not any(b.mapped for b in blocks):
        raise ConfigError(
            "per-atom attribution of a descriptor model needs a fingerprint whose bits can be traced to "
            "atoms; " + unmapped_message(blocks),
            hint="train with descriptors such as ecfp, fcfp, morgan, atompair, torsion or rdkit_path "
                 "(rdkit2d, maccs and avalon have no atom mapping); the per-feature Shapley values of this "
                 "run are still written to permutation_shap_features.csv by the attribution analysis")


def environments_of(blocks: Sequence[DescriptorBlock], record: Any) -> dict[int, list[tuple[int, ...]]]:
    """Global column -> atom tuples of every occurrence, over every mapped block."""
    out: dict[int, list[tuple[int, ...]]] = {}
    for b in blocks:
        if not b.mapped:
            continue
        for col, occ in b.descriptor.atom_environments(record).items():
            if 0 <= col < b.width and occ:
                out[b.offset + int(col)] = [tuple(int(a) for a in o) for o in occ]
    return out


def spread_to_atoms(phi: np.ndarray, environments: dict[int, list[tuple[int, ...]]], n_atoms: int,
                    mapped: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Atom scores ``[n_atoms]`` from feature attributions ``phi [D]``.

    ``mapped``: bool ``[D]``, the columns of descriptor sets with an atom mapping. Returns ``(atoms,
    absent, unmapped)``: ``absent`` is the attribution of mapped columns with no occurrence in the molecule
    (e.g. a fingerprint bit the background has and the molecule lacks), ``unmapped`` that of the other
    descriptor sets' columns; ``atoms.sum() + absent + unmapped == phi.sum()``.
    """
    atoms = np.zeros(n_atoms)
    placed = np.zeros(len(phi), dtype=bool)
    for col, occ in environments.items():
        share = phi[col] / len(occ)
        for o in occ:
            if any(a >= n_atoms for a in o):
                raise ConfigError(f"descriptor column {col} names atom {max(o)} of a molecule with {n_atoms} "
                                  "atoms",
                                  hint="the descriptor's atom_environments must index the atoms of the "
                                       "molecule parsed from its SMILES (hydrogens implicit)")
            np.add.at(atoms, list(o), share / len(o))
        placed[col] = True
    absent = float(phi[mapped & ~placed].sum())
    unmapped = float(phi[~mapped].sum())
    return atoms, absent, unmapped
