"""Built-in plugin: the uncertainty estimators and calibrators of the core (Langevin snapshots are registered by
molgdl-qlangevin, whose optimizers they sample with). Specs only; factories import lazily."""

from __future__ import annotations

from molgdl.hookspecs import hookimpl
from molgdl.specs import CalibratorSpec, UncertaintySpec

from .builtin_params import CalibratorParams, EnsembleParams, EvidentialParams, MCDropoutParams, MVEParams


def _ensemble(params: EnsembleParams):
    from .plan import EstimatorPlan

    return EstimatorPlan(head=params.head, members=params.members, bootstrap=params.bootstrap,
                         cv_folds=params.cv_folds,
                         tasks=("regression",) if params.head == "mve" else ("regression", "classification"))


def _mve(params: MVEParams):
    from .plan import EstimatorPlan

    return EstimatorPlan(head="mve", tasks=("regression",))


def _evidential(params: EvidentialParams):
    from .plan import EstimatorPlan

    return EstimatorPlan(head="evidential", evidential_lambda=params.regularization, tasks=("regression",))


def _mc_dropout(params: MCDropoutParams):
    from .plan import EstimatorPlan

    return EstimatorPlan(passes=params.passes, needs_dropout=True)


def _calibrator(cls_name: str):
    def factory(params: CalibratorParams):
        from . import calibration

        return getattr(calibration, cls_name)()

    return factory


@hookimpl
def molgdl_uncertainty_estimators():
    return [
        UncertaintySpec("ensemble", "deep ensemble: members with their own seeds (optionally bootstrap resamples)",
                        _ensemble, EnsembleParams),
        UncertaintySpec("mve", "mean-variance estimation: the head predicts a mean and a log variance (Gaussian NLL)",
                        _mve, MVEParams),
        UncertaintySpec("evidential", "deep evidential regression (Amini et al. 2020): Normal-Inverse-Gamma head",
                        _evidential, EvidentialParams),
        UncertaintySpec("mc_dropout", "Monte Carlo dropout: forward passes with dropout active at prediction",
                        _mc_dropout, MCDropoutParams),
    ]


@hookimpl
def molgdl_calibrators():
    return [
        CalibratorSpec("none", "no calibration: the estimator's spread as it is", _calibrator("NoCalibration"),
                       CalibratorParams),
        CalibratorSpec("zscaling", "variance scaling: sigma * s with s^2 = mean(r^2 / sigma^2) on validation",
                       _calibrator("ZScaling"), CalibratorParams),
        CalibratorSpec("isotonic", "isotonic recalibration of the predictive CDF (Kuleshov et al. 2018)",
                       _calibrator("IsotonicRegressionCalibrator"), CalibratorParams),
        CalibratorSpec("conformal", "split conformal intervals with normalised scores |y - mu| / sigma",
                       _calibrator("ConformalCalibrator"), CalibratorParams),
        CalibratorSpec("cv_plus", "CV+ intervals from an ensemble trained on K folds of the training split "
                       "(ensemble: {cv_folds: true})", _calibrator("CVPlusCalibrator"), CalibratorParams),
        CalibratorSpec("platt", "Platt scaling of classification probabilities", _calibrator("PlattCalibrator"),
                       CalibratorParams),
        CalibratorSpec("isotonic_probability", "isotonic regression of classification probabilities",
                       _calibrator("IsotonicProbabilityCalibrator"), CalibratorParams),
    ]
