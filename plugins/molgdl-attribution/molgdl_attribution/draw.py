"""Drawings: molecules with atoms coloured by their score (RDKit ``rdMolDraw2D``) and the substructure chart.

Colours: red pushes the prediction up, blue pushes it down; the intensity is ``|score| / scale`` where
``scale`` is the largest ``|score|`` of the molecule (or a given one, to compare molecules on one scale).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

UP = (0.84, 0.15, 0.16)
DOWN = (0.12, 0.47, 0.71)


def atom_colours(weights: np.ndarray, scale: float | None = None) -> dict[int, tuple[float, float, float]]:
    """Atom index -> RGB mixing white with red (positive) or blue (negative) by ``|w| / scale``."""
    w = np.nan_to_num(np.asarray(weights, dtype=np.float64))
    scale = float(np.abs(w).max()) if scale is None else float(scale)
    out = {}
    for i, v in enumerate(w):
        t = min(1.0, abs(v) / scale) if scale > 0 else 0.0
        base = UP if v > 0 else DOWN
        out[i] = tuple(1.0 - t * (1.0 - c) for c in base)
    return out


def _prepared(mol, weights: np.ndarray, notes: bool):
    from rdkit import Chem
    from rdkit.Chem.Draw import rdMolDraw2D

    copy = Chem.Mol(mol)
    if notes:
        for atom, w in zip(copy.GetAtoms(), weights):
            if np.isfinite(w):
                atom.SetProp("atomNote", f"{w:+.2f}")
    try:
        return rdMolDraw2D.PrepareMolForDrawing(copy)
    except Exception:  # noqa: BLE001 - a molecule RDKit cannot kekulize is drawn as it is
        return copy


def _bonds(mol, colours: dict[int, tuple]) -> tuple[list[int], dict[int, tuple]]:
    """Every bond, coloured by the mean of its two atoms' colours."""
    ids, cols = [], {}
    for b in mol.GetBonds():
        i, j = b.GetBeginAtomIdx(), b.GetEndAtomIdx()
        ids.append(b.GetIdx())
        cols[b.GetIdx()] = tuple((a + c) / 2 for a, c in zip(colours[i], colours[j]))
    return ids, cols


def draw_molecule(mol, weights: np.ndarray, *, size: int = 300, legend: str = "", fmt: str = "svg",
                  scale: float | None = None, notes: bool = False):
    """One molecule with coloured atoms: SVG text (``fmt="svg"``) or PNG bytes (``"png"``).

    ``notes``: write each atom's score next to it."""
    from rdkit.Chem.Draw import rdMolDraw2D

    weights = np.asarray(weights, dtype=np.float64)
    colours = atom_colours(weights, scale)
    drawn = _prepared(mol, weights, notes)
    bonds, bond_cols = _bonds(drawn, colours)
    drawer = rdMolDraw2D.MolDraw2DSVG(size, size) if fmt == "svg" else rdMolDraw2D.MolDraw2DCairo(size, size)
    drawer.DrawMolecule(drawn, highlightAtoms=list(colours), highlightAtomColors=colours,
                        highlightBonds=bonds, highlightBondColors=bond_cols, legend=legend)
    drawer.FinishDrawing()
    return drawer.GetDrawingText()


def draw_grid(mols: Sequence, weights: Sequence[np.ndarray], legends: Sequence[str], *, size: int = 300,
              per_row: int = 4, highlight_only: Sequence[Sequence[int]] | None = None) -> bytes:
    """PNG of several molecules, each coloured on its own scale (``highlight_only``: colour only these atoms
    and the bonds between them)."""
    from rdkit.Chem.Draw import rdMolDraw2D

    cols = max(1, min(per_row, len(mols)))
    rows = (len(mols) + cols - 1) // cols
    drawn, atoms, atom_cols, bonds, bond_cols = [], [], [], [], []
    for i, (mol, w) in enumerate(zip(mols, weights)):
        colours = atom_colours(w)
        if highlight_only is not None:
            keep = set(highlight_only[i])
            colours = {a: c for a, c in colours.items() if a in keep}
        m = _prepared(mol, np.asarray(w, dtype=np.float64), False)
        kept = [b for b in m.GetBonds() if b.GetBeginAtomIdx() in colours and b.GetEndAtomIdx() in colours]
        drawn.append(m)
        atoms.append(list(colours))
        atom_cols.append(colours)
        bonds.append([b.GetIdx() for b in kept])
        bond_cols.append({b.GetIdx(): tuple((x + y) / 2 for x, y in zip(colours[b.GetBeginAtomIdx()],
                                                                         colours[b.GetEndAtomIdx()]))
                          for b in kept})
    drawer = rdMolDraw2D.MolDraw2DCairo(cols * size, rows * size, size, size)
    drawer.DrawMolecules(drawn, highlightAtoms=atoms, highlightAtomColors=atom_cols, highlightBonds=bonds,
                         highlightBondColors=bond_cols, legends=list(legends))
    drawer.FinishDrawing()
    return drawer.GetDrawingText()


def plot_substructures(up, down, path: Path, title: str, unit: str = "") -> None:
    """Horizontal bars: mean centre-atom score (± s.e.m.) of the top substructures up (red) and down
    (blue)."""
    from molgdl.run.plots import pyplot

    plt = pyplot()

    rows = list(down.itertuples())[::-1] + list(up.itertuples())[::-1]
    height = max(2.5, 0.32 * len(rows) + 1.2)
    fig, ax = plt.subplots(figsize=(7.5, height))
    if rows:
        y = np.arange(len(rows))
        colours = [UP if r.mean > 0 else DOWN for r in rows]
        ax.barh(y, [r.mean for r in rows], xerr=[r.sem for r in rows], color=colours, alpha=0.85, capsize=2)
        ax.set_yticks(y, [f"{r.substructure}  (n={r.n_atoms})" for r in rows], fontsize=8)
        ax.axvline(0.0, color="black", lw=0.8)
    else:
        ax.text(0.5, 0.5, "no substructure found in enough molecules", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_yticks([])
    ax.set_xlabel(f"mean atom contribution{f' ({unit})' if unit else ''}")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
