"""SIGTERM as an interruption.

``kill PID``, a scheduler's time limit (SLURM and PBS send SIGTERM before SIGKILL) and a container stop all
send SIGTERM. Its default action ends the process on the spot: no ``finally`` block runs, so the run folder
still says ``running`` and nobody is told how to go on. Inside :func:`sigterm_interrupts` the signal raises
:class:`Terminated` instead, a ``KeyboardInterrupt``, so it takes the path Ctrl-C takes: the run folder says
``interrupted``, its lock is released, and the CLI prints how to resume. What was written stays (every
artifact is written atomically).

While Lightning trains (:func:`lightning_fit`) the first SIGTERM is not raised where it lands: Lightning's own
handler marks it, and the loop stops at the next batch end with everything in a consistent state. An exception
raised at an arbitrary bytecode can land inside TensorBoard's event-queue hand-off and leave its writer thread
asleep until its flush timeout (120 s) while the interrupted run waits to join it. A second SIGTERM raises at
once, so a loop that never reaches a batch end still stops.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)


class Terminated(KeyboardInterrupt):
    """Raised in the main thread of the process that received SIGTERM."""


class _Deferral:
    """Whether SIGTERM is deferred now (inside :func:`lightning_fit`) and whether one arrived meanwhile."""

    active = False
    pending = False


def _terminated(signum: int = signal.SIGTERM) -> Terminated:
    return Terminated(f"received SIGTERM (signal {signum})")


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
        # deferred only while Lightning's own handler is installed and calls this one (it composes the handler
        # it found): before it registers and after it restores, nothing would stop the loop at a batch end
        if _Deferral.active and not _Deferral.pending and signal.getsignal(signal.SIGTERM) is not handler:
            _Deferral.pending = True
            log.warning("SIGTERM received: stopping after the current batch (a second SIGTERM stops at once)")
            return
        raise _terminated(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        if previous is not None:  # None: a handler installed outside Python, which cannot be put back
            signal.signal(signal.SIGTERM, previous)


def lightning_fit(trainer: Any, *args: Any, **kwargs: Any) -> None:
    """``trainer.fit(*args, **kwargs)`` with SIGTERM deferred to Lightning's next batch end (module docstring).

    Lightning ends an interrupted fit with ``sys.exit(1)`` (Ctrl-C) or ``SIGTERMException`` (a ``SystemExit``,
    SIGTERM): both come out of here as the interruption they were, :class:`Terminated` or ``KeyboardInterrupt``,
    so the caller reports ``interrupted`` and prints how to resume. A SIGTERM that arrives as the last batch
    ends lets the fit finish and is raised right after it."""
    outer = _Deferral.active
    _Deferral.active, _Deferral.pending = True, False
    try:
        trainer.fit(*args, **kwargs)
    except SystemExit as exc:
        if _Deferral.pending:
            raise _terminated() from None
        if getattr(trainer, "interrupted", False):
            cause = exc.__context__
            raise (cause if isinstance(cause, KeyboardInterrupt) else KeyboardInterrupt()) from None
        raise
    except Exception as exc:  # e.g. a NaN loss after the SIGTERM arrived: the stop that was asked for wins
        if _Deferral.pending:
            raise _terminated() from exc
        raise
    finally:
        pending, _Deferral.active, _Deferral.pending = _Deferral.pending, outer, False
    if pending:
        raise _terminated()
