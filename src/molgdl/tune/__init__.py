"""``molgdl tune``: model selection with Optuna by inner k-fold cross-validation on the training split.

Modules: ``schema`` (the ``tune:`` config section), ``space`` (search dimensions, checked against the
config schema and the registry), ``sample`` (a trial's config), ``folds`` (the tuning molecules and their
inner folds), ``objective`` (one trial), ``study`` (storage, resume, parallel workers), ``report``
(trials.csv, plots, best.yaml) and ``pipeline`` (the command, top to bottom). Nothing here is imported by
``molgdl run``; optuna is imported only when a study starts.
"""
