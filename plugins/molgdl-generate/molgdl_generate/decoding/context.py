"""What a decoder receives besides its params."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch


@dataclass
class DecodeContext:
    """max_len: tokens per string; grammar(n): a fresh mask state for n rows (or None: no mask); backtrack:
    retries of a row the masks dead-end (decoding/loop.py; 0: the row ends invalid);
    amateur: a second language model (contrastive decoders); guide: a prefix-value attribution
    (``start``/``step``), e.g. ``molgdl_generate.prefix_value.PrefixValueAttribution``; score: token-id strings
    -> property of the complete molecules (soft Bellman's terminal reward)."""

    max_len: int = 100
    grammar: Callable[[int], object] | None = None
    backtrack: int = 0
    generator: torch.Generator | None = None
    amateur: object | None = None
    guide: object | None = None
    score: Callable[[list[Sequence[int]]], list[float]] | None = None
    bos: int = 1
    eos: int = 2
    pad: int = 0
    unk: int = 3

    def ids(self) -> dict:
        return {"bos": self.bos, "eos": self.eos, "pad": self.pad, "unk": self.unk}
