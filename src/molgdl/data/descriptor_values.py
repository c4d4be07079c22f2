"""Descriptor values made safe for float32 models, scalers and JSON files.

A descriptor may return NaN (undefined), inf, or a float64 value beyond float32's range (RDKit's ``Ipc`` reached
8.5e118 on ChEMBL molecules), which becomes inf in a float32 tensor or a scikit-learn model. Every such value
is set to NaN here, counted per descriptor column and reported; NaN is imputed downstream with the training
mean (the neural head's standardised 0, the classical models' imputer), never passed on as a number.
"""

from __future__ import annotations

import numpy as np

#: largest magnitude kept: float32's maximum (3.4e38)
FLOAT32_LIMIT = float(np.finfo(np.float32).max)


def sanitize(matrix: np.ndarray, rows: np.ndarray | None = None, inplace: bool = False
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``matrix`` ``[M, D]`` float64 -> (copy with unsafe values set to NaN, NaN count per column ``[D]``,
    count per column of values that were finite in float64 but beyond float32's range ``[D]``); the counts are
    over the rows of the boolean mask ``rows`` ``[M]`` (default: all). ``inplace``: a float64 ``matrix`` is
    itself the "copy" (for a caller that owns it). No float64 temporaries beyond the copy: the matrix of a wide
    fingerprint on a chunk of 10,000 molecules is ~180 MB."""
    matrix = np.asarray(matrix, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        too_large = np.isfinite(matrix) & ((matrix > FLOAT32_LIMIT) | (matrix < -FLOAT32_LIMIT))
    unsafe = ~np.isfinite(matrix) | too_large
    out = matrix if inplace else matrix.copy()
    out[unsafe] = np.nan
    counted = (slice(None) if rows is None else rows)
    return out, np.isnan(out[counted]).sum(0), too_large[counted].sum(0)


def describe_missing(names: list[str], missing: np.ndarray, too_large: np.ndarray, n_molecules: int,
                     show: int = 8) -> str | None:
    """One log line naming the columns with missing or out-of-range values (worst first), or None."""
    cols = np.nonzero(missing)[0]
    if not len(cols):
        return None
    order = cols[np.argsort(-missing[cols], kind="stable")]
    parts = []
    for j in order[:show]:
        extra = f", {int(too_large[j])} beyond float32" if too_large[j] else ""
        parts.append(f"{names[j]} ({int(missing[j])}{extra})")
    more = f" and {len(order) - show} more column(s)" if len(order) > show else ""
    return (f"descriptors: {int(missing.sum())} value(s) in {len(cols)} of {len(names)} columns over {n_molecules} "
            f"molecules are undefined, infinite or beyond float32's range and were set missing (imputed with the "
            f"training mean): {', '.join(parts)}{more}")
