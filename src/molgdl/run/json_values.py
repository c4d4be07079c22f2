"""Values for JSON files: NaN and inf are not JSON (``json.dumps`` would write the invalid tokens ``NaN`` and
``Infinity``, which strict readers refuse); they are written as ``null``."""

from __future__ import annotations

import math
from typing import Any


def finite_json(obj: Any) -> Any:
    """``obj`` with numpy/torch scalars and arrays turned into Python values and every non-finite float into
    None (recursively through dicts, lists and tuples)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_json(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):  # numpy / torch arrays and scalars
        return finite_json(obj.tolist())
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes, int, bool)):
        return finite_json(obj.item())
    return obj
