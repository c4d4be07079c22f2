"""Tables and files of one attribution method: atoms, molecules, drawings, substructures."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .explainers import MoleculeAttribution
from .molecules import matching_molecule, molecule_of

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _symbol(z: int) -> str:
    from rdkit import Chem

    return Chem.GetPeriodicTable().GetElementSymbol(int(z)) if 0 < int(z) < 119 else "?"


def atom_frame(results: Sequence[MoleculeAttribution], table: Any) -> pd.DataFrame:
    """One row per atom: ``position`` (molecule in the table), ``id``, ``smiles``, ``atom`` (index),
    ``element``, ``attribution``, ``rank`` (1 = highest attribution of its molecule)."""
    rows = []
    for r in results:
        rec = table.records[r.position]
        order = np.argsort(-np.nan_to_num(r.atoms, nan=-np.inf), kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(1, len(order) + 1)
        for a, (z, w) in enumerate(zip(r.z, r.atoms)):
            rows.append((r.position, rec.id, rec.smiles, a, _symbol(z), float(w), int(rank[a])))
    return pd.DataFrame(rows, columns=["position", "id", "smiles", "atom", "element", "attribution", "rank"])


def molecule_frame(results: Sequence[MoleculeAttribution], table: Any) -> pd.DataFrame:
    """One row per molecule: ``prediction`` (explained output), ``reference`` (baseline output),
    ``on_atoms`` (sum of atom scores), ``off_atoms`` (the rest of prediction - reference), and method
    details."""
    rows = []
    for r in results:
        rec = table.records[r.position]
        rows.append({"position": r.position, "id": rec.id, "smiles": rec.smiles, "n_atoms": len(r.atoms),
                     "prediction": r.prediction, "reference": r.reference,
                     "on_atoms": float(np.nansum(r.atoms)) if len(r.atoms) else 0.0, "off_atoms": r.off_atoms,
                     **r.details})
    return pd.DataFrame(rows)


def molecules_of(results: Sequence[MoleculeAttribution], table: Any) -> list:
    """RDKit molecule of each result in the atom order of its scores, or None where none matches."""
    out = []
    for r in results:
        rec = table.records[r.position]
        mol = matching_molecule(rec, r.z) if len(r.z) else molecule_of(rec)
        out.append(mol if mol is not None and mol.GetNumAtoms() == len(r.atoms) and len(r.atoms) else None)
    return out


def write_method_outputs(out_dir: Path, method: str, results: Sequence[MoleculeAttribution], table: Any,
                         params: Any, target_name: str) -> dict[str, Any]:
    """Write ``<method>_atoms.csv``, ``_molecules.csv``, ``_molecules.png`` (+ ``<method>_molecules/*.svg``),
    ``_substructures.csv``, ``_substructures.png`` and ``_substructure_examples.png`` into ``out_dir``; return
    the method's JSON summary (``files``: the names written)."""
    from .aggregate import atom_environment, substructure_table, top_and_bottom
    from .draw import draw_grid, draw_molecule, plot_substructures

    out_dir.mkdir(parents=True, exist_ok=True)

    def name(what: str) -> str:
        return f"{method}_{what}"

    files = [name("atoms.csv"), name("molecules.csv")]
    atoms = atom_frame(results, table)
    atoms.to_csv(out_dir / name("atoms.csv"), index=False)
    mols_df = molecule_frame(results, table)
    mols_df.to_csv(out_dir / name("molecules.csv"), index=False)
    mols = molecules_of(results, table)

    drawable = [(r, m) for r, m in zip(results, mols) if m is not None and np.isfinite(r.atoms).all()]
    picks = drawable[: params.n_draw]
    if picks:
        svg_dir = out_dir / name("molecules")
        svg_dir.mkdir(exist_ok=True)
        legends = []
        for r, m in picks:
            rec = table.records[r.position]
            legend = f"{rec.id}: {r.prediction:.2f}"
            legends.append(legend)
            svg = draw_molecule(m, r.atoms, size=params.image_size, legend=legend, notes=True)
            (svg_dir / f"{r.position}_{_UNSAFE.sub('_', str(rec.id))[:40]}.svg").write_text(svg)
        png = draw_grid([m for _, m in picks], [r.atoms for r, _ in picks], legends, size=params.image_size,
                        per_row=params.mols_per_row)
        (out_dir / name("molecules.png")).write_bytes(png)
        files += [name("molecules.png"), name("molecules") + "/"]

    subs = substructure_table(mols, [r.atoms for r in results], [r.position for r in results], params.radius,
                              params.min_molecules)
    subs.to_csv(out_dir / name("substructures.csv"), index=False)
    up, down = top_and_bottom(subs, params.top_k)
    plot_substructures(up, down, out_dir / name("substructures.png"),
                       f"{method}: atom-centred substructures (radius {params.radius}) pushing {target_name} "
                       "up / down")
    files += [name("substructures.csv"), name("substructures.png")]
    examples = pd.concat([up, down])
    if len(examples):
        by_pos = {r.position: (r, m) for r, m in zip(results, mols)}
        ex_mols, ex_w, ex_atoms, ex_legends = [], [], [], []
        for row in examples.itertuples():
            r, m = by_pos[int(row.example_position)]
            env = atom_environment(m, int(row.example_atom), params.radius)
            ex_mols.append(m)
            ex_w.append(r.atoms)
            ex_atoms.append(env.atoms)
            ex_legends.append(f"{row.substructure} {row.mean:+.2f}")
        (out_dir / name("substructure_examples.png")).write_bytes(
            draw_grid(ex_mols, ex_w, ex_legends, size=params.image_size, per_row=params.mols_per_row,
                      highlight_only=ex_atoms))
        files.append(name("substructure_examples.png"))

    summary: dict[str, Any] = {
        "n_molecules": len(results),
        "n_atoms": int(sum(len(r.atoms) for r in results)),
        "n_drawn": len(picks),
        "top_up": [{"substructure": r.substructure, "mean": r.mean, "n_atoms": int(r.n_atoms)}
                   for r in up.head(3).itertuples()],
        "top_down": [{"substructure": r.substructure, "mean": r.mean, "n_atoms": int(r.n_atoms)}
                     for r in down.head(3).itertuples()],
        "files": files,
    }
    if method == "integrated_gradients" and len(mols_df):
        delta = (mols_df["prediction"] - mols_df["reference"]).abs()
        summary["completeness_gap_mean"] = float(mols_df["off_atoms"].abs().mean())
        gap = mols_df["off_atoms"].abs().sum()
        summary["completeness_gap_relative"] = float(gap / max(delta.sum(), 1e-12))
    if method == "permutation_shap" and len(mols_df):
        total = (mols_df["prediction"] - mols_df["reference"]).abs().sum()
        summary["off_atoms_share"] = float(mols_df["off_atoms"].abs().sum() / max(total, 1e-12))
    return summary
