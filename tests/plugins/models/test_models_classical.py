"""svm, knn, linear, lightgbm and gp: factories, errors, and each estimator against an independent computation."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from molgdl.errors import ConfigError, DataError
from molgdl.testing import ModelContract
from molgdl_models import hooks
from molgdl_models.gaussian_process import GaussianProcessClassification, GaussianProcessRegression
from molgdl_models.kernel_knn import KernelKNNClassifier, KernelKNNRegressor
from molgdl_models.kernel_svm import KernelSVC, KernelSVR
from molgdl_models.linear import RIDGE_ALPHAS, StandardizedLogistic, StandardizedRidge

from kernel_brute import brute_minmax, brute_tanimoto

SPECS = {s.name: s for s in hooks.molgdl_models()}
NEW = ("svm", "knn", "linear", "lightgbm", "gp")


def build(name: str, task: str, **params):
    spec = SPECS[name]
    return spec.factory(spec.build_params(params), task).set_params(random_state=0)


def fingerprints(n: int, d: int = 48, seed: int = 0, counts: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Random bit (or count) fingerprints ``[n, d]`` and a target that depends on a few of them."""
    rng = np.random.default_rng(seed)
    X = rng.poisson(0.6, (n, d)).astype(float) if counts else (rng.random((n, d)) < 0.25).astype(float)
    return X, X[:, 0] * 1.5 - X[:, 1] + X[:, 2] * X[:, 3] + 0.1 * rng.standard_normal(n)


# ---------------------------------------------------------------------------------------- specs, factories


def test_specs_and_defaults():
    for name in NEW:
        assert SPECS[name].family == "classical" and SPECS[name].symmetry == frozenset()
    svm = SPECS["svm"].build_params()
    assert (svm.kernel, svm.C, svm.epsilon) == ("minmax", 5.0, 0.1)
    assert SPECS["knn"].build_params().n_neighbors == 3
    assert SPECS["linear"].build_params().alpha is None and SPECS["linear"].build_params().C is None
    gbm = SPECS["lightgbm"].build_params()
    assert (gbm.n_estimators, gbm.learning_rate, gbm.min_child_samples) == (500, 0.05, 5)


@pytest.mark.parametrize("name,regressor,classifier", [
    ("svm", KernelSVR, KernelSVC), ("knn", KernelKNNRegressor, KernelKNNClassifier),
    ("linear", StandardizedRidge, StandardizedLogistic),
    ("gp", GaussianProcessRegression, GaussianProcessClassification)])
def test_factories_follow_the_task(name, regressor, classifier):
    assert isinstance(build(name, "regression"), regressor)
    assert isinstance(build(name, "classification"), classifier)


@pytest.mark.parametrize("name", ["svm", "linear", "lightgbm"])
def test_task_errors(name):
    with pytest.raises(ConfigError, match="class_weight"):
        build(name, "regression", class_weight="balanced")
    build(name, "classification", class_weight="balanced")
    with pytest.raises(ConfigError, match="unknown task"):
        build(name, "ranking")


def test_minmax_models_declare_and_enforce_non_negative_input():
    X, y = fingerprints(30)
    for est in (build("svm", "regression"), build("knn", "regression")):
        assert est.__sklearn_tags__().input_tags.positive_only
        with pytest.raises(DataError, match="non-negative"):
            est.fit(X - 0.5, y)
    for est in (build("svm", "regression", kernel="tanimoto"), build("knn", "regression", metric="tanimoto")):
        assert not est.__sklearn_tags__().input_tags.positive_only
        est.fit(X - 0.5, y).predict(X - 0.5)


# ---------------------------------------------------------------------------------------- svm


@pytest.mark.parametrize("kernel,brute", [("tanimoto", brute_tanimoto), ("minmax", brute_minmax)])
def test_svr_equals_sklearn_svr_with_a_brute_force_kernel(kernel, brute):
    from sklearn.svm import SVR

    X, y = fingerprints(50, counts=kernel == "minmax")
    Xt, _ = fingerprints(12, seed=1, counts=kernel == "minmax")
    ours = KernelSVR(kernel=kernel, C=3.0, epsilon=0.05).fit(X, y)
    assert len(ours.support_) < len(X), "the test should exercise support-vector compaction"

    def gram(A, B):
        return np.array([[brute(a, b) for b in B] for a in A])

    scale, mean = y.std(), y.mean()
    ref = SVR(kernel=gram, C=3.0, epsilon=0.05).fit(X, (y - mean) / scale)
    np.testing.assert_allclose(ours.predict(Xt), ref.predict(Xt) * scale + mean, rtol=1e-7, atol=1e-9)


