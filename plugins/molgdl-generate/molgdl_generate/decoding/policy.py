"""``DecoderPolicy``: a decoding rule as the soft-optimal policy of an action-value function.

Q(s, a) = w_sense * log p(a|s) + lam * attribution(s, a) + V(s + a)   (V: look-ahead value, 0 when myopic)
pi(a|s) = exp((Q(s, a) - V(s)) / tau) on the action set A(s) (Q = -inf outside), i.e. softmax(Q / tau).
Greedy is tau -> 0; temperature sampling is the myopic soft policy; top-k / top-p / typical restrict A(s);
contrastive and context-aware decoding put a second model's log-probabilities in ``attribution``.
(Chang, Cohen & Sung, arXiv:2311.10083; methods.md section 6.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from .supports import full_support

Support = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class DecoderPolicy:
    tau: float = 1.0
    w_sense: float = 1.0
    lam: float = 0.0
    support: Support = full_support

    def q_values(self, logp: torch.Tensor, attribution: torch.Tensor | None = None,
                 value: torch.Tensor | None = None) -> torch.Tensor:
        """Q [B, V] from log p [B, V], the attribution term [B, V] and the look-ahead value V(s+a) [B, V]."""
        q = self.w_sense * logp
        if attribution is not None and self.lam != 0.0:
            q = q + self.lam * attribution
        if value is not None:
            q = q + value
        return q

    def log_policy(self, logp: torch.Tensor, attribution: torch.Tensor | None = None,
                   value: torch.Tensor | None = None, mask: torch.Tensor | None = None) -> torch.Tensor:
        """log pi(a|s) [B, V]: -inf outside A(s) = support(log p) & mask. A row with an empty action set
        keeps the grammar mask alone (or, if that is empty too, every finite action)."""
        keep = self.support(logp) & torch.isfinite(logp)
        if mask is not None:
            merged = keep & mask
            empty = ~merged.any(-1, keepdim=True)
            keep = torch.where(empty, mask & torch.isfinite(logp), merged)
            empty = ~keep.any(-1, keepdim=True)
            keep = torch.where(empty, torch.isfinite(logp), keep)
        q = self.q_values(logp, attribution, value)
        return torch.log_softmax(torch.where(keep, q / self.tau, torch.full_like(q, -torch.inf)), dim=-1)
