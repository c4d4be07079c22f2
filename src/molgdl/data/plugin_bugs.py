"""Featurizer and descriptor exceptions that are not molecule errors are plugin bugs.

A featurizer or descriptor marks a molecule it cannot handle with ``molgdl.errors.FeaturizationError`` (any
``MolgdlError``): that molecule is skipped and listed in ``invalid_rows.csv``. Any other exception is a bug in
the plugin: ``bug_reason`` tags it where it is caught (in a worker process, so a string), and
``raise_plugin_bugs`` stops featurization once, naming the plugin, the component, how many molecules raised,
the first one and the line that raised, instead of counting the molecules as invalid.
"""

from __future__ import annotations

from typing import Any, Sequence

from molgdl.errors import PluginError
from molgdl.spec_checks import raised_at

BUG = "plugin bug: "


def bug_reason(exc: BaseException) -> str:
    """``plugin bug: KeyError: 'x' (at file:line)``: what crosses the process boundary for one molecule."""
    return f"{BUG}{type(exc).__name__}: {exc} (at {raised_at(exc)})"


def raise_plugin_bugs(failures: dict[int, str], records: Sequence[Any], kind: str,
                      identity: tuple[str, Any, str]) -> None:
    """Raise a ``PluginError`` when any failure reason is a tagged plugin bug (``bug_reason``)."""
    bugs = sorted(pos for pos, reason in failures.items() if reason.startswith(BUG))
    if not bugs:
        return
    name, _, provider = identity
    first = records[bugs[0]]
    what, _, where = failures[bugs[0]][len(BUG):].rpartition(" (at ")
    raise PluginError(
        f"plugin {provider}: {kind} {name!r} raised {what} on {len(bugs)} of {len(records)} molecules (first: row "
        f"{first.row}, id {first.id!r}, {first.smiles!r}; at {where.rstrip(')')}); only "
        "molgdl.errors.FeaturizationError marks a molecule as invalid, any other exception is a bug in the plugin",
        hint=f"fix the {kind}, or raise molgdl.errors.FeaturizationError(\"reason\") for molecules it cannot handle",
    )


def check_width(values: Any, names: Sequence[str], record: Any, identity: tuple[str, Any, str], compute: Any) -> None:
    """A descriptor must return one value per name."""
    if values is not None and len(values) != len(names):
        from molgdl.spec_checks import location

        name, _, provider = identity
        raise PluginError(
            f"plugin {provider}: descriptor {name!r} compute returned {len(values)} values for row {record.row} "
            f"({record.smiles!r}) ({location(compute)}); expected one value per name, {len(names)}",
            hint="make compute() and names agree",
        )
