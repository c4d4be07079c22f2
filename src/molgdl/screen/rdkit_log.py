"""RDKit's messages, Python warnings (e.g. a float overflow) and featurization notes of a streaming job go to a
log file instead of the console, where they would print one line per molecule."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Callable, Iterator

#: Loggers sent to the file: ``rdkit`` (where the SDF reader of molgdl-datasets sends RDKit's messages; the
#: RDKit featurizers block theirs), ``warnings``, molgdl's notes.
LOGGERS = ("rdkit", "py.warnings", "molgdl.featurize")


@contextlib.contextmanager
def captured_logs(path: Path) -> Iterator[Callable[[], int]]:
    """Within the block, the loggers of :data:`LOGGERS` write to ``path`` (appended) and not to the console;
    yields a function that counts the lines written. Forked featurization workers inherit the routing."""
    handler = logging.FileHandler(path, mode="a", encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    saved = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.handlers[:], logger.propagate, logger.level))
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(logging.INFO)
    logging.captureWarnings(True)
    start = path.stat().st_size if path.exists() else 0

    def lines() -> int:
        handler.flush()
        if not path.exists():
            return 0
        with open(path, "rb") as fh:
            fh.seek(start)
            return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))

    try:
        yield lines
    finally:
        logging.captureWarnings(False)
        for logger, handlers, propagate, level in saved:
            logger.handlers, logger.propagate, logger.level = handlers, propagate, level
        handler.close()