def test_svc_probabilities_from_support_vectors_equal_the_full_gram_matrix():
    from molgdl_models.kernels import minmax_kernel

    X, y = fingerprints(60, counts=True)
    labels = (y > np.median(y)).astype(float)
    Xt, _ = fingerprints(15, seed=1, counts=True)
    svc = KernelSVC(C=2.0, random_state=0).fit(X, labels)
    proba = svc.predict_proba(Xt)
    np.testing.assert_allclose(proba, svc.svm_.predict_proba(minmax_kernel(Xt, X)), rtol=1e-10)
    assert proba.shape == (15, 2) and np.allclose(proba.sum(1), 1)
    assert (svc.predict(X) == labels).mean() > 0.8
    again = KernelSVC(C=2.0, random_state=0).fit(X, labels).predict_proba(Xt)
    np.testing.assert_array_equal(again, proba)
    with pytest.raises(DataError, match="at least 2"):
        KernelSVC().fit(X[:5], np.array([0, 0, 0, 0, 1.0]))


# ---------------------------------------------------------------------------------------- knn


def test_knn_equals_a_brute_force_vote():
    X, y = fingerprints(40, counts=True)
    Xt, _ = fingerprints(10, seed=2, counts=True)
    for weights in ("similarity", "uniform"):
        got = KernelKNNRegressor(n_neighbors=3, weights=weights).fit(X, y).predict(Xt)
        for row, value in zip(Xt, got):
            sims = np.array([brute_minmax(row, x) for x in X])
            top = np.argsort(-sims, kind="stable")[:3]
            w = sims[top] if weights == "similarity" else np.ones(3)
            assert value == pytest.approx((y[top] * w).sum() / w.sum(), rel=1e-12)
    X1 = np.unique(X, axis=0)
    y1 = np.arange(len(X1), dtype=float)
    np.testing.assert_array_equal(KernelKNNRegressor(n_neighbors=1).fit(X1, y1).predict(X1), y1)
    clf = KernelKNNClassifier(n_neighbors=4, weights="uniform").fit(X, np.where(y > 0, "a", "b"))
    proba = clf.predict_proba(Xt)
    assert set(np.unique(proba * 4)) <= {0, 1, 2, 3, 4} and np.allclose(proba.sum(1), 1)
    assert set(clf.predict(Xt)) <= {"a", "b"}


# ---------------------------------------------------------------------------------------- linear


def test_linear_models_equal_a_scikit_learn_pipeline():
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = fingerprints(60)
    ours = StandardizedRidge(alpha=3.0).fit(X, y).predict(X)
    ref = make_pipeline(StandardScaler(), Ridge(alpha=3.0)).fit(X, y).predict(X)
    np.testing.assert_allclose(ours, ref, rtol=1e-10)
    auto = StandardizedRidge().fit(X, y)
    assert auto.alpha_ in RIDGE_ALPHAS
    np.testing.assert_allclose(auto.predict(X), StandardizedRidge(alpha=auto.alpha_).fit(X, y).predict(X), rtol=1e-8)
    labels = (y > 0).astype(int)
    ours = StandardizedLogistic(C=0.3).fit(X, labels).predict_proba(X)
    ref = make_pipeline(StandardScaler(), LogisticRegression(C=0.3, max_iter=2000)).fit(X, labels).predict_proba(X)
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-8)
    chosen = StandardizedLogistic(random_state=0).fit(X, labels)
    assert chosen.C_ in chosen.Cs


# ---------------------------------------------------------------------------------------- lightgbm


def test_lightgbm_equals_lightgbm_and_pickles_as_text():
    import lightgbm

    X, y = fingerprints(80, counts=True)
    est = build("lightgbm", "regression", n_estimators=40, n_jobs=1)
    pred = est.fit(X, y).predict(X)
    ref = lightgbm.LGBMRegressor(n_estimators=40, learning_rate=0.05, num_leaves=31, min_child_samples=5,
                                 subsample=0.8, subsample_freq=1, colsample_bytree=0.5, reg_lambda=1.0, n_jobs=1,
                                 random_state=0, deterministic=True, force_col_wise=True, verbose=-1).fit(X, y)
    np.testing.assert_allclose(pred, ref.predict(X), rtol=1e-12)
    blob = pickle.dumps(est)
    assert b"LGBMRegressor" not in blob and b"lightgbm" not in blob
    np.testing.assert_array_equal(pickle.loads(blob).predict(X), pred)
    other = build("lightgbm", "regression", n_estimators=40, n_jobs=1).set_params(random_state=1).fit(X, y)
    assert not np.array_equal(other.predict(X), pred), "random_state must reach LightGBM's row subsampling"
    clf = build("lightgbm", "classification", n_estimators=40, n_jobs=1).fit(X, np.where(y > 0, 3, 7))
    proba = clf.predict_proba(X)
    assert proba.shape == (80, 2) and list(clf.classes_) == [3, 7]
    assert (clf.predict(X) == np.where(y > 0, 3, 7)).mean() > 0.8


