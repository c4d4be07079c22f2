"""molgdl: molecular geometric deep learning with a small core and pluggy plugins."""

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

__all__ = [
    "__version__",
    "hookimpl",
    "MolgdlError",
    "ConfigError",
    "DataError",
    "FeaturizationError",
    "PluginError",
    "TrainingError",
]
