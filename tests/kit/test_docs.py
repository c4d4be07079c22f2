"""docs/plugins.md documents every hook with its current signature, every spec class with its fields,
the fixtures and contract classes of molgdl.testing, and the plugin switches.

The signatures are rendered from ``molgdl.hookspecs`` (``def name(arg: Annotation, ...) -> Return``): a hook
that gains, loses or retypes an argument fails ``test_every_hook_is_documented_with_its_signature`` until
its section in docs/plugins.md shows the new signature.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import types
from pathlib import Path

import pluggy
import pytest

from molgdl import hookspecs
from molgdl.specs import SPEC_KINDS, ComponentSpec, FeatureDims

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "plugins.md"


def _annotation(a) -> str:
    return a if isinstance(a, str) else inspect.formatannotation(a)


def hook_signature(fn) -> str:
    """``def molgdl_run_end(run_dir: Path, metrics: dict[str, Any]) -> None``."""
    sig = inspect.signature(fn)
    args = ", ".join(f"{p.name}: {_annotation(p.annotation)}" for p in sig.parameters.values())
    return f"def {fn.__name__}({args}) -> {_annotation(sig.return_annotation)}"


def hook_specs(module) -> dict[str, object]:
    """The functions of ``module`` marked with molgdl's ``hookspec``."""
    marker = f"{hookspecs.PROJECT}_spec"
    return {name: fn for name, fn in vars(module).items() if inspect.isfunction(fn) and hasattr(fn, marker)}


def sections(text: str) -> dict[str, str]:
    """``### `title` `` sections of the markdown (title inside backticks) -> their body."""
    out: dict[str, str] = {}
    parts = re.split(r"^### `([^`]+)`\s*$", text, flags=re.M)
    for title, body in zip(parts[1::2], parts[2::2]):
        out[title] = re.split(r"^#{1,3} ", body, maxsplit=1, flags=re.M)[0]
    return out


def hook_doc_problems(text: str, module) -> list[str]:
    specs = hook_specs(module)
    secs = sections(text)
    problems = []
    for name, fn in sorted(specs.items()):
        if name not in secs:
            problems.append(f"{name}: no '### `{name}`' section")
            continue
        expected = hook_signature(fn)
        if expected not in secs[name]:
            found = re.findall(rf"def {name}\(.*", secs[name])
            problems.append(f"{name}: the docs show {found or 'no signature'}, the hookspec is '{expected}'")
    for title in secs:
        if title.startswith("molgdl_") and title not in specs:
            problems.append(f"{title}: documented but not a hook of {module.__name__}")
    return problems


def test_the_hookspec_module_has_hooks():
    assert len(hook_specs(hookspecs)) == 18
    assert hook_signature(hookspecs.molgdl_run_end) == "def molgdl_run_end(run_dir: Path, metrics: dict[str, Any]) -> None"


def test_every_hook_is_documented_with_its_signature():
    assert hook_doc_problems(DOC.read_text(), hookspecs) == []


def _changed_hookspecs(**changes) -> types.ModuleType:
    """A copy of the hookspec module with some hooks replaced (by source) or removed (None)."""
    mod = types.ModuleType("changed_hookspecs")
    marker = pluggy.HookspecMarker(hookspecs.PROJECT)
    for name, fn in hook_specs(hookspecs).items():
        if name in changes:
            if changes[name] is None:
                continue
            ns: dict = {}
            exec("from __future__ import annotations\n" + changes[name], ns)
            fn = marker(ns[name])
        setattr(mod, name, fn)
    for name, src in changes.items():
        if src is not None and not hasattr(mod, name):
            ns = {}
            exec("from __future__ import annotations\n" + src, ns)
            setattr(mod, name, marker(ns[name]))
    return mod


