"""Uncertainty estimation (issue 18): estimators chosen by ``uncertainty.estimator``, calibrators fitted on the
validation split (``uncertainty.calibrator``), metrics and plots of every run that has an ``uncertainty:`` section.
See docs/uncertainty.md."""
