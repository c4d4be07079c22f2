"""molgdl's Python API: the functions behind ``molgdl run``, ``molgdl predict`` and ``molgdl embed``, for
notebooks and scripts. Everything here is also available at the top level (``molgdl.run``, ``molgdl.open_run``,
...).

Examples in these docstrings run as doctests (``tests/api/test_doctests.py``); ``trained`` there is a tiny
finished D-MPNN run on 40 ESOL molecules, trained as in :func:`molgdl.api.run`'s example.
"""

from molgdl.api.catalog import components, register_plugin, unregister_plugin
from molgdl.api.display import Figure
from molgdl.api.molecules import Featurized, dataset, descriptors, featurize
from molgdl.api.results import AnalysisResult
from molgdl.api.runs import Run, open_run, run

__all__ = [
    "run",
    "open_run",
    "Run",
    "AnalysisResult",
    "Figure",
    "featurize",
    "Featurized",
    "descriptors",
    "dataset",
    "components",
    "register_plugin",
    "unregister_plugin",
]
