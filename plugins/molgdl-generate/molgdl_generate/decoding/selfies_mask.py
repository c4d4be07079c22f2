"""The one restriction SELFIES need: the first token is an atom and <eos> comes only after it, so that every
decoded string is a molecule with at least one atom (any SELFIES token string decodes to a valid molecule)."""

from __future__ import annotations

import torch

from ..tokenizers import Vocabulary


def is_selfies_atom(token: str) -> bool:
    return token.startswith("[") and "Branch" not in token and "Ring" not in token


class SelfiesStart:
    """Grammar-like state for B SELFIES strings (``mask``/``advance``/``check``, see grammar.py)."""

    def __init__(self, vocab: Vocabulary, batch_size: int) -> None:
        self.vocab = vocab
        self.atom = torch.tensor([i > vocab.unk and is_selfies_atom(t) for i, t in enumerate(vocab.tokens)])
        self.started = torch.zeros(batch_size, dtype=torch.bool)

    def mask(self, steps_left: int = 0) -> torch.Tensor:
        every = torch.ones(len(self.vocab), dtype=torch.bool)
        return torch.where(self.started[:, None], every[None], self.atom[None])

    def advance(self, tokens: torch.Tensor) -> None:
        self.started |= self.atom[tokens]

    def check(self, row: int, token: int) -> bool:
        return True

    def fresh(self, batch_size: int) -> "SelfiesStart":
        return SelfiesStart(self.vocab, batch_size)

    def select(self, index: torch.Tensor) -> None:
        self.started = self.started[index]
