"""Token-by-token decoding of a batch from a ``DecoderPolicy`` (sampling or greedy), with backtracking.

``lm``: the models' decoding interface (``start``/``step``/``select``, see molgdl_generate.models).
Optional per-step terms: ``attribution`` (``start(n)``, ``step(state, token, logp) -> ([B, V], state)``),
``value`` (``__call__(state, prefixes, logp) -> V(s + a) [B, V]``, state: the model after reading s) and
``grammar`` (``mask``/``advance``/``check``/``fresh``).
Returns ``Decoded``: token ids [B, T] (<pad> after <eos>), per-molecule log-likelihood under the LM
(sum log p, nats) and the summed entropy of the policy (nats).

Backtracking (``backtrack`` > 0, with a grammar): a row whose masks reject every token (a dead end, e.g. an
aromatic ring that does not kekulize, found only at <eos>), or that is cut at ``max_len`` unfinished, is decoded
again from an earlier point, alone. Retry k (k = 0, 1, ...) keeps all but the last 2^k tokens of the latest
attempt and samples on from there with the same policy, masks and checks (a greedy rule also bans the first
dropped token at its position, or it would take the same path again). When the grammar can ``blame`` a
position (an aromatic system that does not kekulize: its last atom), a retry starts there or earlier. Up to
``backtrack`` retries; a row that still dead-ends is returned as a dead end (invalid). The log-likelihood and
entropy are those of the returned string's steps. The result is the policy restricted, step by step, to
continuations the checks can finish: not an exact conditional distribution (backtracking search, as in
grammar-constrained decoders). ``restarted`` marks rows whose retries went back to the first token, i.e. a
fresh string.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .policy import DecoderPolicy


@dataclass(frozen=True)
class Decoded:
    tokens: torch.Tensor  # int64 [B, T]
    log_likelihood: torch.Tensor  # float [B], sum of log p_LM over the chosen tokens (nats)
    entropy: torch.Tensor  # float [B], sum over steps of H(pi(.|s_t)) (nats)
    dead_end: torch.Tensor | None = None  # bool [B]: masks rejected every token, or cut unfinished (with a grammar)
    retries: torch.Tensor | None = None  # int64 [B]: backtracking retries spent on the row
    restarted: torch.Tensor | None = None  # bool [B]: a retry went back to the first token (a fresh string)


def special_mask(vocab_size: int, pad: int = 0, bos: int = 1, unk: int = 3) -> torch.Tensor:
    """bool [V]: every token but <pad>, <bos> and <unk>."""
    m = torch.ones(vocab_size, dtype=torch.bool)
    m[[pad, bos, unk]] = False
    return m


@dataclass
class _Steps:
    """One row's decoded steps: chosen tokens (up to and including <eos>) with log p_LM and policy entropy."""

    tokens: list[int] = field(default_factory=list)
    loglik: list[float] = field(default_factory=list)
    entropy: list[float] = field(default_factory=list)
    dead: bool = False

    def cut(self, k: int) -> "_Steps":
        return _Steps(self.tokens[:k], self.loglik[:k], self.entropy[:k])


@dataclass
class _Decoding:
    """Everything a decoding step needs besides the batch's state."""

    lm: object
    policy: DecoderPolicy
    greedy: bool
    max_len: int
    base: torch.Tensor  # bool [V]
    attribution: object | None
    value: object | None
    grammar: object | None
    generator: torch.Generator | None
    bos: int
    eos: int
    pad: int

    def choose(self, logp, attr, v, mask, grammar, rows: list[int]):
        """Sample (or argmax) one token per row, re-choosing a token ``grammar.check`` rejects (masked from
        then on). Returns choice [B], log pi [B, V] of the final action sets, dead [B] (every token rejected:
        the choice is <eos>)."""
        logpi = self.policy.log_policy(logp, attr, v, mask)
        choice = self._pick(logpi)
        dead = torch.zeros(len(choice), dtype=torch.bool)
        pending = rows if grammar is not None else []
        while pending:  # each pass masks one more token per rejected row: at most V passes
            pending = [i for i in pending if not grammar.check(i, int(choice[i]))]
            if not pending:
                break
            idx = torch.tensor(pending)
            mask[idx, choice[idx]] = False
            for i in pending:
                if not mask[i].any():
                    choice[i], dead[i] = self.eos, True
            pending = [i for i in pending if mask[i].any()]
            if not pending:
                break
            idx = torch.tensor(pending)
            sub = self.policy.log_policy(logp[idx], None if attr is None else attr[idx],
                                         None if v is None else v[idx], mask[idx])
            logpi[idx] = sub
            choice[idx] = self._pick(sub)
        return choice, logpi, dead

    def _pick(self, logpi: torch.Tensor) -> torch.Tensor:
        if self.greedy:
            return logpi.argmax(-1)
        return torch.multinomial(logpi.exp(), 1, generator=self.generator)[:, 0]

    def redo(self, start: _Steps, banned: dict[int, set[int]]) -> _Steps:
        """Decode one row alone: replay ``start``'s tokens, then choose on with ``banned`` tokens (per
        position) removed from the action set."""
        state, token = self.lm.start(1), torch.tensor([self.bos])
        attr_state = self.attribution.start(1) if self.attribution is not None else None
        grammar = self.grammar.fresh(1)
        steps = start.cut(len(start.tokens))
        for t in range(self.max_len):
            logp, state = self.lm.step(state, token)
            attr = None
            if attr_state is not None:
                attr, attr_state = self.attribution.step(attr_state, token, logp)
            if t < len(start.tokens):  # replay: the policy's terms of these steps are already in `steps`
                choice = torch.tensor([start.tokens[t]])
            else:
                mask = self.base[None].clone() & grammar.mask(self.max_len - t)
                mask[0, sorted(banned.get(t, ()))] = False
                if not mask.any():
                    steps.dead = True
                    break
                v = self.value(state, [steps.tokens], logp) if self.value is not None else None
                choice, logpi, dead = self.choose(logp, attr, v, mask, grammar, [0])
                if dead[0]:
                    steps.dead = True
                    break
                steps.tokens.append(int(choice[0]))
                steps.loglik.append(float(logp[0, choice[0]]))
                steps.entropy.append(float(_entropy(logpi)[0]))
            grammar.advance(choice)
            if int(choice[0]) == self.eos:
                return steps
            token = choice
        steps.dead = True  # cut at max_len: unfinished
        return steps


