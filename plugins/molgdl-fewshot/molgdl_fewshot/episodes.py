"""Support/query episodes: k molecules drawn from the train split, the query is the test split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from molgdl.errors import DataError


@dataclass(frozen=True)
class Episode:
    """support, query: row indices ``[k]`` and ``[Q]``; size k; draw: 0-based repeat index."""

    size: int
    draw: int
    support: np.ndarray
    query: np.ndarray


def check_no_leak(support_keys: list[str], query_keys: list[str], where: str = "") -> None:
    """Raise DataError when a support molecule (by identity key, e.g. canonical SMILES) is also a query one."""
    leaked = sorted(set(support_keys) & set(query_keys))
    if leaked:
        raise DataError(f"{where}: {len(leaked)} support molecule(s) are also query molecules, e.g. {leaked[0]!r}",
                        hint="remove duplicated molecules between the train and test splits")


def draw_episodes(keys: list[str], train: np.ndarray, test: np.ndarray, sizes: list[int], draws: int,
                  seed: int, full_draws: int = 0) -> list[Episode]:
    """``draws`` supports per size, sampled without replacement from the train rows whose molecule (``keys[i]``,
    e.g. canonical SMILES) is not in the test split; every episode is checked for leaks.

    The draws are nested per (draw, seed): the support of size 16 is the first 16 of that draw's permutation,
    so larger supports extend smaller ones (a learning curve, not independent noise per size).
    """
    query_keys = {keys[i] for i in test}
    pool = np.array([i for i in train if keys[i] not in query_keys], dtype=np.int64)
    if sizes and len(pool) < max(sizes):
        raise DataError(f"the train split has {len(pool)} molecules outside the test split, fewer than the "
                        f"largest support ({max(sizes)})", hint="use smaller support sizes")
    episodes = []
    for d in range(draws):
        order = np.random.default_rng([seed, d]).permutation(pool)
        for k in sizes:
            support = np.sort(order[:k])
            check_no_leak([keys[i] for i in support], [keys[i] for i in test], f"size {k}, draw {d}")
            episodes.append(Episode(k, d, support, np.asarray(test, dtype=np.int64)))
    # the whole train split (minus test molecules): draws differ only in the training seed
    episodes += [Episode(len(pool), d, np.sort(pool), np.asarray(test, dtype=np.int64)) for d in range(full_draws)]
    return episodes
