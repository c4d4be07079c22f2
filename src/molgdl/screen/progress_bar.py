"""The progress bar of a streaming job: molecules done, molecules/s and ETA; off when stderr is no terminal."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text


class RateColumn(ProgressColumn):
    """Molecules per second over rich's recent-speed window."""

    def render(self, task) -> Text:
        return Text(f"{task.speed or 0:,.0f} mol/s")


class ScreenBar:
    """``with ScreenBar("predict", total, done, enabled) as bar: bar.advance(n)``; ``total`` may be unknown."""

    def __init__(self, label: str, total: int | None, done: int, enabled: bool, console=None) -> None:
        from rich.console import Console

        console = console or Console(stderr=True)
        self._bar = Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
                             TimeRemainingColumn(), console=console,
                             disable=not (enabled and console.is_terminal), speed_estimate_period=60)
        self._task = self._bar.add_task(label, total=total, completed=done)

    def __enter__(self) -> "ScreenBar":
        self._bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._bar.__exit__(*exc)

    def advance(self, n: int) -> None:
        self._bar.advance(self._task, n)