def test_a_changed_signature_fails_the_docs_check():
    text = DOC.read_text()
    added_arg = _changed_hookspecs(molgdl_run_end="def molgdl_run_end(run_dir: Path, metrics: dict[str, Any], "
                                                  "seed: int) -> None: ...")
    (problem,) = hook_doc_problems(text, added_arg)
    assert problem.startswith("molgdl_run_end: the docs show ['def molgdl_run_end(run_dir: Path, metrics: "
                              "dict[str, Any]) -> None:'")
    assert problem.endswith("the hookspec is 'def molgdl_run_end(run_dir: Path, metrics: dict[str, Any], "
                            "seed: int) -> None'")
    retyped = _changed_hookspecs(molgdl_epoch_end="def molgdl_epoch_end(run_dir: Path, epoch: float, "
                                                  "metrics: dict[str, float]) -> None: ...")
    assert [p.split(":")[0] for p in hook_doc_problems(text, retyped)] == ["molgdl_epoch_end"]
    new_hook = _changed_hookspecs(molgdl_metrics="def molgdl_metrics() -> Iterable[MetricSpec]: ...")
    assert hook_doc_problems(text, new_hook) == ["molgdl_metrics: no '### `molgdl_metrics`' section"]
    removed = _changed_hookspecs(molgdl_callbacks=None)
    assert hook_doc_problems(text, removed) == ["molgdl_callbacks: documented but not a hook of changed_hookspecs"]


@pytest.mark.parametrize("cls", [ComponentSpec, FeatureDims, *SPEC_KINDS.values()], ids=lambda c: c.__name__)
def test_spec_classes_and_fields_are_documented(cls):
    secs = sections(DOC.read_text())
    assert cls.__name__ in secs, f"no '### `{cls.__name__}`' section"
    body = secs[cls.__name__]
    missing = [f.name for f in dataclasses.fields(cls) if f"`{f.name}`" not in body]
    assert not missing, f"{cls.__name__}: fields not documented: {missing}"
    kind = getattr(cls, "kind", None)
    if cls in SPEC_KINDS.values():
        assert f"Kind `{kind}`" in body


def test_python_examples_compile():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 26
    for i, block in enumerate(blocks):
        compile(block, f"docs/plugins.md python block {i}", "exec")


def test_testing_fixtures_and_contract_classes_are_documented():
    import molgdl.testing.pytest_plugin as plugin_module

    text = DOC.read_text()
    tree = ast.parse(Path(plugin_module.__file__).read_text())
    fixtures = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)
                and any("fixture" in ast.unparse(d) for d in node.decorator_list)]
    assert {"molgdl_pm", "tiny_table", "tiny_table_3d", "tiny_graphs", "cli"} <= set(fixtures)
    for name in fixtures:
        assert f"| `{name}` |" in text, f"fixture {name} is not in the fixture table"
    from molgdl.testing import suites

    for name in ("ModelContract", "ReadoutContract", "FeaturizerContract", "OptimizerContract", "AnalysisContract"):
        assert f"| `{name}` |" in text and hasattr(suites, name)
    from molgdl.testing.contracts import SYMMETRY_CHECKS

    for claim in SYMMETRY_CHECKS:
        assert f"`{claim}`" in text, f"symmetry check {claim!r} is not documented"


def test_switches_are_documented_and_exist():
    text = DOC.read_text()
    for switch in ("MOLGDL_DISABLE_PLUGINS", "MOLGDL_PLUGIN_AUTOLOAD=0", "--disable-plugin", "--no-plugins",
                   "--strict", "plugins: {disable: [NAME]}"):
        assert switch in text, switch
    from molgdl.cli import build_parser

    parser = build_parser()
    for command in ("run", "validate"):
        args = parser.parse_args([command, "c.yaml", "--strict", "--no-plugins", "--disable-plugin", "a",
                                  "--disable-plugin", "b"])
        assert args.strict and args.no_plugins and args.disable_plugin == ["a", "b"]
    for command in ("plugins", "components"):
        assert parser.parse_args([command, "--strict", "--disable-plugin", "a"]).disable_plugin == ["a"]
    args = parser.parse_args(["new-plugin", "x", "--kind", "readout", "-o", "out"])
    assert (args.name, args.kind, args.output_dir) == ("x", "readout", "out")