# ---------------------------------------------------------------------------------------- gaussian process


def test_gp_equals_a_scikit_learn_pipeline_and_recovers_a_smooth_function():
    """Our GP = StandardScaler + GaussianProcessRegressor(c * RBF + white, normalize_y) fitted by scikit-learn;
    on a smooth 1-D function with known noise it interpolates, and its predictive std grows away from data."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(-3, 3, 60))
    X = np.column_stack([x, np.full_like(x, 2.0)])  # a constant column: scale 1, no NaN
    y = np.sin(2 * x) + 0.05 * rng.standard_normal(60)
    gp = build("gp", "regression", length_scale=1.0)
    pred = gp.fit(X, y).predict(X)
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * RBF(1.0, (1e-2, 1e4)) + WhiteKernel(0.1, (1e-6, 1e1))
    ref = make_pipeline(StandardScaler(), GaussianProcessRegressor(kernel, normalize_y=True, random_state=0))
    np.testing.assert_allclose(pred, ref.fit(X, y).predict(X), rtol=1e-8, atol=1e-10)
    grid = np.linspace(-2.5, 2.5, 50)
    err = gp.predict(np.column_stack([grid, np.full_like(grid, 2.0)])) - np.sin(2 * grid)
    assert np.sqrt(np.mean(err ** 2)) < 0.05
    fitted_noise = gp.kernel_.k2.noise_level * np.var(y)  # normalize_y: noise in normalised units
    assert 0.3 * 0.05 ** 2 < fitted_noise < 3 * 0.05 ** 2
    near, far = gp.predict_std(np.array([[0.0, 2.0], [9.0, 2.0]]))
    assert far > 5 * near
    assert np.array_equal(pickle.loads(pickle.dumps(gp)).predict(X), pred)


def test_gp_classification_and_size_guard():
    from sklearn.gaussian_process import GaussianProcessClassifier
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.random.default_rng(1).uniform(-3, 3, 80)
    X, labels = np.column_stack([x, x ** 2]), np.where(x > 0.5, 3, 7)
    clf = build("gp", "classification").fit(X, labels)
    proba = clf.predict_proba(X)
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * RBF(10.0, (1e-2, 1e4))
    ref = make_pipeline(StandardScaler(), GaussianProcessClassifier(kernel, random_state=0)).fit(X, labels)
    np.testing.assert_allclose(proba, ref.predict_proba(X), rtol=1e-6, atol=1e-9)
    assert list(clf.classes_) == [3, 7] and (clf.predict(X) == labels).mean() > 0.95
    X, y = fingerprints(80)
    with pytest.raises(ConfigError, match="max_train=50") as info:
        build("gp", "regression", max_train=50).fit(X, y)
    assert "lightgbm" in info.value.hint


# ---------------------------------------------------------------------------------------- contracts


class TestSVMTanimotoContract(ModelContract):
    """The contract's real-valued descriptors, with the kernel defined for them (the default MinMax kernel
    runs the contract in tests/kit on non-negative descriptors)."""

    plugin = hooks
    name = "svm"
    params = {"kernel": "tanimoto"}


class TestKNNTanimotoContract(ModelContract):
    plugin = hooks
    name = "knn"
    params = {"metric": "tanimoto", "n_neighbors": 3}


class TestGPContract(ModelContract):
    plugin = hooks
    name = "gp"


class TestLightGBMContract(ModelContract):
    plugin = hooks
    name = "lightgbm"
    params = {"n_estimators": 30, "n_jobs": 1}


def test_stored_training_rows_use_the_smallest_exact_dtype():
    from molgdl_models.kernel_svm import compact

    assert compact(np.array([[0.0, 1.0, 7.0]])).dtype == np.uint8
    assert compact(np.array([[0.0, 300.0]])).dtype == np.float32
    assert compact(np.array([[0.1, -1.0]])).dtype == np.float64
    X, y = fingerprints(40, counts=True)
    svr = KernelSVR().fit(X, y)
    assert svr.support_vectors_.dtype == np.uint8
    np.testing.assert_array_equal(svr.support_vectors_, X[svr.support_])
