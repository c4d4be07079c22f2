"""Notebook display of API results: HTML tables and inline PNG figures (``_repr_html_``, ``_repr_png_``)."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable


@dataclass(frozen=True)
class Figure:
    """A PNG figure written by a run or an analysis; shown inline in a notebook.

    Example:
        >>> fig = Figure("parity", Path("parity.png"))
        >>> fig.name
        'parity'
    """

    name: str
    path: Path

    @property
    def png(self) -> bytes:
        """The PNG file's bytes."""
        return Path(self.path).read_bytes()

    def _repr_png_(self) -> bytes:
        return self.png

    def _repr_html_(self) -> str:
        return img_tag(self.path, self.name)


def img_tag(path: Path, title: str, width: int | None = None) -> str:
    """``<img>`` with the PNG inlined as base64 (a notebook saved with outputs keeps the picture)."""
    data = base64.b64encode(Path(path).read_bytes()).decode()
    size = f' width="{width}"' if width else ""
    return f'<img src="data:image/png;base64,{data}" title="{html.escape(title)}"{size}/>'


def kv_table(rows: Iterable[tuple[str, Any]]) -> str:
    """A two-column HTML table of labels and values (values escaped)."""
    body = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                   f"<td style='text-align:left'>{html.escape(_short(v))}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _short(value: Any, limit: int = 160) -> str:
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
