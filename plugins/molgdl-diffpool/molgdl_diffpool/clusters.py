"""The ``diffpool_clusters`` analysis: level-1 cluster assignment of each molecule, as a table and pictures.

Loads the trained model of one seed (``ctx.model``), runs the molecules of a split through it, reads the
DiffPool readout's ``last_assignment`` and writes into ``ctx.out_dir``:

- ``assignments.csv``: one row per atom: molecule id, table position, SMILES, graph (conformer) index,
  atom index in the graph, atomic number, hard cluster (argmax of S), its probability, and ``p_0..p_{K-1}``;
- ``clusters.png``: a grid of the first ``n_draw`` molecules, atoms (and bonds inside one cluster) coloured
  by their hard cluster (RDKit drawing). Atom ``i`` of a ``graph2d`` graph is atom ``i`` of
  ``Chem.MolFromSmiles(smiles)``; 3D graphs with hydrogens are matched to ``Chem.AddHs`` of it. A molecule
  whose graph does not match either atom order is exported but not drawn.
"""

from __future__ import annotations

import csv
from typing import Any

import numpy as np

from molgdl.errors import ConfigError

PALETTE = [  # tab20-like, light enough that atom labels stay readable
    (0.12, 0.47, 0.71), (1.0, 0.50, 0.05), (0.17, 0.63, 0.17), (0.84, 0.15, 0.16), (0.58, 0.40, 0.74),
    (0.55, 0.34, 0.29), (0.89, 0.47, 0.76), (0.50, 0.50, 0.50), (0.74, 0.74, 0.13), (0.09, 0.75, 0.81),
    (0.68, 0.78, 0.91), (1.0, 0.73, 0.47), (0.60, 0.87, 0.54), (1.0, 0.60, 0.59), (0.77, 0.69, 0.84),
    (0.77, 0.61, 0.58), (0.97, 0.71, 0.82), (0.78, 0.78, 0.78), (0.86, 0.86, 0.55), (0.62, 0.85, 0.90),
]


def build_clusters_analysis(params):
    def run(ctx) -> dict[str, Any]:
        return export_clusters(ctx, params)

    return run


def _selected_positions(ctx, seed: int, split: str) -> list[int]:
    """Table positions of the molecules of ``split`` (all molecules for ``"all"``)."""
    if split == "all":
        return list(range(len(ctx.table)))
    from molgdl.data.splits import read_split_file

    rows = read_split_file(ctx.run_dir / f"seed_{seed}" / "split.json")[split]
    row_to_pos = {rec.row - 1: i for i, rec in enumerate(ctx.table.records)}
    return sorted(row_to_pos[r] for r in rows if r in row_to_pos)


def _assign(model, graphs: list, batch_size: int) -> list[np.ndarray]:
    """Level-1 assignment ``[n_atoms, K]`` of each graph."""
    import torch
    from torch_geometric.data import Batch

    out: list[np.ndarray] = []
    with torch.no_grad():
        for start in range(0, len(graphs), batch_size):
            batch = Batch.from_data_list(graphs[start:start + batch_size])
            model.embed(batch)
            s = model.readout.last_assignment.double().numpy()
            ptr = batch.ptr.tolist()
            out += [s[a:b] for a, b in zip(ptr[:-1], ptr[1:])]
    return out


