"""In-memory pandas DataFrames as a data source: held in this process under a key made of their content hash.

``molgdl.run(config, data=df)`` registers the frame here and puts its key into the config
(``data: {source: {name: dataframe, frame: "frame-<sha256 prefix>"}}``), so the resolved config, ``config.yaml``
and the run identity record a string, and the ``dataframe`` source (plugin ``molgdl-datasets``) looks the frame
up by that key. The same table gives the same key in any process: a later ``open_run(path, data=df)`` finds it.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from molgdl.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

_FRAMES: dict[str, "pd.DataFrame"] = {}
PREFIX = "frame-"


def frame_key(frame: "pd.DataFrame") -> str:
    """``frame-<16 hex>``: sha256 of the column names, dtypes and cell values (row order included)."""
    import pandas as pd

    h = hashlib.sha256()
    h.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False).to_numpy().tobytes())
    return PREFIX + h.hexdigest()[:16]


def register_frame(frame: "pd.DataFrame") -> str:
    """Hold a copy of ``frame`` in this process; returns its key (see :func:`frame_key`)."""
    key = frame_key(frame)
    _FRAMES.setdefault(key, frame.copy())
    return key


def get_frame(key: str) -> "pd.DataFrame":
    """The frame registered under ``key``; a ``DataError`` saying how to hand it over when it is not here."""
    try:
        return _FRAMES[key]
    except KeyError:
        raise DataError(
            f"data.source.frame {key!r} names a pandas DataFrame that is not held in this Python process (a "
            "dataframe source lives only in the session that passed it)",
            hint="pass the same DataFrame again: molgdl.run(config, data=df) or molgdl.open_run(path, data=df); "
                 "or save it with df.to_csv(...) and use data: {source: {name: csv, path: ...}}",
        ) from None
