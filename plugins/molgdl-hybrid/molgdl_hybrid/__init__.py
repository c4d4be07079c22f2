"""molgdl-hybrid: physical core (a registered solver) + neural correction, trained online through the solver.

``molgdl_hybrid.gradients`` holds the gradient modes (``hybrid_step``, ``rollout``); ``hooks`` registers the
solvers and the ``dynamics`` task. Nothing heavy is imported here."""
