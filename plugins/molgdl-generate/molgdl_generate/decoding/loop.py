"""Token-by-token decoding of a batch from a ``DecoderPolicy`` (sampling or greedy).

``lm``: the models' decoding interface (``start``/``step``/``select``, see molgdl_generate.models).
Optional per-step terms: ``attribution`` (``start(n)``, ``step(state, token, logp) -> ([B, V], state)``),
``value`` (``__call__(state, prefixes, logp) -> V(s + a) [B, V]``, state: the model after reading s) and ``grammar`` (``mask``/``advance``/``check``).
Returns ``Decoded``: token ids [B, T] (<pad> after <eos>), per-molecule log-likelihood under the LM
(sum log p, nats) and the summed entropy of the policy (nats).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .policy import DecoderPolicy


@dataclass(frozen=True)
class Decoded:
    tokens: torch.Tensor  # int64 [B, T]
    log_likelihood: torch.Tensor  # float [B], sum of log p_LM over the chosen tokens (nats)
    entropy: torch.Tensor  # float [B], sum over steps of H(pi(.|s_t)) (nats)
    dead_end: torch.Tensor | None = None  # bool [B]: the masks rejected every token and ended the string


def special_mask(vocab_size: int, pad: int = 0, bos: int = 1, unk: int = 3) -> torch.Tensor:
    """bool [V]: every token but <pad>, <bos> and <unk>."""
    m = torch.ones(vocab_size, dtype=torch.bool)
    m[[pad, bos, unk]] = False
    return m


@torch.no_grad()
def run_policy(lm, n: int, policy: DecoderPolicy, *, greedy: bool = False, max_len: int = 100,
               bos: int = 1, eos: int = 2, pad: int = 0, unk: int = 3, attribution=None, value=None,
               grammar=None, generator: torch.Generator | None = None) -> Decoded:
    state = lm.start(n)
    token = torch.full((n,), bos, dtype=torch.long)
    attr_state = attribution.start(n) if attribution is not None else None
    base = special_mask(lm.vocab_size, pad, bos, unk)
    alive = torch.ones(n, dtype=torch.bool)
    loglik, entropy = torch.zeros(n), torch.zeros(n)
    dead = torch.zeros(n, dtype=torch.bool)
    prefixes: list[list[int]] = [[] for _ in range(n)]
    out = []
    for t in range(max_len):
        logp, state = lm.step(state, token)
        attr = None
        if attribution is not None:
            attr, attr_state = attribution.step(attr_state, token, logp)
        mask = base.expand(n, -1).clone()
        if grammar is not None:
            mask &= grammar.mask(max_len - t)
        v = value(state, prefixes, logp) if value is not None else None
        logpi = policy.log_policy(logp, attr, v, mask)
        choice = logpi.argmax(-1) if greedy else torch.multinomial(logpi.exp(), 1, generator=generator)[:, 0]
        pending = torch.nonzero(alive).flatten().tolist() if grammar is not None else []
        while pending:  # each pass masks one more token per rejected row: at most V passes
            pending = [i for i in pending if not grammar.check(i, int(choice[i]))]
            if not pending:
                break
            rows = torch.tensor(pending)
            mask[rows, choice[rows]] = False
            for i in pending:
                if not mask[i].any():  # a dead end: every token is rejected; the string ends (invalid)
                    choice[i] = eos
                    dead[i] = True
            pending = [i for i in pending if mask[i].any()]
            if not pending:
                break
            rows = torch.tensor(pending)
            sub = policy.log_policy(logp[rows], None if attr is None else attr[rows],
                                    None if v is None else v[rows], mask[rows])
            logpi[rows] = sub
            choice[rows] = sub.argmax(-1) if greedy else torch.multinomial(sub.exp(), 1, generator=generator)[:, 0]
        p = logpi.exp()
        step_entropy = -(p * logpi.nan_to_num(neginf=0.0)).sum(-1)
        choice = torch.where(alive, choice, torch.full_like(choice, pad))
        loglik += torch.where(alive, logp.gather(-1, choice[:, None])[:, 0], torch.zeros(n))
        entropy += torch.where(alive, step_entropy, torch.zeros(n))
        if grammar is not None:
            grammar.advance(choice)
        for i in torch.nonzero(alive).flatten().tolist():
            prefixes[i].append(int(choice[i]))
        out.append(choice)
        alive &= choice != eos
        token = torch.where(choice == pad, torch.full_like(choice, eos), choice)
        if not alive.any():
            break
    return Decoded(torch.stack(out, dim=1), loglik, entropy, dead)
