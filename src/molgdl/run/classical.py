"""A trained classical model (imputer + one fitted estimator per target) and its file ``seed_<s>/model.pkl``.

The feature vector every classical estimator sees is the molecule's descriptor row (all descriptor sets of
the config, concatenated in order) with NaN/inf replaced by the training-split column means; ``molgdl
embed`` on a classical run writes exactly that vector.

The file is a pickle read back by a restricted unpickler: it may name only classes from numpy, scipy,
scikit-learn and the package that registers the run's model (e.g. ``molgdl_models``), plus numpy's array
reconstructors; anything else (a function to call, ``os``, ``subprocess``, ...) is refused before it runs.
This narrows what a crafted file can do but is not a sandbox: open runs you trust.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from molgdl.errors import ConfigError, RunDirError

CLASSICAL_FILE = "model.pkl"
FORMAT = 1
SAFE_ROOTS = ("numpy", "scipy", "sklearn")
_FUNCTIONS = {
    *((m, n) for m in ("numpy._core.multiarray", "numpy.core.multiarray")
      for n in ("_reconstruct", "scalar")),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.numeric", "_frombuffer"),
    ("copyreg", "_reconstructor"),
    *(("numpy.random._pickle", n)
      for n in ("__randomstate_ctor", "__bit_generator_ctor", "__generator_ctor")),
}
_BUILTINS = {"object", "set", "frozenset", "slice", "complex", "bytearray", "tuple", "list", "dict", "int",
             "float", "str", "bool", "bytes", "range"}


#: rows per block of ClassicalModel.predict
PREDICT_ROWS = 2048


@dataclass
class ClassicalModel:
    """``estimators[t]`` predicts target ``t`` from ``features(X)``; ``feature_names`` ``[D]`` label the
    columns."""

    imputer: Any
    estimators: list[Any]
    task: str
    feature_names: list[str]

    def features(self, X: np.ndarray) -> np.ndarray:
        """Descriptors ``[M, D]`` -> the estimators' input ``[M, D]`` (non-finite values imputed)."""
        return self.imputer.transform(np.where(np.isfinite(X), X, np.nan))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Descriptors ``[M, D]`` -> predictions ``[M, T]`` (classification: probability of class 1), in blocks of
        ``PREDICT_ROWS`` rows: every model here predicts row by row, and the imputer's and estimators' copies of a
        wide matrix (RDKit + 2048-bit ECFP on a 10,000-molecule chunk: 180 MB each) stay a block's size."""
        pred = np.full((len(X), len(self.estimators)), np.nan)
        for start in range(0, len(X), PREDICT_ROWS):
            rows = slice(start, start + PREDICT_ROWS)
            Xi = self.features(X[rows])
            for t, est in enumerate(self.estimators):
                pred[rows, t] = est.predict_proba(Xi)[:, 1] if self.task == "classification" else est.predict(Xi)
        return pred

    def save(self, path: Path) -> None:
        """Write ``path`` atomically (temporary file, then ``os.replace``)."""
        state = {"format": FORMAT, "task": self.task, "feature_names": list(self.feature_names),
                 "imputer": self.imputer, "estimators": list(self.estimators)}
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, fh, roots: set[str]) -> None:
        super().__init__(fh)
        self.roots = roots

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _FUNCTIONS or (module == "builtins" and name in _BUILTINS):
            return super().find_class(module, name)
        if module.split(".")[0] in self.roots:
            obj = super().find_class(module, name)
            if (isinstance(obj, type) and obj.__module__.split(".")[0] in self.roots
                    and not issubclass(obj, np.memmap)):
                return obj
        raise pickle.UnpicklingError(f"{module}.{name}")


def load_classical(path: Path, trusted: Sequence[str] = ()) -> ClassicalModel:
    """Read ``path`` written by ``ClassicalModel.save``; ``trusted``: extra top-level packages whose classes
    may appear (the model's plugin). ``RunDirError`` for a file that names anything else, or is damaged."""
    roots = set(SAFE_ROOTS) | set(trusted)
    try:
        with open(path, "rb") as fh:
            state = _RestrictedUnpickler(fh, roots).load()
    except pickle.UnpicklingError as exc:
        raise RunDirError(f"{path} is not a plain molgdl classical model file and was not loaded (it refers "
                          f"to {exc}, which is not allowed)",
                          hint="only load model.pkl files written by `molgdl run`; retrain if the file is "
                               "damaged") from None
    except (OSError, EOFError, AttributeError, ImportError, TypeError, ValueError) as exc:
        raise RunDirError(f"{path} could not be read ({type(exc).__name__}: {exc})",
                          hint="retrain the run with the installed versions of its plugins") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise RunDirError(f"{path} is not a molgdl classical model file (format {FORMAT})",
                          hint="retrain the run with this version of molgdl")
    return ClassicalModel(state["imputer"], state["estimators"], state["task"], state["feature_names"])


def check_input_domain(estimator: Any, X: np.ndarray, names: Sequence[str], model: str) -> None:
    """``ConfigError`` naming the descriptor columns with negative values when ``estimator`` declares
    non-negative input only (scikit-learn tag ``input_tags.positive_only``, e.g. a MinMax kernel)."""
    try:
        positive_only = bool(estimator.__sklearn_tags__().input_tags.positive_only)
    except AttributeError:  # not a scikit-learn >= 1.6 estimator: it declares nothing
        return
    if not positive_only or not X.size or X.min() >= 0:
        return
    cols = np.unique(np.nonzero(X < 0)[1])
    shown = ", ".join(str(names[c]) if c < len(names) else f"column {c}" for c in cols[:5])
    raise ConfigError(
        f"model {model!r} as configured needs non-negative descriptors, but {len(cols)} descriptor column(s) "
        f"have negative values: {shown}{' ...' if len(cols) > 5 else ''}",
        hint="use fingerprint descriptors (bits or counts) with this model, or a setting defined for real "
             "values (e.g. svm/knn with kernel/metric: tanimoto)",
    )
