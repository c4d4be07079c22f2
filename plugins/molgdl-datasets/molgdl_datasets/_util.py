"""Small helpers shared by the readers: path checks, did-you-mean, target checks."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Iterable

import numpy as np

from molgdl.errors import DataError


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice (ignoring case and surrounding spaces), or ``""``."""
    choices = list(choices)
    folded: dict[str, str] = {}
    for c in choices:
        folded.setdefault(c.strip().lower(), c)
    key = word.strip().lower()
    if key in folded and folded[key] != word:
        return f" (did you mean {folded[key]!r}?)"
    close = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.5)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


def existing_file(path: str, kind: str) -> Path:
    """Resolve ``path`` (relative to the current directory) and check it is a readable file."""
    p = Path(path).expanduser()
    absolute = p if p.is_absolute() else Path.cwd() / p
    absolute = absolute.resolve()
    if not absolute.exists():
        raise DataError(
            f"{kind} file not found: {absolute} (params.path={path!r})",
            hint="check the dataset's `path`; a relative path is resolved against the current directory "
            f"({Path.cwd()})",
        )
    if not absolute.is_file():
        raise DataError(
            f"{kind} path is not a file: {absolute}",
            hint="point the dataset's `path` at the file itself, not at a folder",
        )
    return absolute


def check_binary(targets: np.ndarray, names: list[str], where: str) -> None:
    """Raise a DataError if a classification target holds a value other than 0, 1 or NaN."""
    for j, name in enumerate(names):
        col = targets[:, j]
        bad = np.unique(col[~np.isnan(col) & (col != 0.0) & (col != 1.0)])
        if bad.size:
            shown = ", ".join(f"{v:g}" for v in bad[:5]) + (", ..." if bad.size > 5 else "")
            raise DataError(
                f"{where}: classification target {name!r} must be 0 or 1, found {shown}",
                hint="recode the column to 0/1, or set `task: regression`",
            )

