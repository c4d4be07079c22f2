"""Molecule -> tree of fragments: cut bonds (BRICS or acyclic), connected pieces, a spanning tree rooted at the
centre. Every heavy atom lies in exactly one fragment (fragments are the pieces left after removing bonds)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from rdkit import Chem
from rdkit.Chem import BRICS


@dataclass(frozen=True)
class FragmentTree:
    """frag_of_atom: int64 [N] fragment of each atom (0..F-1, ordered by the smallest canonical atom rank);
    parent: int64 [F] parent fragment (-1 at a root; one root per connected component of the molecule)."""

    frag_of_atom: np.ndarray
    parent: np.ndarray

    @property
    def num_fragments(self) -> int:
        return len(self.parent)


def cut_bonds(mol: Chem.Mol, cut: str) -> list[int]:
    """Indices of the bonds that separate fragments."""
    if cut == "brics":
        return sorted({mol.GetBondBetweenAtoms(i, j).GetIdx() for (i, j), _ in BRICS.FindBRICSBonds(mol)})
    return [b.GetIdx() for b in mol.GetBonds()
            if not b.IsInRing() and b.GetBondType() == Chem.BondType.SINGLE
            and b.GetBeginAtom().GetDegree() > 1 and b.GetEndAtom().GetDegree() > 1]


def _components(n: int, edges: list[tuple[int, int]]) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes (union-find)."""
    root = list(range(n))

    def find(a: int) -> int:
        while root[a] != a:
            root[a] = root[root[a]]
            a = root[a]
        return a

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            root[max(ra, rb)] = min(ra, rb)
    return np.array([find(a) for a in range(n)], dtype=np.int64)


def _bfs_depths(adj: list[list[int]], start: int) -> dict[int, int]:
    seen, queue = {start: 0}, deque([start])
    while queue:
        a = queue.popleft()
        for b in adj[a]:
            if b not in seen:
                seen[b] = seen[a] + 1
                queue.append(b)
    return seen


def fragment_tree(mol: Chem.Mol, cut: str = "brics") -> FragmentTree:
    """The fragment tree of ``mol`` (no atom-order dependence: ranks are RDKit's canonical ranks)."""
    n = mol.GetNumAtoms()
    rank = np.array(Chem.CanonicalRankAtoms(mol, breakTies=True), dtype=np.int64) if n else np.zeros(0, np.int64)
    cuts = set(cut_bonds(mol, cut))
    kept = [(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in mol.GetBonds() if b.GetIdx() not in cuts]
    label = _components(n, kept)
    # fragments numbered by their smallest canonical rank
    pieces = sorted(set(label.tolist()), key=lambda lab: rank[label == lab].min())
    number = {lab: k for k, lab in enumerate(pieces)}
    frag = np.array([number[lab] for lab in label.tolist()], dtype=np.int64)
    f = len(pieces)
    adj: list[list[int]] = [[] for _ in range(f)]
    for b in sorted(cuts):
        bond = mol.GetBondWithIdx(b)
        u, v = frag[bond.GetBeginAtomIdx()], frag[bond.GetEndAtomIdx()]
        if u != v and v not in adj[u]:
            adj[u].append(int(v))
            adj[v].append(int(u))
    size = np.bincount(frag, minlength=f)
    min_rank = np.array([rank[frag == k].min() for k in range(f)])
    parent = np.full(f, -1, dtype=np.int64)
    done = np.zeros(f, dtype=bool)
    for k in range(f):  # one tree per connected component of the fragment graph
        if done[k]:
            continue
        members = sorted(_bfs_depths(adj, k))
        ecc = {m: max(_bfs_depths(adj, m).values()) for m in members}
        # the centre (smallest eccentricity); ties: the larger fragment, then the smaller canonical rank
        root = min(members, key=lambda m: (ecc[m], -size[m], min_rank[m]))
        seen, queue = {root}, deque([root])
        while queue:  # BFS spanning tree; neighbours in canonical order
            a = queue.popleft()
            for b in sorted(adj[a], key=lambda m: min_rank[m]):
                if b not in seen:
                    seen.add(b)
                    parent[b] = a
                    queue.append(b)
        done[list(seen)] = True
    return FragmentTree(frag, parent)
