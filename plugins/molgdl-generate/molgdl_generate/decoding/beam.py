"""Beam search: approximate hard-Bellman DP keeping the ``width`` best partial strings by sum log p.

With ``width`` at least the number of strings of each length (|V|^T) nothing is pruned and the best finished
string is the exact MAP of the model.
"""

from __future__ import annotations

import torch

from .loop import special_mask


@torch.no_grad()
def beam_search(lm, width: int, max_len: int = 100, bos: int = 1, eos: int = 2, pad: int = 0,
                unk: int = 3) -> list[tuple[list[int], float]]:
    """The finished strings (token ids ending in <eos>, or cut at ``max_len``) with their log p, best first."""
    state = lm.start(1)
    token = torch.tensor([bos])
    seqs: list[list[int]] = [[]]
    scores = torch.zeros(1)
    finished: list[tuple[list[int], float]] = []
    allowed = special_mask(lm.vocab_size, pad, bos, unk)
    for t in range(max_len):
        logp, state = lm.step(state, token)
        logp = torch.where(allowed, logp, torch.full_like(logp, -torch.inf))
        cand = (scores[:, None] + logp).reshape(-1)
        k = min(width, int(torch.isfinite(cand).sum()))
        if k == 0:
            break
        best = torch.topk(cand, k)
        V = logp.shape[1]
        keep_rows, keep_tokens, keep_scores = [], [], []
        for s, flat in zip(best.values.tolist(), best.indices.tolist()):
            row, a = divmod(flat, V)
            seq = seqs[row] + [a]
            if a == eos or t == max_len - 1:
                finished.append((seq, s))
            else:
                keep_rows.append(row)
                keep_tokens.append(a)
                keep_scores.append(s)
        if not keep_rows:
            break
        index = torch.tensor(keep_rows)
        state = lm.select(state, index)
        seqs = [seqs[r] + [a] for r, a in zip(keep_rows, keep_tokens)]
        scores = torch.tensor(keep_scores)
        token = torch.tensor(keep_tokens)
    return sorted(finished, key=lambda x: -x[1])[:width]
