"""SIGTERM as an interruption.

``kill PID``, a scheduler's time limit (SLURM and PBS send SIGTERM before SIGKILL) and a container stop all
send SIGTERM. Its default action ends the process on the spot: no ``finally`` block runs, so the run folder
still says ``running`` and nobody is told how to go on. Inside :func:`sigterm_interrupts` the signal raises
:class:`Terminated` instead, a ``KeyboardInterrupt``, so it takes the path Ctrl-C takes: the run folder says
``interrupted``, its lock is released, and the CLI prints how to resume. What was written stays (every
artifact is written atomically).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Terminated(KeyboardInterrupt):
    """Raised in the main thread of the process that received SIGTERM."""


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Within the block SIGTERM raises :class:`Terminated` in this process.

    Only the main thread can install a handler; elsewhere this is a no-op. A forked child (a featurization
    pool or data-loader worker) inherits the handler: there it restores the default action and ends as
    SIGTERM asks, so ``Pool.terminate()`` still stops its workers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def handler(signum: int, frame: object) -> None:
        if os.getpid() != owner:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise Terminated(f"received SIGTERM (signal {signum})")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        if previous is not None:  # None: a handler installed outside Python, which cannot be put back
            signal.signal(signal.SIGTERM, previous)
