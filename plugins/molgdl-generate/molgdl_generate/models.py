"""Autoregressive token language models: a GRU and a small causal transformer.

Both share one decoding interface (what the decoders call):

- ``forward(tokens) -> logits``: teacher forcing. Shapes: tokens int64 [B, T] -> logits float [B, T, V].
- ``start(batch_size) -> state``; ``step(state, token) -> (log_probs [B, V], state)`` feeds one token
  (the first is <bos>) and returns log p(next | prefix); ``select(state, index) -> state`` reorders/duplicates
  rows (beam search, rollouts).
"""

from __future__ import annotations

import math

import torch
from torch import nn


class GRULanguageModel(nn.Module):
    """Token embedding -> multi-layer GRU -> linear to the vocabulary (the MOSES CharRNN shape, with a GRU)."""

    def __init__(self, vocab_size: int, embed_dim: int = 64, hidden_dim: int = 256, num_layers: int = 2,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.gru = nn.GRU(embed_dim, hidden_dim, num_layers, batch_first=True,
                          dropout=dropout if num_layers > 1 else 0.0)
        self.out = nn.Linear(hidden_dim, vocab_size)
        self.num_layers, self.hidden_dim = num_layers, hidden_dim

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(self.embed(tokens))
        return self.out(h)

    def start(self, batch_size: int) -> torch.Tensor:
        weight = self.out.weight
        return weight.new_zeros(self.num_layers, batch_size, self.hidden_dim)

    def step(self, state: torch.Tensor, token: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h, state = self.gru(self.embed(token)[:, None, :], state)
        return torch.log_softmax(self.out(h[:, 0]), dim=-1), state

    @staticmethod
    def select(state: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return state[:, index]


class TransformerLanguageModel(nn.Module):
    """A small decoder-only transformer (pre-norm, learned positions, causal mask). ``step`` re-reads the
    whole prefix (no key/value cache): fine for SMILES lengths (< 128 tokens)."""

    def __init__(self, vocab_size: int, embed_dim: int = 128, num_heads: int = 4, num_layers: int = 3,
                 ff_dim: int = 256, max_len: int = 128, dropout: float = 0.0) -> None:
        super().__init__()
        self.vocab_size, self.max_len = vocab_size, max_len
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.pos = nn.Embedding(max_len, embed_dim)
        layer = nn.TransformerEncoderLayer(embed_dim, num_heads, ff_dim, dropout, batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(embed_dim)
        self.out = nn.Linear(embed_dim, vocab_size)
        self.scale = math.sqrt(embed_dim)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        T = tokens.shape[1]
        if T > self.max_len:
            tokens = tokens[:, -self.max_len:]
            T = self.max_len
        positions = torch.arange(T, device=tokens.device)
        x = self.embed(tokens) * self.scale + self.pos(positions)[None]
        mask = nn.Transformer.generate_square_subsequent_mask(T, device=tokens.device)
        return self.out(self.norm(self.blocks(x, mask=mask, is_causal=True)))

    def start(self, batch_size: int) -> torch.Tensor:
        return torch.zeros(batch_size, 0, dtype=torch.long, device=self.out.weight.device)

    def step(self, state: torch.Tensor, token: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        state = torch.cat([state, token[:, None]], dim=1)
        return torch.log_softmax(self.forward(state)[:, -1], dim=-1), state

    @staticmethod
    def select(state: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return state[index]


def build_model(name: str, vocab_size: int, options: dict) -> nn.Module:
    """``name``: "gru" or "transformer"; ``options``: the constructor's keyword arguments."""
    cls = {"gru": GRULanguageModel, "transformer": TransformerLanguageModel}[name]
    return cls(vocab_size, **options)
