"""The run pipeline: load data -> featurize -> split -> train -> evaluate -> analyse -> write artifacts.

``molgdl.run`` is this package and, called, the API function :func:`molgdl.api.run`:
``molgdl.run("configs/esol.yaml")`` trains a config and returns a :class:`molgdl.api.Run`. (A package that
is also callable keeps ``import molgdl.run.pipeline`` and ``molgdl.run(config)`` both working: Python sets the
attribute ``molgdl.run`` to this package whenever a module under it is imported.)
"""

import sys
import types


class _CallablePackage(types.ModuleType):
    def __call__(self, config, /, **kwargs):
        """Train and evaluate a config and return the finished run: see :func:`molgdl.api.run`."""
        from molgdl.api.runs import run

        return run(config, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
