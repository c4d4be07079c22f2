"""Command outputs shown in the docs are what the commands print: every ```console block of docs/plugins.md
whose first line is ``$ molgdl ...`` is run in-process (entry-point plugins off, so only the built-ins answer)
and its output compared line by line (trailing spaces ignored). docs/plugin-mistakes.md has its own check
(``test_plugin_mistakes.py``)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "plugins.md"


def console_blocks(text: str) -> list[tuple[list[str], str]]:
    """``(argv after 'molgdl', expected output)`` of each ```console block that runs molgdl."""
    out = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        first, _, rest = block.partition("\n")
        if first.startswith("$ molgdl "):
            out.append((shlex.split(first[len("$ molgdl "):]), rest))
    return out


def _clean(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def drift(text: str, cli) -> list[str]:
    """One line per documented command whose output differs from what it prints now."""
    problems = []
    for argv, expected in console_blocks(text):
        code, out, err = cli(*argv)
        if code != 0 or _clean(out) != _clean(expected):
            problems.append(f"`molgdl {' '.join(argv)}` (exit {code}) prints:\n{out}{err}")
    return problems


@pytest.fixture
def builtins_only(monkeypatch):
    monkeypatch.setenv("MOLGDL_PLUGIN_AUTOLOAD", "0")
    monkeypatch.setenv("MOLGDL_DISABLE_PLUGINS", "")


def test_documented_command_outputs_match(cli, builtins_only):
    text = DOC.read_text()
    assert len(console_blocks(text)) >= 1
    assert drift(text, cli) == []


def test_a_drifted_output_is_caught(cli, builtins_only):
    """The check fails when the docs and the code disagree (here: a default changed in the docs only)."""
    text = DOC.read_text()
    changed = text.replace("  lr            float                0.001 ", "  lr            float                0.01  ")
    assert changed != text
    (problem,) = drift(changed, cli)
    assert problem.startswith("`molgdl components --kind optimizer adam` (exit 0) prints:\noptimizer adam:")


def test_components_name_needs_a_kind_and_suggests_names(cli, builtins_only):
    code, out, err = cli("components", "adam")
    assert code == 2 and " ".join(err.split()) == ("error: `molgdl components adam` needs the kind of the component "
                                                   "fix: e.g. molgdl components --kind model adam")
    code, out, err = cli("components", "--kind", "optimizer", "adma")
    assert code == 2 and " ".join(err.split()) == (
        "error: components: unknown optimizer 'adma' (did you mean 'adam'?); installed optimizers: adam, adamw, sgd "
        "fix: run `molgdl components --kind optimizer` to list them, or install the plugin that provides it")
