"""A toy autoregressive model small enough to enumerate: tokens <pad> <bos> <eos> <unk> A B, strings of at most
``max_len`` tokens; log p(.|prefix) is a fixed random table indexed by the prefix (specials get -inf)."""

from __future__ import annotations

import itertools

import torch

EOS, A, B = 2, 4, 5
ACTIONS = (EOS, A, B)


class ToyLM:
    vocab_size = 6

    def __init__(self, seed: int = 0, scale: float = 1.5) -> None:
        self.seed, self.scale, self.table = seed, scale, {}

    def logp(self, prefix: tuple) -> torch.Tensor:
        if prefix not in self.table:
            g = torch.Generator().manual_seed(hash((self.seed, prefix)) % (2**31))
            logits = torch.full((self.vocab_size,), -torch.inf, dtype=torch.float64)
            logits[list(ACTIONS)] = self.scale * torch.randn(3, generator=g, dtype=torch.float64)
            self.table[prefix] = torch.log_softmax(logits, -1).float()
        return self.table[prefix]

    def start(self, n: int):
        return [() for _ in range(n)]

    def step(self, state, token):
        state = [s if t == 1 else s + (int(t),) for s, t in zip(state, token.tolist())]
        return torch.stack([self.logp(s) for s in state]), state

    @staticmethod
    def select(state, index):
        return [state[i] for i in index.tolist()]


def strings(max_len: int) -> list[tuple]:
    """Every terminal string: k < max_len letters then <eos>, or max_len letters (cut)."""
    out = []
    for k in range(max_len):
        out += [(*w, EOS) for w in itertools.product((A, B), repeat=k)]
    out += list(itertools.product((A, B), repeat=max_len))
    return out


def sequence_logp(lm: ToyLM, s: tuple) -> float:
    return sum(float(lm.logp(s[:t])[s[t]]) for t in range(len(s)))
