"""Decode many molecules in batches with a registered decoder; strings, log-likelihood and entropy."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .decoding.context import DecodeContext
from .tokenizers import Vocabulary


@dataclass(frozen=True)
class Generated:
    smiles: list[str]
    log_likelihood: list[float]  # nats, sum over tokens under the language model
    entropy: list[float]  # nats, summed entropy of the policy
    tokens: list[list[int]]  # [bos, ..., eos] ids
    dead_end: list[bool]  # the masks rejected every token and ended the string (after any backtracking)
    retries: list[int]  # backtracking retries spent on the string (decoding/loop.py)
    restarted: list[bool]  # a retry went back to the first token


def grammar_factory(vocab: Vocabulary, grammar: bool):
    """``n -> mask state``: SMILES grammar/valence masks, or the SELFIES start rule (None: no mask)."""
    if vocab.kind == "selfies":
        from .decoding.selfies_mask import SelfiesStart

        return lambda n: SelfiesStart(vocab, n)
    if not grammar:
        return None
    from .decoding.grammar import SmilesGrammar

    return lambda n: SmilesGrammar(vocab, n)


def decode(decoder, lm, vocab: Vocabulary, n: int, batch_size: int, ctx: DecodeContext) -> Generated:
    smiles, ll, ent, toks, dead, retries, restarted = [], [], [], [], [], [], []
    while len(smiles) < n:
        size = min(batch_size, n - len(smiles))
        out = decoder.generate(lm, size, ctx)
        ends = out.dead_end.tolist() if out.dead_end is not None else [False] * len(out.tokens)
        dead += ends
        retries += out.retries.tolist() if out.retries is not None else [0] * len(out.tokens)
        restarted += out.restarted.tolist() if out.restarted is not None else [False] * len(out.tokens)
        for row, l, e in zip(out.tokens.tolist(), out.log_likelihood.tolist(), out.entropy.tolist()):
            ids = [t for t in row if t != vocab.pad]
            smiles.append(vocab.decode(ids))
            ll.append(l)
            ent.append(e)
            toks.append([vocab.bos, *ids])
        if out.tokens.shape[0] == 0:
            break
    return Generated(smiles[:n], ll[:n], ent[:n], toks[:n], dead[:n], retries[:n], restarted[:n])


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)
