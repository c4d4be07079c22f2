"""YAML config -> typed, validated ``RunConfig``."""

from molgdl.config.load import load_config, validate_components
from molgdl.config.schema import ComponentRef, RunConfig

__all__ = ["ComponentRef", "RunConfig", "load_config", "validate_components"]
