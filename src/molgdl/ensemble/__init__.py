"""Ensembles with stacking: several member configs, weights fitted on out-of-fold predictions.

Modules: ``schema`` (the ``ensemble:`` config section, import-light), ``members`` (a member's partial config
merged over the run's config and validated with the same schema), ``stacking`` (non-negative least squares
weights), ``oof`` (out-of-fold predictions by inner k-fold CV on the outer training molecules only),
``member_runs`` (members as runs of their own in ``members/<name>/``), ``pipeline`` (``molgdl run`` on an
ensemble config, top to bottom), ``report`` (ensemble.json and why.txt) and ``predict`` (``molgdl predict``
on an ensemble run). See docs/ensembles.md.
"""
