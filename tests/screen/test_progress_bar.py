"""The streaming progress bar shows molecules done of the total, molecules/s and time left on a terminal, and
nothing when the output is not a terminal (a log file, a batch job)."""

from __future__ import annotations

import io
import time

from rich.console import Console

from molgdl.screen.progress_bar import ScreenBar


def _render(is_terminal: bool) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=is_terminal, width=120, color_system=None)
    with ScreenBar("predict", 1000, 200, enabled=True, console=console) as bar:
        for _ in range(4):
            time.sleep(0.05)
            bar.advance(100)
    return out.getvalue()


def test_the_bar_counts_molecules_and_their_rate_on_a_terminal_only():
    shown = _render(True)
    assert "600/1000" in shown and "mol/s" in shown
    rates = [float(w.replace(",", "")) for w, nxt in zip(shown.split(), shown.split()[1:]) if nxt == "mol/s"]
    assert 50 < max(rates) <= 2100  # 100 molecules per >= 50 ms: at most 2,000 molecules/s
    assert _render(False) == ""
