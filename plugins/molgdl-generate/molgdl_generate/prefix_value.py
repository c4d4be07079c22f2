"""A learned value of partial strings for the guide: a GRU over tokens with a Q-head,
q(s)[a] ~ E[z(y) | y starts with s + a], z = the guide score standardised by its mean and std over molecules
sampled from the language model (so lam is in units of one standard deviation of the unguided scores).

Trained by regression on the taken actions of sampled, scored molecules (the "future discriminator" of
FUDGE, Yang & Klein 2021, as a learned soft value under the first-order approximation
tau log E exp(lam z / tau) ~ lam E z).
"""

from __future__ import annotations

import torch
from torch import nn

from .stream import pad_batch


class PrefixValueNet(nn.Module):
    """tokens int64 [B, T] -> q float [B, T, V]: value of appending each token after each prefix."""

    def __init__(self, vocab_size: int, embed_dim: int = 32, hidden_dim: int = 128) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.gru = nn.GRU(embed_dim, hidden_dim, batch_first=True)
        self.head = nn.Linear(hidden_dim, vocab_size)
        self.hidden_dim = hidden_dim

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(self.embed(tokens))
        return self.head(h)


def fit_prefix_value(sequences: list[list[int]], z: list[float], vocab_size: int, epochs: int = 10,
                     batch_size: int = 128, lr: float = 3e-3, seed: int = 0) -> tuple[PrefixValueNet, list[float]]:
    """Fit on encoded molecules ([bos, ..., eos]) with standardised scores z; returns the net and the
    per-epoch training MSE."""
    torch.manual_seed(seed)
    net = PrefixValueNet(vocab_size)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    target_all = torch.tensor(z, dtype=torch.float32)
    history = []
    for _ in range(epochs):
        order = torch.randperm(len(sequences))
        total, count = 0.0, 0
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            batch = pad_batch([sequences[j] for j in idx.tolist()])
            q = net(batch[:, :-1])  # [B, T-1, V]
            taken = batch[:, 1:]
            pred = q.gather(-1, taken[..., None])[..., 0]
            mask = taken != 0
            err = ((pred - target_all[idx][:, None]) ** 2)[mask]
            loss = err.mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, count = total + float(err.detach().sum()), count + int(mask.sum())
        history.append(total / max(count, 1))
    net.eval()
    return net, history


class PrefixValueAttribution:
    """The attribution term of the ``guided`` decoder: ``step(state, token, logp) -> (q [B, V], state)``."""

    def __init__(self, net: PrefixValueNet) -> None:
        self.net = net

    def start(self, n: int) -> torch.Tensor:
        return torch.zeros(1, n, self.net.hidden_dim)

    @torch.no_grad()
    def step(self, state: torch.Tensor, token: torch.Tensor, logp: torch.Tensor):
        h, state = self.net.gru(self.net.embed(token)[:, None], state)
        return self.net.head(h[:, 0]), state

    @staticmethod
    def select(state: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return state[:, index]
