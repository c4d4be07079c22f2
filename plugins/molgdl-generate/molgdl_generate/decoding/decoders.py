"""Built-in decoders: each is a ``DecoderPolicy`` (value function, tau, action set) plus a selection rule."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Literal

import torch
from pydantic import Field

from molgdl.specs import NoParams, Params

from .beam import beam_search
from .context import DecodeContext
from .loop import Decoded, run_policy
from .policy import DecoderPolicy
from .registry import DecoderSpec, register
from .supports import full_support, plausibility_support, top_k_support, top_p_support, typical_support
from .values import RolloutValue

Tau = Field(1.0, gt=0, description="entropy weight tau (temperature); 1 = the model's own distribution")


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
                          attribution=self._attribution(ctx), generator=ctx.generator, **ctx.ids())


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
                          generator=ctx.generator, **ctx.ids())


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


class SampleParams(Params):
    tau: float = Tau


class TopKParams(Params):
    k: int = Field(10, ge=1, description="keep the k most probable tokens")
    tau: float = Tau


class TopPParams(Params):
    p: float = Field(0.95, gt=0, le=1, description="keep the smallest set of tokens with mass >= p")
    tau: float = Tau


class TypicalParams(Params):
    mass: float = Field(0.95, gt=0, le=1, description="mass of the locally typical set")
    tau: float = Tau


class BeamParams(Params):
    width: int = Field(10, ge=1, description="partial strings kept per step")


class ContrastiveParams(Params):
    lam: float = Field(0.5, ge=0, description="weight of the amateur term")
    alpha: float = Field(0.1, ge=0, le=1, description="plausibility head: p_E >= alpha * max p_E (0: all)")
    tau: float = Tau
    mode: Literal["contrastive", "context_aware"] = Field(
        "contrastive", description="contrastive: log p_E - lam log p_A; context_aware: (1+lam) log p_E - lam log p_A")
    greedy: bool = Field(False, description="argmax instead of sampling")


class SoftBellmanParams(Params):
    tau: float = Tau
    lam: float = Field(0.0, description="weight of the guide score of the finished molecule (terminal reward)")
    rollouts: int = Field(4, ge=1, description="model continuations per candidate action (Monte-Carlo value)")
    candidates: int = Field(5, ge=1, description="most probable actions that get a rollout value (the action set)")


class GuidedParams(Params):
    tau: float = Tau
    lam: float = Field(1.0, description="weight of the guide's prefix value (per standard deviation of the score)")
    top_p: float = Field(1.0, gt=0, le=1, description="nucleus restriction of the action set (1: none)")


def _policy(tau=1.0, support=full_support, lam=0.0) -> DecoderPolicy:
    return DecoderPolicy(tau=tau, lam=lam, support=support)


def _register() -> None:
    register(DecoderSpec("greedy", "argmax of log p at every step (the tau -> 0 soft policy)", NoParams,
                         lambda p: PolicyDecoder(_policy(), greedy=True)))
    register(DecoderSpec("beam", "beam search on sum log p (approximate hard-Bellman DP; exact MAP at full width)",
                         BeamParams, lambda p: BeamDecoder(p.width)))
    register(DecoderSpec("sample", "temperature sampling, pi = softmax(log p / tau) (ancestral at tau = 1)",
                         SampleParams, lambda p: PolicyDecoder(_policy(p.tau))))
    register(DecoderSpec("top_k", "sampling on the k most probable tokens", TopKParams,
                         lambda p: PolicyDecoder(_policy(p.tau, partial(top_k_support, k=p.k)))))
    register(DecoderSpec("top_p", "nucleus sampling (smallest set with mass >= p)", TopPParams,
                         lambda p: PolicyDecoder(_policy(p.tau, partial(top_p_support, p=p.p)))))
    register(DecoderSpec("typical", "locally typical sampling", TypicalParams,
                         lambda p: PolicyDecoder(_policy(p.tau, partial(typical_support, mass=p.mass)))))
    register(DecoderSpec(
        "contrastive", "expert/amateur contrastive or context-aware decoding (needs generate.amateur)",
        ContrastiveParams,
        lambda p: PolicyDecoder(DecoderPolicy(tau=p.tau, lam=p.lam, support=partial(plausibility_support, alpha=p.alpha)),
                                greedy=p.greedy, attribution="amateur_cad" if p.mode == "context_aware" else "amateur_cd"),
        frozenset({"amateur"})))
    register(DecoderSpec(
        "soft_bellman", "entropy-regularised Bellman policy with a rollout value; lam weights the guide score",
        SoftBellmanParams, lambda p: SoftBellmanDecoder(_policy(p.tau, lam=p.lam), p.rollouts, p.candidates),
        frozenset()))
    register(DecoderSpec(
        "guided", "soft policy with the guide's learned prefix value as attribution, weighted by lam",
        GuidedParams,
        lambda p: PolicyDecoder(_policy(p.tau, partial(top_p_support, p=p.top_p), lam=p.lam), attribution="guide"),
        frozenset({"guide"})))


_register()
