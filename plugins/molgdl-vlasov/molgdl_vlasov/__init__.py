"""molgdl-vlasov: the characteristic mapping method (CMM) for 1+1-D Vlasov-Poisson as a solver plugin.

Krah, Yin, Bergmann, Nave, Schneider, "A characteristic mapping method for Vlasov-Poisson with extreme
resolution properties", arXiv:2311.09379. Modules: ``grid`` (box and grids), ``hermite`` (jets),
``maps`` (composition), ``field`` (Poisson, filter, periodic velocity), ``cmm`` (the method),
``semi_lagrangian`` (reference solver), ``diagnostics``, ``cases``, ``fitting``, ``solvers`` (protocol),
``task`` (``task: vlasov``), ``closure`` (learned correction of a coarse solver).
"""
