"""Sphinx extension of the molgdl docs: pages generated at build time into ``docs/_generated/`` (not committed).

* ``config.md``: every key of the run config, from the pydantic schema (``molgdl.config.schema.RunConfig``);
* ``components.md``: every installed component with its parameters, from the registry (as ``molgdl components``);
* ``gallery/<notebook>.md``: each notebook of ``notebooks/`` rendered without executing (markdown cells as they
  are, code cells as code blocks), and ``gallery/index.md`` listing them.
"""

from __future__ import annotations

import json
import re
import string
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
OUT = DOCS / "_generated"


def md_text(text: Any) -> str:
    """Plain text safe in a Markdown table cell: every ASCII punctuation character backslash-escaped."""
    out = []
    for ch in " ".join(str(text).split()):
        out.append("\\" + ch if ch in string.punctuation else ch)
    return "".join(out)


def code(text: Any) -> str:
    """Inline code safe in a table cell (a backtick inside is replaced by a quote, ``|`` by a slash)."""
    return "`" + " ".join(str(text).split()).replace("`", "'").replace("|", "/") + "`"


def _type(annotation: Any) -> str:
    """``str | None`` rather than ``molgdl.config.schema.ComponentRef / None``."""
    from molgdl.component_info import type_name

    return re.sub(r"\b(?:[a-z_][a-z0-9_]*\.)+(?=[A-Za-z_])", "", type_name(annotation)).replace(" / ", " | ")


def _section_model(annotation: Any) -> type[BaseModel] | None:
    from molgdl.config.schema import ComponentRef

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return None if issubclass(annotation, ComponentRef) else annotation
    for arg in typing.get_args(annotation):
        found = _section_model(arg)
        if found is not None:
            return found
    return None


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.default_factory() if field.default_factory is not None else field.default
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", exclude_none=True)
        if isinstance(value, dict) and "name" in value:
            return code(json.dumps(value))
        return "see below"
    return code(json.dumps(value, default=str))


def _config_tables(model: type[BaseModel], prefix: str, level: int, lines: list[str]) -> None:
    nested = []
    lines += ["| key | type | default | description |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        sub = _section_model(field.annotation)
        desc = field.description or (sub.__doc__ or "").strip().split("\n\n")[0] if sub else field.description or ""
        if sub is None and "ComponentRef" in str(field.annotation):
            desc = (desc + " " if desc else "") + "(a registered component: name plus its parameters; see the " \
                   "components reference)"
        lines.append(f"| {code(key)} | {code(_type(field.annotation))} | {_default(field)} | {md_text(desc)} |")
        if sub is not None:
            nested.append((key, sub))
    lines.append("")
    for key, sub in nested:
        lines += [f"{'#' * level} `{key}`", ""]
        doc = (sub.__doc__ or "").strip()
        if doc:
            lines += [md_text(doc), ""]
        _config_tables(sub, key + ".", min(level + 1, 4), lines)


def config_page() -> str:
    from molgdl.config.schema import RunConfig

    lines = ["# Config reference", "",
             md_text("Every key of a run config (YAML file or dict), generated from the schema "
                     "(molgdl.config.schema). Unknown keys are refused with the valid keys and a did-you-mean. "
                     "Component blocks hold a registered name plus that component's parameters."), "",
             "## Top level", ""]
    _config_tables(RunConfig, "", 2, lines)
    return "\n".join(lines) + "\n"


def components_page() -> str:
    from molgdl.component_info import param_rows
    from molgdl.hookspecs import REGISTRATION_HOOKS
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry

    registry = Registry(create_plugin_manager())
    lines = ["# Components reference", "",
             md_text("Every component registered by the installed plugins when this site was built, with its "
                     "parameters (what `molgdl components --kind KIND NAME` prints)."), ""]
    for kind in REGISTRATION_HOOKS:
        items = registry.items(kind)
        if not items:
            continue
        lines += [f"## {kind}", ""]
        for item in items:
            lines += [f"### {kind} `{item.spec.name}`", "", md_text(item.spec.summary) + " — " +
                      md_text(f"provided by {item.provider}"), ""]
            rows = param_rows(item.spec)
            if rows:
                lines += ["| parameter | type | default | description |", "|---|---|---|---|"]
                lines += [f"| {code(r.name)} | {code(r.type)} | {code(r.default)} | {md_text(r.description)} |"
                          for r in rows]
            else:
                lines.append("No parameters.")
            lines.append("")
    return "\n".join(lines) + "\n"


def notebook_page(path: Path) -> str:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    rel = path.relative_to(ROOT)
    note = (f"*This page shows the cells of `{rel}` without running them. Open the notebook in Jupyter to run "
            "it; the test suite executes it at a small size (`MOLGDL_NOTEBOOK_SMALL=1`).*")
    body: list[str] = []
    for i, cell in enumerate(nb.cells):
        text = cell.source.rstrip()
        if cell.cell_type == "markdown":
            body += [text, ""]
            if i == 0:
                body += [note, ""]
        elif cell.cell_type == "code" and text:
            fence = "````" if "```" in text else "```"
            body += [f"{fence}python", text, fence, ""]
    if not nb.cells or nb.cells[0].cell_type != "markdown" or not nb.cells[0].source.lstrip().startswith("# "):
        body = [f"# {path.stem.replace('_', ' ')}", "", note, ""] + body
    return "\n".join(body) + "\n"


def generate(app: Any = None) -> None:
    gallery = OUT / "gallery"
    gallery.mkdir(parents=True, exist_ok=True)
    for old in gallery.glob("*.md"):
        old.unlink()
    (OUT / "config.md").write_text(config_page())
    (OUT / "components.md").write_text(components_page())
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for nb in notebooks:
        (gallery / f"{nb.stem}.md").write_text(notebook_page(nb))
    index = ["# Notebook gallery", "",
             md_text("Notebooks in notebooks/, stored without outputs. Each uses the Python API only and is executed "
                     "by the test suite at a small size."), "", "```{toctree}", ":maxdepth: 1", ""]
    index += [nb.stem for nb in notebooks] + ["```", ""]
    (gallery / "index.md").write_text("\n".join(index))


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", generate)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
