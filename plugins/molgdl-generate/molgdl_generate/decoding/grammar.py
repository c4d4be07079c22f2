"""SMILES grammar and valence masks: restrict A(s) so that decoded strings parse and sanitize.

Two layers, per sequence of a batch:
- a grammar mask (``mask()``, bool [B, V]) from a small state machine: branches open/close in order and never
  empty, ring-closure digits pair up (never on the atom that opened them), no two bonds in a row, <eos> only
  when every branch and ring is closed, no new branch or ring when the tokens left are just enough to close
  the open ones; '.', '*' and reaction/wildcard tokens are never proposed;
- a lazy RDKit check (``check``) of the token actually chosen: the prefix with open rings and branches
  closed (open ring bonds and a trailing bond or '(' go to probe carbons) is parsed without sanitization
  and its explicit valences checked (``UpdatePropertyCache(strict)``); <eos> is accepted only if the whole
  string sanitizes (aromaticity, kekulization). A rejected token is masked and the decoder chooses again.

Kekulization is not checked before <eos>: a ring system is often completed by a substituent written after its
ring closure (the N-methyl of ``c2ccccc2n1C``), so checking at the closure would reject real molecules. An
aromatic system the model gets wrong therefore surfaces only at <eos>, where every token may be rejected (a dead
end); the decoding loop then backtracks (``decoding/loop.py``; ``blame`` tells it where the failing system ends)
or, with backtracking off, ends the string as invalid. A token that would strand the string (a full atom with
a ring bond still open and no branch to return from) is rejected (``_strands``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..tokenizers import Vocabulary

ATOM, BOND, OPEN, CLOSE, RING, START, OTHER = range(7)
BONDS = {"-", "=", "#", "$", ":", "/", "\\"}
ORGANIC = {"B", "Br", "C", "Cl", "N", "O", "S", "P", "F", "I", "b", "c", "n", "o", "s", "p"}
MAX_OPEN_RINGS = 6
SINGLE_VALENCE = {"B", "C", "N", "O", "F", "Cl", "Br", "I"}  # one allowed valence in the SMILES organic subset
MAX_DEPTH = 6


def token_class(token: str) -> int:
    if token in ORGANIC or (token.startswith("[") and token.endswith("]")):
        return ATOM
    if token in BONDS:
        return BOND
    if token == "(":
        return OPEN
    if token == ")":
        return CLOSE
    if token.isdigit() or (token.startswith("%") and token[1:].isdigit()):
        return RING
    return OTHER


@dataclass
class _Row:
    prev: int = START
    depth: int = 0
    atoms: int = 0
    rings: dict = field(default_factory=dict)  # ring label -> index of the atom that opened it
    tokens: list = field(default_factory=list)
    done: bool = False


class SmilesGrammar:
    """Grammar state of B partial SMILES strings over ``vocab`` (a "smiles" vocabulary)."""

    def __init__(self, vocab: Vocabulary, batch_size: int, rdkit_check: bool = True) -> None:
        self.vocab, self.rdkit_check = vocab, rdkit_check
        self.classes = [token_class(t) if i > vocab.unk else OTHER for i, t in enumerate(vocab.tokens)]
        self.rows = [_Row() for _ in range(batch_size)]
        V = len(vocab)
        self._by_class = {c: torch.tensor([k == c for k in self.classes]) for c in (ATOM, BOND, OPEN, CLOSE)}
        self._ring_ids = [i for i, k in enumerate(self.classes) if k == RING]

    def fresh(self, batch_size: int) -> "SmilesGrammar":
        """A new state of ``batch_size`` empty strings with the same vocabulary and settings (backtracking)."""
        other = SmilesGrammar(self.vocab, batch_size, self.rdkit_check)
        other._cache = self.__dict__.setdefault("_cache", {})  # masks depend only on the row key: shareable
        return other

    def select(self, index: torch.Tensor) -> None:
        import copy

        self.rows = [copy.deepcopy(self.rows[i]) for i in index.tolist()]

    def _row_mask(self, row: _Row, steps_left: int) -> torch.Tensor:
        V = len(self.vocab)
        m = torch.zeros(V, dtype=torch.bool)
        if row.done:
            m[self.vocab.pad] = True
            return m
        complete = row.depth == 0 and not row.rings
        # near max_len: no new branch or ring, so that the string can still be closed
        tight = steps_left <= 2 * (row.depth + len(row.rings)) + 3
        if row.prev == START:
            return m | self._by_class[ATOM]
        if row.prev == BOND:
            m |= self._by_class[ATOM]
            allow_rings = True
        elif row.prev == OPEN:
            return m | self._by_class[ATOM] | self._by_class[BOND]
        else:  # ATOM, RING, CLOSE
            m |= self._by_class[ATOM] | self._by_class[BOND]
            if not tight and row.depth < MAX_DEPTH:
                m |= self._by_class[OPEN]
            if row.depth > 0:
                m |= self._by_class[CLOSE]
            if complete:
                m[self.vocab.eos] = True
            allow_rings = row.prev != CLOSE
        if allow_rings:
            for i in self._ring_ids:
                label = self.vocab.tokens[i]
                opened = row.rings.get(label)
                if opened is None:
                    m[i] = len(row.rings) < MAX_OPEN_RINGS and not tight
                else:
                    m[i] = opened != row.atoms - 1
        return m

    def mask(self, steps_left: int = 10**6) -> torch.Tensor:
        """bool [B, V]: the grammatical next tokens of each row (``steps_left``: tokens still allowed)."""
        return torch.stack([self._cached_mask(r, steps_left) for r in self.rows])

    def _cached_mask(self, row: _Row, steps_left: int) -> torch.Tensor:
        """The mask depends on the row only through this key (memoised: rows share few states)."""
        tight = steps_left <= 2 * (row.depth + len(row.rings)) + 3
        rings = tuple(sorted((label, at == row.atoms - 1) for label, at in row.rings.items()))
        key = (row.done, row.prev, min(row.depth, MAX_DEPTH), tight, rings)
        cache = self.__dict__.setdefault("_cache", {})
        if key not in cache:
            cache[key] = self._row_mask(row, steps_left)
        return cache[key]

    def advance(self, tokens: torch.Tensor) -> None:
        """Append the chosen token of every row."""
        for row, t in zip(self.rows, tokens.tolist()):
            if row.done:
                continue
            if t == self.vocab.eos:
                row.done = True
                continue
            tok, cls = self.vocab.tokens[t], self.classes[t]
            row.tokens.append(tok)
            if cls == ATOM:
                row.atoms += 1
            elif cls == OPEN:
                row.depth += 1
            elif cls == CLOSE:
                row.depth -= 1
            elif cls == RING:
                if tok in row.rings:
                    del row.rings[tok]
                else:
                    row.rings[tok] = row.atoms - 1
            row.prev = cls

    def _closed_prefix(self, row: _Row, extra: str) -> tuple[str, int]:
        """The prefix plus ``extra`` with open ring bonds and branches sent to probe carbons, and the atom
        index (in that string) of its last real atom (-1 if none)."""
        tokens = [*row.tokens, extra]
        opened: dict[str, int] = {}
        for i, tok in enumerate(tokens):
            if token_class(tok) == RING:
                if tok in opened:
                    del opened[tok]
                else:
                    opened[tok] = i
        probes = set(opened.values())
        kept: list[str] = []
        atoms, last = 0, -1
        for i, tok in enumerate(tokens):
            if i in probes:  # an open ring bond: counted as a branch to a probe carbon
                bond = kept.pop() if kept and token_class(kept[-1]) == BOND else ""
                kept += ["(", bond, "C", ")"] if bond else ["(", "C", ")"]
                atoms += 1
            else:
                kept.append(tok)
                if token_class(tok) == ATOM:
                    last, atoms = atoms, atoms + 1
        if kept and token_class(kept[-1]) in (BOND, OPEN):
            kept.append("C")  # probe: the bond (or branch) must have a free valence to go to
        depth = sum(t == "(" for t in kept) - sum(t == ")" for t in kept)
        return "".join(kept) + ")" * depth, last

    def blame(self, tokens: list[int]) -> int | None:
        """Where a retry of a dead-ended row should start: for a string whose only problem is an aromatic
        system that does not kekulize, the token position of that system's last atom (the first place where
        a different choice can fix it); None otherwise (then the loop backs off from the end)."""
        from rdkit import Chem, RDLogger

        RDLogger.DisableLog("rdApp.*")
        atoms = [i for i, t in enumerate(tokens) if self.classes[t] == ATOM]
        mol = Chem.MolFromSmiles("".join(self.vocab.tokens[t] for t in tokens), sanitize=False)
        if mol is None or mol.GetNumAtoms() != len(atoms):
            return None
        failing = [i for p in Chem.DetectChemistryProblems(mol) if p.GetType() == "KekulizeException"
                   for i in p.GetAtomIndices()]
        return atoms[max(failing)] if failing else None

    def check(self, row_index: int, token: int) -> bool:
        """True if appending ``token`` to row ``row_index`` keeps the valences legal (RDKit)."""
        if not self.rdkit_check:
            return True
        from rdkit import Chem, RDLogger

        RDLogger.DisableLog("rdApp.*")
        row = self.rows[row_index]
        if row.done:
            return True
        if token == self.vocab.eos:
            return Chem.MolFromSmiles("".join(row.tokens)) is not None
        if self.classes[token] not in (ATOM, BOND, RING, CLOSE, OPEN):
            return True
        label = self.vocab.tokens[token]
        text, last = self._closed_prefix(row, label)
        mol = Chem.MolFromSmiles(text, sanitize=False)
        if mol is None:
            return False
        try:
            mol.UpdatePropertyCache(strict=True)
        except Exception:  # noqa: BLE001 - RDKit's AtomValenceException and kin
            return False
        return not self._strands(row, token, mol, last)

    def _strands(self, row: _Row, token: int, mol, last: int) -> bool:
        """Whether ``token`` leaves the string unable to go on: a ring bond still open, no branch to return
        from, and the current atom full (a plain C, N, O or halogen with no hydrogen left, e.g. the O of
        ``C2=O`` while ring 1 is open). Atoms whose valence can grow (S, P, bracket, aromatic) are not judged."""
        if self.classes[token] not in (ATOM, RING) or row.depth > 0 or last < 0:
            return False
        label = self.vocab.tokens[token]
        rings = set(row.rings) ^ ({label} if self.classes[token] == RING else set())
        if not rings:
            return False
        atom = mol.GetAtomWithIdx(last)
        return (atom.GetSymbol() in SINGLE_VALENCE and not atom.GetIsAromatic() and not atom.GetNoImplicit()
                and atom.GetFormalCharge() == 0 and atom.GetNumImplicitHs() == 0)
