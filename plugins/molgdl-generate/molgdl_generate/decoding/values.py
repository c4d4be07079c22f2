"""Look-ahead values V(s + a) of the soft (entropy-regularised) Bellman equation.

Reward r(s, a) = w * log p(a|s) + lam * g(y) on reaching a terminal state (<eos>: g = score of the molecule;
a string cut at ``max_len`` is terminal with g = 0). Then
    Q(s, a) = r(s, a) + V(s + a),   V(s) = tau * log sum_a exp(Q(s, a) / tau),   V(terminal) = 0.
``ExactValue`` solves this by backward induction over every string (toy models only); ``RolloutValue``
estimates V(s + a) = tau * log E_{y ~ p(.|s+a)} exp((w/tau - 1) * log p(y|s+a) + lam * g(y) / tau) by Monte
Carlo with M continuations sampled from the model (exact in expectation inside the log).
Both are called as ``value(lm, state, prefixes, logp) -> [B, V]`` (state: the model after reading s).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

Score = Callable[[Sequence[int]], float]  # token ids of a complete string (no bos/eos) -> g


class ExactValue:
    """Backward induction over all strings up to ``max_len`` tokens (|V|^max_len states: toy models)."""

    def __init__(self, lm, allowed: torch.Tensor, max_len: int, tau: float = 1.0, w_sense: float = 1.0,
                 lam: float = 0.0, score: Score | None = None, bos: int = 1, eos: int = 2,
                 max_states: int = 200_000) -> None:
        self.lm, self.allowed, self.max_len = lm, allowed.nonzero().flatten().tolist(), max_len
        self.tau, self.w, self.lam, self.score, self.bos, self.eos = tau, w_sense, lam, score, bos, eos
        if len(self.allowed) ** max_len > max_states:
            raise ValueError(f"exact soft-Bellman values need {len(self.allowed)}^{max_len} states; "
                             f"use the rollout value for real models")
        self.memo: dict[tuple, float] = {}

    def logp(self, prefix: tuple) -> torch.Tensor:
        state = self.lm.start(1)
        logp = None
        for t in (self.bos, *prefix):
            logp, state = self.lm.step(state, torch.tensor([t]))
        return logp[0]

    def terminal_reward(self, prefix: tuple) -> float:
        return self.lam * self.score(prefix) if self.lam and self.score is not None else 0.0

    def v(self, prefix: tuple) -> float:
        """V(s) of the string ``prefix`` (token ids after <bos>)."""
        if (prefix and prefix[-1] == self.eos) or len(prefix) >= self.max_len:
            return 0.0
        if prefix not in self.memo:
            logp = self.logp(prefix)
            q = [self.w * float(logp[a]) + (self.terminal_reward(prefix) if a == self.eos else 0.0)
                 + self.v(prefix + (a,)) for a in self.allowed]
            m = max(q)
            self.memo[prefix] = m + self.tau * math.log(sum(math.exp((x - m) / self.tau) for x in q))
        return self.memo[prefix]

    def __call__(self, lm, state, prefixes: list[list[int]], logp: torch.Tensor) -> torch.Tensor:
        out = torch.zeros_like(logp)
        for i, prefix in enumerate(prefixes):
            if prefix and prefix[-1] == self.eos:
                continue
            for a in self.allowed:
                out[i, a] = self.v(tuple(prefix) + (a,))
            out[i, self.eos] += self.terminal_reward(tuple(prefix))
        return out


class RolloutValue:
    """Monte-Carlo soft value from ``rollouts`` model continuations per candidate action; only the
    ``candidates`` most probable actions get a value (the others -inf, i.e. outside A(s))."""

    def __init__(self, max_len: int, tau: float = 1.0, w_sense: float = 1.0, lam: float = 0.0,
                 score: Callable[[list[Sequence[int]]], list[float]] | None = None, rollouts: int = 4,
                 candidates: int = 5, eos: int = 2, banned: tuple[int, ...] = (0, 1, 3), generator: torch.Generator | None = None) -> None:
        self.max_len, self.tau, self.w, self.lam, self.score = max_len, tau, w_sense, lam, score
        self.rollouts, self.candidates, self.eos, self.generator = rollouts, candidates, eos, generator
        self.banned = list(banned)  # <pad>, <bos>, <unk>

    @torch.no_grad()
    def __call__(self, lm, state, prefixes: list[list[int]], logp: torch.Tensor) -> torch.Tensor:
        B, V = logp.shape
        k, M = min(self.candidates, V), self.rollouts
        ranked = logp.clone()
        ranked[:, self.banned] = -torch.inf
        top = torch.topk(ranked, k, dim=-1).indices  # [B, k]
        rows = torch.arange(B).repeat_interleave(k * M)
        actions = top.repeat_interleave(M, dim=1).reshape(-1)  # [B*k*M]
        st = lm.select(state, rows)
        n = rows.numel()
        alive = actions != self.eos
        tokens = [list(prefixes[r]) + [int(a)] for r, a in zip(rows.tolist(), actions.tolist())]
        cont_logp = torch.zeros(n)
        token = actions.clone()
        for _ in range(self.max_len - min(len(p) for p in tokens)):
            if not alive.any():
                break
            lp, st = lm.step(st, token)
            lp[:, self.banned] = -torch.inf
            lp = torch.log_softmax(lp, -1)
            nxt = torch.multinomial(lp.exp(), 1, generator=self.generator)[:, 0]
            over = torch.tensor([len(t) >= self.max_len for t in tokens])
            step_alive = alive & ~over
            cont_logp += torch.where(step_alive, lp.gather(-1, nxt[:, None])[:, 0], torch.zeros(n))
            for i in step_alive.nonzero().flatten().tolist():
                tokens[i].append(int(nxt[i]))
            alive = step_alive & (nxt != self.eos)
            token = nxt
        g = torch.zeros(n)
        if self.lam and self.score is not None:
            complete = [i for i, t in enumerate(tokens) if t[-1] == self.eos]
            scores = self.score([tokens[i][:-1] for i in complete]) if complete else []
            for i, s in zip(complete, scores):
                g[i] = s
        log_w = (self.w / self.tau - 1.0) * cont_logp + self.lam * g / self.tau
        v = self.tau * (torch.logsumexp(log_w.reshape(B, k, M), dim=-1) - math.log(M))
        out = torch.full_like(logp, -torch.inf)
        return out.scatter(-1, top, v)
