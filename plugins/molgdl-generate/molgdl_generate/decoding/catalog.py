"""The registered decoders: names, params models and builders (no torch import until a decoder is built)."""

from __future__ import annotations

from functools import partial
from typing import Literal

from pydantic import Field

from molgdl.specs import NoParams, Params

from .registry import DecoderSpec, register

Tau = Field(1.0, gt=0, description="entropy weight tau (temperature); 1 = the model's own distribution")


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


def _policy(tau=1.0, support=None, lam=0.0):
    from .policy import DecoderPolicy
    from .supports import full_support

    return DecoderPolicy(tau=tau, lam=lam, support=support or full_support)


def _support(name: str, **kw):
    from . import supports

    return partial(getattr(supports, name), **kw)


def _d():
    from . import decoders

    return decoders


def _register() -> None:
    register(DecoderSpec("greedy", "argmax of log p at every step (the tau -> 0 soft policy)", NoParams,
                         lambda p: _d().PolicyDecoder(_policy(), greedy=True)))
    register(DecoderSpec("beam", "beam search on sum log p (approximate hard-Bellman DP; exact MAP at full width)",
                         BeamParams, lambda p: _d().BeamDecoder(p.width)))
    register(DecoderSpec("sample", "temperature sampling, pi = softmax(log p / tau) (ancestral at tau = 1)",
                         SampleParams, lambda p: _d().PolicyDecoder(_policy(p.tau))))
    register(DecoderSpec("top_k", "sampling on the k most probable tokens", TopKParams,
                         lambda p: _d().PolicyDecoder(_policy(p.tau, _support('top_k_support', k=p.k)))))
    register(DecoderSpec("top_p", "nucleus sampling (smallest set with mass >= p)", TopPParams,
                         lambda p: _d().PolicyDecoder(_policy(p.tau, _support('top_p_support', p=p.p)))))
    register(DecoderSpec("typical", "locally typical sampling", TypicalParams,
                         lambda p: _d().PolicyDecoder(_policy(p.tau, _support('typical_support', mass=p.mass)))))
    register(DecoderSpec(
        "contrastive", "expert/amateur contrastive or context-aware decoding (needs generate.amateur)",
        ContrastiveParams,
        lambda p: _d().PolicyDecoder(_policy(p.tau, lam=p.lam, support=_support('plausibility_support', alpha=p.alpha)),
                                greedy=p.greedy, attribution="amateur_cad" if p.mode == "context_aware" else "amateur_cd"),
        frozenset({"amateur"})))
    register(DecoderSpec(
        "soft_bellman", "entropy-regularised Bellman policy with a rollout value; lam weights the guide score",
        SoftBellmanParams, lambda p: _d().SoftBellmanDecoder(_policy(p.tau, lam=p.lam), p.rollouts, p.candidates),
        frozenset()))
    register(DecoderSpec(
        "guided", "soft policy with the guide's learned prefix value as attribution, weighted by lam",
        GuidedParams,
        lambda p: _d().PolicyDecoder(_policy(p.tau, _support('top_p_support', p=p.top_p), lam=p.lam), attribution="guide"),
        frozenset({"guide"})))


_register()
