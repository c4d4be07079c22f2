"""Support-vector regression and classification with a fingerprint kernel (``molgdl_models.kernels``).

scikit-learn's ``SVR`` / ``SVC`` with ``kernel="precomputed"``: the Gram matrix of the training rows is
computed here, and only the support vectors are kept for prediction (a test row's kernel values against
them are scattered into the ``[n, n_train]`` matrix libsvm expects; the other columns are never read).
Regression standardises the target on the training rows (so ``C`` and ``epsilon`` do not depend on its
units) and maps predictions back. MoleculeACE (van Tilborg et al. 2022) used this model with a Tanimoto
kernel on ECFP4 as its strongest baseline.

Shapes: ``fit(X [n, d], y [n])``, ``predict(X [m, d]) -> [m]``, ``predict_proba(X [m, d]) -> [m, C]``.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from molgdl.errors import DataError
from molgdl_models.kernels import KERNELS, check_kernel_input


def compact(X: np.ndarray) -> np.ndarray:
    """``X`` in the smallest dtype that holds it exactly: uint8 for bits and counts up to 255 (an eighth of
    float64 in the saved model), else float32 when exact, else float64. Kernels compute in float64."""
    for dtype in (np.uint8, np.float32):
        if X.size == 0 or (dtype is np.uint8 and (X.min() < 0 or X.max() > 255)):
            continue
        small = X.astype(dtype)
        if np.array_equal(small, X):
            return small
    return X


class _KernelSVM(BaseEstimator):
    """Shared fit/predict plumbing: Gram matrix, support vectors, the ``positive_only`` tag for MinMax."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = self.kernel == "minmax"  # read by molgdl before fitting
        return tags

    def _gram(self, X: np.ndarray) -> np.ndarray:
        """Kernel ``[m, n_train]`` of ``X`` against the stored support vectors, zero elsewhere."""
        X = check_kernel_input(X, self.kernel, type(self).__name__)
        full = np.zeros((len(X), self.n_train_))
        full[:, self.support_] = KERNELS[self.kernel](X, self.support_vectors_)
        return full

    def _support_of(self, svm) -> np.ndarray:
        return svm.support_

    def _fit_svm(self, X: np.ndarray, y: np.ndarray, svm) -> None:
        X = check_kernel_input(X, self.kernel, type(self).__name__)
        svm.fit(KERNELS[self.kernel](X, X), y)
        self.svm_ = svm
        self.n_train_ = len(X)
        self.support_ = np.asarray(self._support_of(svm)).copy()
        self.support_vectors_ = compact(X[self.support_])
        self.n_features_in_ = X.shape[1]


class KernelSVR(RegressorMixin, _KernelSVM):
    """epsilon-SVR with a ``tanimoto`` or ``minmax`` kernel on a standardised target.

    ``random_state`` is accepted (molgdl seeds every model) and unused: the fit is deterministic.
    """

    def __init__(self, kernel: str = "minmax", C: float = 5.0, epsilon: float = 0.1,
                 random_state: Optional[int] = None) -> None:
        self.kernel = kernel
        self.C = C
        self.epsilon = epsilon
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> "KernelSVR":
        from sklearn.svm import SVR

        y = np.asarray(y, dtype=np.float64).ravel()
        self.y_mean_ = float(y.mean())
        self.y_scale_ = float(y.std()) or 1.0
        self._fit_svm(np.asarray(X), (y - self.y_mean_) / self.y_scale_,
                      SVR(kernel="precomputed", C=self.C, epsilon=self.epsilon))
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self.svm_.predict(self._gram(np.asarray(X))) * self.y_scale_ + self.y_mean_


class KernelSVC(ClassifierMixin, _KernelSVM):
    """C-SVC with a ``tanimoto`` or ``minmax`` kernel; probabilities by Platt scaling fitted on stratified
    k-fold decision values (``CalibratedClassifierCV(method="sigmoid", ensemble=False)``, k = min(5, size
    of the smaller class), folds shuffled by ``random_state``), the SVC itself fitted on all rows."""

    def __init__(self, kernel: str = "minmax", C: float = 5.0, class_weight: Optional[str] = None,
                 random_state: Optional[int] = None) -> None:
        self.kernel = kernel
        self.C = C
        self.class_weight = class_weight
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> "KernelSVC":
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.model_selection import StratifiedKFold
        from sklearn.svm import SVC

        y = np.asarray(y).ravel()
        smallest = int(np.unique(y, return_counts=True)[1].min())
        if smallest < 2:
            raise DataError(f"{type(self).__name__}: every class needs at least 2 training molecules to "
                            f"calibrate probabilities; the smallest class has {smallest}",
                            hint="use more data or another split")
        folds = StratifiedKFold(n_splits=min(5, smallest), shuffle=True, random_state=self.random_state)
        svc = SVC(kernel="precomputed", C=self.C, class_weight=self.class_weight)
        calibrated = CalibratedClassifierCV(svc, method="sigmoid", cv=folds, ensemble=False)
        self._fit_svm(np.asarray(X), y, calibrated)
        self.classes_ = calibrated.classes_
        return self

    def _support_of(self, svm) -> np.ndarray:
        return svm.calibrated_classifiers_[0].estimator.support_

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.svm_.predict_proba(self._gram(np.asarray(X)))