def _entropy(logpi: torch.Tensor) -> torch.Tensor:
    return -(logpi.exp() * logpi.nan_to_num(neginf=0.0)).sum(-1)


def backtrack_row(dec: _Decoding, steps: _Steps, retries: int) -> tuple[_Steps, int, bool]:
    """Retry a dead-ended row (module docstring); returns the last attempt, the retries spent and whether a
    retry went back to the first token."""
    banned: dict[int, set[int]] = {}
    restarted = False
    blame = getattr(dec.grammar, "blame", None)
    for k in range(retries):
        if not steps.tokens:
            return steps, k, restarted
        cut = max(0, len(steps.tokens) - 2 ** k)
        start = blame(steps.tokens) if blame is not None else None
        if start is not None:  # an aromatic system that does not kekulize: retry from its last atom
            cut = min(cut, start)
        restarted |= cut == 0
        banned = {p: b for p, b in banned.items() if p <= cut}
        if dec.greedy:  # a deterministic rule would take the same path again; sampling explores by itself
            banned.setdefault(cut, set()).add(steps.tokens[cut])
        steps = dec.redo(steps.cut(cut), banned)
        if not steps.dead:
            return steps, k + 1, restarted
    return steps, retries, restarted


@torch.no_grad()
def run_policy(lm, n: int, policy: DecoderPolicy, *, greedy: bool = False, max_len: int = 100,
               bos: int = 1, eos: int = 2, pad: int = 0, unk: int = 3, attribution=None, value=None,
               grammar=None, generator: torch.Generator | None = None, backtrack: int = 0) -> Decoded:
    dec = _Decoding(lm, policy, greedy, max_len, special_mask(lm.vocab_size, pad, bos, unk), attribution, value,
                    grammar, generator, bos, eos, pad)
    state = lm.start(n)
    token = torch.full((n,), bos, dtype=torch.long)
    attr_state = attribution.start(n) if attribution is not None else None
    alive = torch.ones(n, dtype=torch.bool)
    rows = [_Steps() for _ in range(n)]
    for t in range(max_len):
        logp, state = lm.step(state, token)
        attr = None
        if attribution is not None:
            attr, attr_state = attribution.step(attr_state, token, logp)
        mask = dec.base.expand(n, -1).clone()
        if grammar is not None:
            mask &= grammar.mask(max_len - t)
        v = value(state, [r.tokens for r in rows], logp) if value is not None else None
        choice, logpi, dead = dec.choose(logp, attr, v, mask, grammar, torch.nonzero(alive).flatten().tolist())
        choice = torch.where(alive, choice, torch.full_like(choice, pad))
        step_entropy = _entropy(logpi)
        if grammar is not None:
            grammar.advance(choice)
        for i in torch.nonzero(alive).flatten().tolist():
            if dead[i]:
                rows[i].dead = True
                continue
            rows[i].tokens.append(int(choice[i]))
            rows[i].loglik.append(float(logp[i, choice[i]]))
            rows[i].entropy.append(float(step_entropy[i]))
        alive &= choice != eos
        token = torch.where(choice == pad, torch.full_like(choice, eos), choice)
        if not alive.any():
            break
    for i in torch.nonzero(alive).flatten().tolist():  # cut at max_len: unfinished, a dead end too
        rows[i].dead = grammar is not None
    retries, restarted = torch.zeros(n, dtype=torch.long), torch.zeros(n, dtype=torch.bool)
    if backtrack and grammar is not None:
        for i, r in enumerate(rows):
            if r.dead:
                rows[i], retries[i], restarted[i] = backtrack_row(dec, r, backtrack)
    return _collect(rows, retries, restarted, eos, pad, max_len)


def _collect(rows: list[_Steps], retries: torch.Tensor, restarted: torch.Tensor, eos: int, pad: int,
             max_len: int) -> Decoded:
    """Pad the rows into a Decoded (a dead row ends with <eos> unless it was cut at max_len)."""
    seqs = [r.tokens + [eos] if r.dead and len(r.tokens) < max_len else r.tokens for r in rows]
    T = max(1, max(len(s) for s in seqs))
    tokens = torch.full((len(rows), T), pad, dtype=torch.long)
    for i, s in enumerate(seqs):
        tokens[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    return Decoded(tokens, torch.tensor([sum(r.loglik) for r in rows]), torch.tensor([sum(r.entropy) for r in rows]),
                   torch.tensor([r.dead for r in rows]), retries, restarted)
