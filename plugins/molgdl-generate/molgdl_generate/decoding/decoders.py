"""The decoder objects: each is a ``DecoderPolicy`` (value function, tau, action set) plus a selection rule
(their names and params: catalog.py)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .beam import beam_search
from .context import DecodeContext
from .loop import Decoded, run_policy
from .policy import DecoderPolicy
from .values import RolloutValue


@dataclass(frozen=True)
class PolicyDecoder:
    """Sample from (or take the argmax of) a policy, optionally with an attribution term."""

    policy: DecoderPolicy
    greedy: bool = False
    attribution: str | None = None  # None, "amateur_cd", "amateur_cad", "guide"

    def _attribution(self, ctx: DecodeContext):
        if self.attribution is None:
            return None
        if self.attribution == "guide":
            return ctx.guide
        return AmateurTerm(ctx.amateur, contrast=self.attribution == "amateur_cad")

    def generate(self, lm, n: int, ctx: DecodeContext) -> Decoded:
        grammar = ctx.grammar(n) if ctx.grammar else None
        return run_policy(lm, n, self.policy, greedy=self.greedy, max_len=ctx.max_len, grammar=grammar,
                          attribution=self._attribution(ctx), generator=ctx.generator, backtrack=ctx.backtrack,
                          **ctx.ids())


class AmateurTerm:
    """Contrastive attribution from a second model: -log p_A (contrastive decoding) or
    log p_E - log p_A (context-aware decoding: Q = (1 + lam) log p_E - lam log p_A)."""

    def __init__(self, amateur, contrast: bool) -> None:
        self.amateur, self.contrast = amateur, contrast

    def start(self, n: int):
        return self.amateur.start(n)

    def step(self, state, token, logp):
        logp_a, state = self.amateur.step(state, token)
        term = (logp - logp_a) if self.contrast else -logp_a
        return term.nan_to_num(nan=0.0, neginf=-1e9, posinf=1e9), state


@dataclass(frozen=True)
class SoftBellmanDecoder:
    policy: DecoderPolicy
    rollouts: int
    candidates: int

    def generate(self, lm, n: int, ctx: DecodeContext) -> Decoded:
        value = RolloutValue(ctx.max_len, self.policy.tau, self.policy.w_sense, self.policy.lam, ctx.score,
                             self.rollouts, self.candidates, ctx.eos, (ctx.pad, ctx.bos, ctx.unk), ctx.generator)
        grammar = ctx.grammar(n) if ctx.grammar else None
        return run_policy(lm, n, self.policy, max_len=ctx.max_len, grammar=grammar,
                          value=lambda state, prefixes, logp: value(lm, state, prefixes, logp),
                          generator=ctx.generator, backtrack=ctx.backtrack, **ctx.ids())


@dataclass(frozen=True)
class BeamDecoder:
    width: int

    def generate(self, lm, n: int, ctx: DecodeContext) -> Decoded:
        found = beam_search(lm, max(self.width, n), ctx.max_len, **ctx.ids())[:n]
        T = max(len(s) for s, _ in found)
        tokens = torch.full((len(found), T), ctx.pad, dtype=torch.long)
        for i, (s, _) in enumerate(found):
            tokens[i, : len(s)] = torch.tensor(s)
        return Decoded(tokens, torch.tensor([s for _, s in found]), torch.zeros(len(found)))


