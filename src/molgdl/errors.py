"""Error hierarchy. Every user-facing failure is a MolgdlError whose message says what, where and how to fix."""

from __future__ import annotations


class MolgdlError(Exception):
    """Base class: the CLI prints these as a one-paragraph message, never as a traceback."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base}\n  fix: {self.hint}" if self.hint else base


class ConfigError(MolgdlError):
    """The YAML config is malformed, has unknown keys, wrong types or unknown component names."""


class PluginError(MolgdlError):
    """A plugin failed to load, registered a duplicate name, or implements an unknown hook."""


class DataError(MolgdlError):
    """Input data is missing, empty, malformed, or has too many invalid rows."""


class FeaturizationError(DataError):
    """One molecule could not be featurized (bad SMILES, failed conformer embedding, ...)."""


class TrainingError(MolgdlError):
    """Training stopped: NaN loss, dataset smaller than a batch, ..."""


class RunDirError(MolgdlError):
    """The run folder exists and --overwrite was not given, or it is not a molgdl run."""


class ResumeMismatchError(RunDirError):
    """``--resume`` with a config or data that differ from the ones the run started with."""


class StorageError(MolgdlError):
    """A file of the run could not be written (disk full, no permission, ...)."""
