"""``molgdl new-plugin``: names, generated files, refusals (fast, in-process; the generated packages are
installed, tested and trained in test_generated_plugins.py)."""

from __future__ import annotations

import ast
import tomllib

import pytest
import yaml

from molgdl.errors import MolgdlError
from molgdl.scaffold import KINDS, generate_plugin, plugin_names


def test_names():
    n = plugin_names("my-encoder")
    assert (n.dist, n.package, n.entry_point, n.component, n.class_name) == (
        "molgdl-my-encoder", "molgdl_my_encoder", "my_encoder", "my_encoder", "MyEncoder")
    assert plugin_names("molgdl-my-encoder") == n
    assert plugin_names("lion2").dist == "molgdl-lion2"
    assert plugin_names("a_b").dist == "molgdl-a-b"


@pytest.mark.parametrize("bad", ["", "My", "2fast", "a--b", "a b", "molgdl-", "x.y", "-a", "class"])
def test_bad_names_are_refused(bad):
    with pytest.raises(MolgdlError, match="invalid plugin name"):
        plugin_names(bad)


@pytest.mark.parametrize("kind", list(KINDS))
def test_generated_package(kind, tmp_path):
    dest = generate_plugin(f"gen-{kind}", kind, tmp_path)
    pkg, name = f"molgdl_gen_{kind}", f"gen_{kind}"
    module = KINDS[kind].module
    assert dest == tmp_path / f"molgdl-gen-{kind}"
    files = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert files == sorted([
        ".github/workflows/ci.yml", ".gitignore", "README.md", "examples/tiny.yaml", "pyproject.toml",
        f"{pkg}/__init__.py", f"{pkg}/factory.py", f"{pkg}/hooks.py", f"{pkg}/params.py", f"{pkg}/{module}.py",
        "tests/test_contracts.py", f"tests/test_{module}.py", "tests/test_plugin.py",
    ])
    for path in dest.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert "@@" not in text, path
            if path.suffix == ".py":
                compile(text, str(path), "exec")

    meta = tomllib.loads((dest / "pyproject.toml").read_text())
    assert meta["project"]["name"] == f"molgdl-gen-{kind}"
    assert meta["project"]["entry-points"]["molgdl"] == {name: f"{pkg}.hooks"}
    assert meta["tool"]["setuptools"]["packages"] == [pkg]
    assert meta["project"]["dependencies"][0].startswith("molgdl>=")

    # hooks.py: imports and @hookimpl functions only, the right hook, no heavy import
    tree = ast.parse((dest / pkg / "hooks.py").read_text())
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert [f.name for f in funcs] == [KINDS[kind].hook]
    assert all(any(ast.unparse(d) == "hookimpl" for d in f.decorator_list) for f in funcs)
    others = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.Import, ast.ImportFrom, ast.Expr))]
    assert others == []
    imported = {a.name.split(".")[0] for n in tree.body if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in tree.body if isinstance(n, ast.ImportFrom) and n.module}
    assert not imported & {"torch", "rdkit", "torch_geometric", "numpy"}

    workflow = yaml.safe_load((dest / ".github/workflows/ci.yml").read_text())
    steps = workflow["jobs"]["test"]["steps"]
    assert any("pytest" in s.get("run", "") for s in steps)
    assert any("pip install -e" in s.get("run", "") for s in steps)

    from molgdl.config import load_config

    cfg = load_config(dest / "examples" / "tiny.yaml")  # the core schema (no plugin needed)
    used = {k: r.name for k, _, r in cfg.component_refs()}
    assert used[kind] == name
    assert cfg.data.source.name == "esol" and cfg.data.source.params == {"limit": 60}

    readme = (dest / "README.md").read_text()
    assert f"molgdl components --kind {kind}" in readme and f"MOLGDL_DISABLE_PLUGINS={name}" in readme
    contract = (dest / "tests" / "test_contracts.py").read_text()
    assert f"from molgdl.testing import {KINDS[kind].contract}" in contract and f'name = "{name}"' in contract


def test_cli(cli, tmp_path):
    code, out, err = cli("new-plugin", "my-readout", "--kind", "readout", "-o", str(tmp_path / "out"),
                         "--description", "Pooling that remembers everything.")
    assert code == 0, err
    text = " ".join(out.split())
    assert "readout my_readout" in text and "molgdl_my_readout/hooks.py" in text
    assert "next: cd" in text and "pip install -e '.[test]' && python -m pytest" in text
    meta = tomllib.loads((tmp_path / "out" / "molgdl-my-readout" / "pyproject.toml").read_text())
    assert meta["project"]["description"] == "Pooling that remembers everything."

    code, out, err = cli("new-plugin", "my-readout", "--kind", "readout", "-o", str(tmp_path / "out"))
    assert code == 2 and "already exists and is not empty" in " ".join(err.split())

    code, out, err = cli("new-plugin", "mean", "--kind", "readout", "-o", str(tmp_path / "out"))
    msg = " ".join(err.split())
    assert code == 2 and "a readout named 'mean' is already registered by models (molgdl-models" in msg
    assert "Traceback" not in out + err
    code, out, err = cli("new-plugin", "mean", "--kind", "readout", "-o", str(tmp_path / "out"), "--no-check")
    assert code == 0, err

    code, out, err = cli("new-plugin", "Mean", "-o", str(tmp_path / "out"))
    assert code == 2 and "invalid plugin name 'Mean'" in " ".join(err.split())
    with pytest.raises(SystemExit):
        cli("new-plugin", "x", "--kind", "splitter")
