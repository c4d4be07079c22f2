"""Physical cores registered as ``solver`` components (``molgdl.specs.SolverSpec``)."""
