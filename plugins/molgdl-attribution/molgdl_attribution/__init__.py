"""molgdl-attribution: per-atom attributions of trained molgdl models (docs/attributions.md).

``attribute(run, smiles, method=...)`` returns an ``Attributions`` (tables + drawings); the
``attribution`` analysis writes the same for the molecules of a split into the run folder. Imports are lazy so
that loading the plugin's hooks stays light.
"""

from __future__ import annotations

__all__ = ["attribute", "Attributions"]


def __getattr__(name: str):
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'molgdl_attribution' has no attribute {name!r}")
