"""One component's parameters as a reader needs them: name, type, default, constraints, description.

Used by ``molgdl components --kind KIND NAME``; plain text, so that the documentation can show the exact output.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass

from pydantic.fields import FieldInfo

from molgdl.specs import ComponentSpec

_CONSTRAINTS = (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="), ("min_length", "min length"),
                ("max_length", "max length"))


@dataclass(frozen=True)
class ParamRow:
    name: str
    type: str
    default: str
    description: str


def type_name(annotation: typing.Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("NoneType", "None")


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "(required)"
    if field.default_factory is not None:
        return repr(field.default_factory())
    return repr(field.default)


def _constraints(field: FieldInfo) -> str:
    found = []
    for meta in field.metadata:
        for attr, sign in _CONSTRAINTS:
            value = getattr(meta, attr, None)
            if value is not None:
                found.append(f"{sign} {value}")
    return f" [{', '.join(found)}]" if found else ""


def param_rows(spec: ComponentSpec) -> list[ParamRow]:
    return [ParamRow(name, type_name(f.annotation), _default(f), (f.description or "") + _constraints(f))
            for name, f in spec.params.model_fields.items()]


def describe_component(kind: str, spec: ComponentSpec, provider: str) -> str:
    """``kind name: summary``, the provider, and one line per parameter (aligned columns)."""
    lines = [f"{kind} {spec.name}: {spec.summary}", f"provided by {provider}"]
    rows = param_rows(spec)
    if not rows:
        lines.append("no parameters")
        return "\n".join(lines)
    table = [("parameter", "type", "default", "description")] + [(r.name, r.type, r.default, r.description)
                                                                  for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths)) + "  " + row[3])
    return "\n".join(line.rstrip() for line in lines)
