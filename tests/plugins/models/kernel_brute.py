"""Brute-force (pure Python double loop) Tanimoto and MinMax similarities: the reference for the kernel tests."""

from __future__ import annotations


def brute_tanimoto(x, y) -> float:
    dot = sum(a * b for a, b in zip(x, y))
    denom = sum(a * a for a in x) + sum(b * b for b in y) - dot
    return 1.0 if denom == 0 else dot / denom


def brute_minmax(x, y) -> float:
    top = sum(min(a, b) for a, b in zip(x, y))
    bottom = sum(max(a, b) for a, b in zip(x, y))
    return 1.0 if bottom == 0 else top / bottom
