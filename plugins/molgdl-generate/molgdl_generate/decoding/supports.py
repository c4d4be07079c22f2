"""Action sets A(s) of the truncation decoders: boolean masks over the vocabulary (Q = -inf outside).

All take log-probabilities of the base model, shape [B, V], and return bool [B, V] (True = kept); the
semantics are those of Hugging Face's ``TopKLogitsWarper``, ``TopPLogitsWarper`` and
``TypicalLogitsWarper`` (at least one token is always kept).
"""

from __future__ import annotations

import torch


def full_support(logp: torch.Tensor) -> torch.Tensor:
    return torch.ones_like(logp, dtype=torch.bool)


def top_k_support(logp: torch.Tensor, k: int) -> torch.Tensor:
    """The k most probable tokens (ties broken by torch.topk)."""
    k = max(1, min(k, logp.shape[-1]))
    index = torch.topk(logp, k, dim=-1).indices
    return torch.zeros_like(logp, dtype=torch.bool).scatter(-1, index, True)


def top_p_support(logp: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus: the smallest set of most probable tokens whose mass is >= p (Holtzman et al. 2020)."""
    probs, order = torch.sort(logp.exp(), dim=-1, descending=True)
    mass_before = torch.cumsum(probs, dim=-1) - probs
    keep_sorted = mass_before < p
    keep_sorted[..., 0] = True
    return torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)


def typical_support(logp: torch.Tensor, mass: float) -> torch.Tensor:
    """Locally typical set (Meister et al. 2023): tokens sorted by |-log p - H| until their mass reaches ``mass``."""
    p = logp.exp()
    entropy = -(p * logp.nan_to_num(neginf=0.0)).sum(-1, keepdim=True)
    shifted = (-logp - entropy).abs()
    _, order = torch.sort(shifted, dim=-1)
    sorted_p = p.gather(-1, order)
    cumulative = torch.cumsum(sorted_p, dim=-1)
    last = (cumulative < mass).sum(-1, keepdim=True).clamp(max=logp.shape[-1] - 1)
    keep_sorted = torch.arange(logp.shape[-1], device=logp.device)[None] <= last
    return torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)


def plausibility_support(logp: torch.Tensor, alpha: float) -> torch.Tensor:
    """Contrastive decoding's head {a : p(a|s) >= alpha * max_a p(a|s)} (Li et al. 2023)."""
    return logp >= (logp.max(-1, keepdim=True).values + torch.log(torch.tensor(max(alpha, 1e-300))))