def export_clusters(ctx, params) -> dict[str, Any]:
    if getattr(ctx, "resolved", None) is None:  # molgdl.testing's stub context: no trained model to load
        return {"skipped": "no trained model in this context (the run's resolved config is missing)"}
    seed = ctx.seeds[0] if params.seed is None else params.seed
    if seed not in ctx.seeds:
        raise ConfigError(f"diffpool_clusters: seed {seed} has no trained model; seeds of this run: {ctx.seeds}",
                          hint="set analyses[].seed to one of run.seeds, or null")
    model = ctx.model(seed)
    if not hasattr(model.readout, "last_assignment"):
        raise ConfigError(f"diffpool_clusters needs the diffpool readout; this run uses "
                          f"{type(model.readout).__name__}", hint="set readout: {name: diffpool} or drop the analysis")
    positions = _selected_positions(ctx, seed, params.split)
    wanted = set(positions)
    owner = np.asarray(ctx.graphs.graph_owner)
    graph_ids = [g for g in range(len(owner)) if int(owner[g]) in wanted]
    graph_ids.sort(key=lambda g: (int(owner[g]), g))
    graphs = [ctx.graphs.dataset[g] for g in graph_ids]
    if not graphs:
        return {"seed": seed, "split": params.split, "n_molecules": 0, "n_atoms": 0}
    probs = _assign(model, graphs, params.batch_size)
    if any(p.ndim != 2 for p in probs):
        raise ConfigError("diffpool_clusters: the readout has no learned first level (its first level has one "
                          "cluster)", hint="use levels such as [0.25, 1]")
    k = probs[0].shape[1]

    path = ctx.out_dir / "assignments.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "mol_index", "smiles", "graph", "atom", "z", "cluster", "p_cluster",
                    *[f"p_{c}" for c in range(k)]])
        for g, graph, p in zip(graph_ids, graphs, probs):
            rec = ctx.table.records[int(owner[g])]
            hard = p.argmax(1)
            for atom in range(p.shape[0]):
                w.writerow([rec.id, int(owner[g]), rec.smiles, g, atom, int(graph.z[atom]), int(hard[atom]),
                            f"{p[atom, hard[atom]]:.6f}", *[f"{v:.6f}" for v in p[atom]]])

    first_per_mol: dict[int, int] = {}
    for i, g in enumerate(graph_ids):
        first_per_mol.setdefault(int(owner[g]), i)
    drawn = draw_clusters(ctx, [first_per_mol[m] for m in sorted(first_per_mol)][: params.n_draw], graph_ids,
                          graphs, probs, params)
    hard_counts = [len(np.unique(p.argmax(1))) for p in probs]
    return {
        "seed": seed,
        "split": params.split,
        "n_molecules": len(first_per_mol),
        "n_graphs": len(graphs),
        "n_atoms": int(sum(p.shape[0] for p in probs)),
        "clusters": int(k),
        "mean_clusters_used": float(np.mean(hard_counts)),
        "mean_atoms_per_cluster": float(np.mean([p.shape[0] / c for p, c in zip(probs, hard_counts)])),
        "mean_max_probability": float(np.mean(np.concatenate([p.max(1) for p in probs]))),
        "drawn": drawn,
        "files": ["assignments.csv"] + (["clusters.png"] if drawn else []),
    }


def _drawable_mol(smiles: str, z: np.ndarray):
    """The RDKit molecule whose atom order is the graph's (heavy atoms, or with hydrogens), else None."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    try:
        mol = Chem.MolFromSmiles(smiles) if smiles else None
    finally:
        RDLogger.EnableLog("rdApp.*")
    if mol is None:
        return None
    for candidate in (mol, Chem.AddHs(mol)):
        if [a.GetAtomicNum() for a in candidate.GetAtoms()] == [int(v) for v in z]:
            return candidate
    return None


def draw_clusters(ctx, picks: list[int], graph_ids, graphs, probs, params) -> int:
    """Write ``clusters.png`` for the graphs at ``picks``; the number of molecules drawn."""
    from rdkit.Chem.Draw import rdMolDraw2D

    mols, atoms, atom_cols, bonds, bond_cols, legends = [], [], [], [], [], []
    for i in picks:
        rec = ctx.table.records[int(ctx.graphs.graph_owner[graph_ids[i]])]
        mol = _drawable_mol(rec.smiles or "", graphs[i].z.numpy())
        if mol is None:
            continue
        hard = probs[i].argmax(1)
        colour = {a: PALETTE[int(hard[a]) % len(PALETTE)] for a in range(mol.GetNumAtoms())}
        same = [b.GetIdx() for b in mol.GetBonds() if hard[b.GetBeginAtomIdx()] == hard[b.GetEndAtomIdx()]]
        mols.append(mol)
        atoms.append(list(colour))
        atom_cols.append(colour)
        bonds.append(same)
        bond_cols.append({b: colour[mol.GetBondWithIdx(b).GetBeginAtomIdx()] for b in same})
        used = len(set(hard.tolist()))
        legends.append(f"{rec.id} ({used} cluster{'' if used == 1 else 's'})")
    if not mols:
        return 0
    cols = min(params.mols_per_row, len(mols))
    rows = (len(mols) + cols - 1) // cols
    size = params.image_size
    drawer = rdMolDraw2D.MolDraw2DCairo(cols * size, rows * size, size, size)
    drawer.DrawMolecules(mols, highlightAtoms=atoms, highlightAtomColors=atom_cols, highlightBonds=bonds,
                         highlightBondColors=bond_cols, legends=legends)
    drawer.FinishDrawing()
    (ctx.out_dir / "clusters.png").write_bytes(drawer.GetDrawingText())
    return len(mols)
