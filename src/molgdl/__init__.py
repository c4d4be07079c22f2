"""molgdl: molecular geometric deep learning with a small core and pluggy plugins.

The Python API (:mod:`molgdl.api`) is re-exported here: ``molgdl.run(config)``, ``molgdl.open_run(path)``,
``molgdl.featurize``, ``molgdl.descriptors``, ``molgdl.dataset``, ``molgdl.components``,
``molgdl.register_plugin``. Importing molgdl loads no plugin and no heavy library.
"""

__version__ = "0.1.0"

from molgdl.errors import (  # noqa: E402
    ConfigError,
    DataError,
    FeaturizationError,
    MolgdlError,
    PluginError,
    TrainingError,
)
from molgdl.hookspecs import hookimpl  # noqa: E402
from molgdl import run  # noqa: E402  (the pipeline package; calling it is molgdl.api.run)
from molgdl.api import (  # noqa: E402
    AnalysisResult,
    Featurized,
    Figure,
    Run,
    components,
    dataset,
    descriptors,
    featurize,
    open_run,
    register_plugin,
    unregister_plugin,
)

__all__ = [
    "__version__",
    "hookimpl",
    "MolgdlError",
    "ConfigError",
    "DataError",
    "FeaturizationError",
    "PluginError",
    "TrainingError",
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
