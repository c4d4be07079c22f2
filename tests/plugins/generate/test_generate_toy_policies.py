"""Decoding as action-value optimisation on a toy model that can be enumerated (methods.md section 6 tests)."""

from __future__ import annotations

import math
from collections import Counter

import torch
from generate_toy import ACTIONS, EOS, A, ToyLM, sequence_logp, strings

from molgdl_generate.decoding.beam import beam_search
from molgdl_generate.decoding.context import DecodeContext
from molgdl_generate.decoding.loop import run_policy, special_mask
from molgdl_generate.decoding.policy import DecoderPolicy
from molgdl_generate.decoding.registry import decoder_params
from molgdl_generate.decoding.values import ExactValue, RolloutValue

T = 4


def policy_sequence_logp(lm, policy, value, s: tuple) -> float:
    """log pi(s) = sum_t log pi(s_t | s_<t) with the look-ahead value V(s_<t + a)."""
    total = 0.0
    for t in range(len(s)):
        logp = lm.logp(s[:t])[None]
        v = value(lm, None, [list(s[:t])], logp)
        mask = special_mask(lm.vocab_size)[None]
        total += float(policy.log_policy(logp, value=v, mask=mask)[0, s[t]])
    return total


def test_soft_bellman_tau1_lambda0_is_the_model_distribution():
    lm = ToyLM(seed=1)
    value = ExactValue(lm, special_mask(lm.vocab_size), T, tau=1.0)
    policy = DecoderPolicy(tau=1.0)
    total = 0.0
    for s in strings(T):
        p, pi = sequence_logp(lm, s), policy_sequence_logp(lm, policy, value, s)
        assert abs(p - pi) < 1e-5, s
        total += math.exp(p)
    assert abs(total - 1.0) < 1e-5
    assert max(abs(v) for v in value.memo.values()) < 1e-6  # V = 0 by backward induction


def test_soft_bellman_with_terminal_attribution_tilts_the_distribution():
    """tau = 1: pi(y) = p(y) exp(lam g(y)) / Z with g = number of A (cut strings: g = 0)."""
    lm, lam = ToyLM(seed=2), 0.7

    def g(tokens):
        return float(sum(t == A for t in tokens))

    value = ExactValue(lm, special_mask(lm.vocab_size), T, tau=1.0, lam=lam, score=g)
    policy = DecoderPolicy(tau=1.0)
    weights = {s: sequence_logp(lm, s) + (lam * g(s[:-1]) if s[-1] == EOS else 0.0) for s in strings(T)}
    log_z = math.log(sum(math.exp(w) for w in weights.values()))
    for s, w in weights.items():
        assert abs(policy_sequence_logp(lm, policy, value, s) - (w - log_z)) < 1e-5, s


def test_soft_bellman_low_temperature_approaches_the_map():
    lm = ToyLM(seed=3)
    value = ExactValue(lm, special_mask(lm.vocab_size), T, tau=0.02)
    best = max(strings(T), key=lambda s: sequence_logp(lm, s))
    assert policy_sequence_logp(lm, DecoderPolicy(tau=0.02), value, best) > math.log(0.99)


def test_beam_search_at_full_width_is_the_exact_map():
    for seed in range(5):
        lm = ToyLM(seed=seed, scale=0.8)
        ranked = sorted(strings(T), key=lambda s: -sequence_logp(lm, s))
        found = beam_search(lm, width=len(ACTIONS) ** T, max_len=T)
        assert tuple(found[0][0]) == ranked[0]
        assert abs(found[0][1] - sequence_logp(lm, ranked[0])) < 1e-5
        assert [tuple(s) for s, _ in found[:5]] == ranked[:5]


def test_greedy_can_miss_the_map_that_beam_finds():
    """Some seed where greedy's string is not the MAP (so the beam test above is not trivially greedy)."""
    misses = 0
    for seed in range(30):
        lm = ToyLM(seed=seed, scale=0.8)
        greedy = run_policy(lm, 1, DecoderPolicy(), greedy=True, max_len=T).tokens[0].tolist()
        greedy = tuple(t for t in greedy if t != 0)
        best = max(strings(T), key=lambda s: sequence_logp(lm, s))
        misses += greedy != best
    assert misses > 0


def test_ancestral_sampling_matches_the_enumerated_distribution():
    lm = ToyLM(seed=4)
    n = 20000
    out = run_policy(lm, n, DecoderPolicy(tau=1.0), max_len=T, generator=torch.Generator().manual_seed(0))
    counts = Counter(tuple(t for t in row if t != 0) for row in out.tokens.tolist())
    for s in strings(T):
        p = math.exp(sequence_logp(lm, s))
        assert abs(counts[s] / n - p) < 5 * math.sqrt(p * (1 - p) / n) + 1e-4, s
    # the recorded log-likelihood is the model's
    first = tuple(t for t in out.tokens[0].tolist() if t != 0)
    assert abs(float(out.log_likelihood[0]) - sequence_logp(lm, first)) < 1e-5


def test_rollout_value_tau1_lambda0_is_zero_and_estimates_the_exact_value():
    lm = ToyLM(seed=5)
    gen = torch.Generator().manual_seed(0)
    logp = lm.logp(())[None]
    zero = RolloutValue(T, tau=1.0, rollouts=8, candidates=3, generator=gen)(lm, [()], [[]], logp)
    assert torch.allclose(zero[0, list(ACTIONS)], torch.zeros(3))

    def g_batch(seqs):
        return [float(sum(t == A for t in s)) for s in seqs]

    lam = 0.5
    exact = ExactValue(lm, special_mask(lm.vocab_size), T, lam=lam, score=lambda s: g_batch([s])[0])
    mc = RolloutValue(T, tau=1.0, lam=lam, score=g_batch, rollouts=4000, candidates=3, generator=gen)
    estimate = mc(lm, [()], [[]], logp)[0]
    truth = exact(lm, None, [[]], logp)[0]
    for a in ACTIONS:
        assert abs(float(estimate[a]) - float(truth[a])) < 0.05, a


def test_context_aware_and_contrastive_with_lambda0_equal_base_sampling():
    lm, amateur = ToyLM(seed=6), ToyLM(seed=7)
    _, sample = decoder_params({"name": "sample"})
    base = decoder_params({"name": "sample"})[0].build(sample)
    for mode in ("context_aware", "contrastive"):
        spec, params = decoder_params({"name": "contrastive", "lam": 0.0, "alpha": 0.0, "mode": mode})
        decoder = spec.build(params)
        a = decoder.generate(lm, 500, DecodeContext(max_len=T, amateur=amateur, generator=torch.Generator().manual_seed(3)))
        b = base.generate(lm, 500, DecodeContext(max_len=T, generator=torch.Generator().manual_seed(3)))
        assert torch.equal(a.tokens, b.tokens)
    # and lam > 0 changes it (the test above is not vacuous)
    spec, params = decoder_params({"name": "contrastive", "lam": 2.0, "alpha": 0.0, "mode": "context_aware"})
    a = spec.build(params).generate(lm, 500, DecodeContext(max_len=T, amateur=amateur, generator=torch.Generator().manual_seed(3)))
    assert not torch.equal(a.tokens, b.tokens)
