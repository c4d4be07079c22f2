"""Plugin loading: third-party entry points, broken plugins, duplicates, typos, switches, core independence.

The throwaway packages are built with pip into a folder under the test's tmp dir (``pip install --target``)
and put on ``PYTHONPATH`` of the ``molgdl`` subprocesses: entry points are found exactly as for a normal
install, while the shared virtual environment is never modified (other sessions may use it concurrently,
and a crashed test cannot leave a broken plugin behind).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from core_helpers import REPO, flat, molgdl_subprocess, read_json, run_dir, tiny_config, write_config
from molgdl import hookimpl
from molgdl.errors import PluginError
from molgdl.plugins import create_plugin_manager
from molgdl.registry import Registry
from molgdl.specs import ModelSpec, NoParams, ReadoutSpec

MYPLUG_HOOKS = '''
"""A third-party molgdl plugin: one encoder, registered as ``tiny_mlp_encoder``."""
from pydantic import Field

from molgdl import hookimpl
from molgdl.specs import ModelSpec, Params


class TinyMLPParams(Params):
    hidden_dim: int = Field(16, ge=1, description="width of the per-atom MLP")


def _factory(params, dims):
    from myplug.model import TinyMLPEncoder  # torch is imported lazily

    return TinyMLPEncoder(dims.atom_dim, params.hidden_dim)


@hookimpl
def molgdl_models():
    return [ModelSpec("tiny_mlp_encoder", "per-atom two-layer MLP (test plugin)", _factory, TinyMLPParams)]
'''

MYPLUG_MODEL = '''
import torch
from torch import nn


class TinyMLPEncoder(nn.Module):
    """Node embeddings from atom features only: ``forward(batch) -> [num_nodes, out_dim]``."""

    def __init__(self, atom_dim: int, hidden_dim: int) -> None:
        super().__init__()
        self.out_dim = hidden_dim
        self.net = nn.Sequential(nn.Linear(atom_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, hidden_dim))

    def forward(self, batch) -> torch.Tensor:
        return self.net(batch.x)
'''

BROKEN_HOOKS = '''
raise RuntimeError("brokenplug is deliberately broken")
'''


def _package(root: Path, dist: str, pkg: str, ep_name: str, files: dict[str, str]) -> Path:
    src = root / dist
    (src / pkg).mkdir(parents=True)
    (src / "pyproject.toml").write_text(textwrap.dedent(f'''
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{dist}"
        version = "0.0.1"
        dependencies = ["molgdl"]

        [project.entry-points.molgdl]
        {ep_name} = "{pkg}.hooks"

        [tool.setuptools]
        packages = ["{pkg}"]
    '''))
    (src / pkg / "__init__.py").write_text("")
    for name, text in files.items():
        (src / pkg / name).write_text(text)
    return src


def _pip_install(src: Path, target: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
           "--disable-pip-version-check", "--quiet", "--target", str(target), str(src)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def plugin_sites(tmp_path_factory):
    """``{"good": site dir with myplug, "broken": site dir with brokenplug}``, removed with tmp dirs."""
    root = tmp_path_factory.mktemp("plugin_src")
    sites = {"good": root / "site_good", "broken": root / "site_broken"}
    _pip_install(_package(root, "myplug", "myplug", "myplug", {"hooks.py": MYPLUG_HOOKS, "model.py": MYPLUG_MODEL}),
                 sites["good"])
    _pip_install(_package(root, "brokenplug", "brokenplug", "brokenplug", {"hooks.py": BROKEN_HOOKS}), sites["broken"])
    assert list(sites["good"].glob("myplug-0.0.1.dist-info/entry_points.txt"))
    return sites


# ---------------------------------------------------------------- (a) a third-party plugin


def test_third_party_plugin_is_listed_and_trains(plugin_sites, tmp_path):
    site = str(plugin_sites["good"])
    proc = molgdl_subprocess(["components", "--kind", "model", "--json"], tmp_path, PYTHONPATH=site)
    assert proc.returncode == 0, proc.stderr
    models = {m["name"]: m for m in json.loads(proc.stdout)["model"]}
    assert "tiny_mlp_encoder" in models
    assert models["tiny_mlp_encoder"]["provider"] == "myplug (myplug 0.0.1)"
    assert "hidden_dim" in models["tiny_mlp_encoder"]["params"]
    assert "dmpnn" in models  # first-party plugins are still there

    # without the site on the path the component is unknown
    proc = molgdl_subprocess(["components", "--kind", "model", "--json"], tmp_path)
    assert "tiny_mlp_encoder" not in proc.stdout

    cfg = tiny_config(tmp_path, model={"name": "tiny_mlp_encoder", "hidden_dim": 16})
    path = write_config(tmp_path / "cfg.yaml", cfg)
    proc = molgdl_subprocess(["run", str(path)], tmp_path, PYTHONPATH=site)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    out = run_dir(cfg)
    metrics = read_json(out / "seed_0" / "metrics.json")
    assert "rmse" in metrics["metrics"]["test"]["overall"]
    assert read_json(out / "status.json")["state"] == "completed"
    plugins = {p["name"]: p for p in read_json(out / "versions.json")["plugins"]}
    assert plugins["myplug"] == {"name": "myplug", "distribution": "myplug", "version": "0.0.1", "status": "loaded"}


# ---------------------------------------------------------------- (b) a plugin that fails to import


def test_broken_plugin_is_reported_and_others_work(plugin_sites, tmp_path):
    site = str(plugin_sites["broken"])
    proc = molgdl_subprocess(["plugins"], tmp_path, PYTHONPATH=site)
    assert proc.returncode == 0, proc.stderr
    text = flat(proc.stdout)
    assert re.search(r"brokenplug\s*│\s*brokenplug\s*│\s*0\.0\.1\s*│\s*failed: RuntimeError: brokenplug is "
                     r"deliberately broken", text), text
    assert re.search(r"models\s*│\s*molgdl-models\s*│\s*\S+\s*│\s*loaded", text), text

    proc = molgdl_subprocess(["plugins", "--json"], tmp_path, PYTHONPATH=site)
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["brokenplug"]["status"] == "failed"
    assert rows["brokenplug"]["error"] == "RuntimeError: brokenplug is deliberately broken"
    assert rows["models"]["status"] == "loaded"

    proc = molgdl_subprocess(["components", "--kind", "model", "--json"], tmp_path, PYTHONPATH=site)
    assert proc.returncode == 0
    assert "dmpnn" in {m["name"] for m in json.loads(proc.stdout)["model"]}
    assert "warning: plugin brokenplug (brokenplug 0.0.1) failed to load: RuntimeError: brokenplug is " \
           "deliberately broken" in flat(proc.stderr)


def test_broken_plugin_with_strict_is_an_error(plugin_sites, tmp_path):
    site = str(plugin_sites["broken"])
    for args in (["plugins", "--strict"], ["components", "--strict"]):
        proc = molgdl_subprocess(args, tmp_path, PYTHONPATH=site)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        msg = flat(proc.stderr)
        assert "error: plugin 'brokenplug' (brokenplug 0.0.1) failed to load: RuntimeError: brokenplug is " \
               "deliberately broken" in msg
        assert "fix: fix or uninstall brokenplug, or disable it with MOLGDL_DISABLE_PLUGINS=brokenplug" in msg
        assert "Traceback" not in proc.stdout + proc.stderr
    # disabling the broken plugin makes --strict pass
    proc = molgdl_subprocess(["plugins", "--strict", "--disable-plugin", "brokenplug", "--json"], tmp_path,
                             PYTHONPATH=site)
    assert proc.returncode == 0, proc.stderr
    assert {r["name"]: r["status"] for r in json.loads(proc.stdout)}["brokenplug"] == "disabled"


def test_broken_plugin_is_mentioned_when_a_component_is_unknown(plugin_sites, tmp_path):
    cfg = tiny_config(tmp_path, model={"name": "tiny_mlp_encoder"})
    path = write_config(tmp_path / "cfg.yaml", cfg)
    proc = molgdl_subprocess(["validate", str(path)], tmp_path, PYTHONPATH=str(plugin_sites["broken"]))
    assert proc.returncode == 2
    msg = flat(proc.stderr)
    assert "model.name: unknown model 'tiny_mlp_encoder'" in msg
    assert "note: plugin brokenplug (brokenplug 0.0.1) failed to load: RuntimeError" in msg
    assert "Traceback" not in proc.stdout + proc.stderr


# ---------------------------------------------------------------- (c) duplicate names, (d) hook typos


def _module(name: str, **attrs) -> types.ModuleType:
    mod = types.ModuleType(name)
    for k, v in attrs.items():
        setattr(mod, k, v)
    return mod


def _dup_models():
    return [ModelSpec("dup_model", "a model", lambda params, dims: None)]


def test_duplicate_component_name_names_both_providers():
    plug_a = _module("plug_a", molgdl_models=hookimpl(_dup_models))
    plug_b = _module("plug_b", molgdl_models=hookimpl(_dup_models))
    pm = create_plugin_manager(autoload=False, extra_plugins=[plug_a, plug_b])
    with pytest.raises(PluginError) as info:
        Registry(pm)
    msg = str(info.value)
    assert "two plugins register the model 'dup_model'" in msg
    assert "plug_a" in msg and "plug_b" in msg
    assert "MOLGDL_DISABLE_PLUGINS" in msg


def test_duplicate_of_a_builtin_name_is_refused():
    from molgdl.specs import OptimizerSpec

    plug = _module("my_adam", molgdl_optimizers=hookimpl(lambda: [OptimizerSpec("adam", "mine", lambda p, ps: None)]))
    with pytest.raises(PluginError, match=r"two plugins register the optimizer 'adam': molgdl\.builtin "
                                          r"\(molgdl [^)]+\) and my_adam"):
        Registry(create_plugin_manager(autoload=False, extra_plugins=[plug]))


def test_same_name_in_different_kinds_is_fine():
    plug = _module("plug_c", molgdl_models=hookimpl(lambda: [ModelSpec("mean", "a model", lambda p, d: None)]))
    reg = Registry(create_plugin_manager(autoload=False, extra_plugins=[plug]))
    assert "mean" in reg.names("model")


def test_wrong_spec_type_is_refused():
    plug = _module("plug_d", molgdl_models=hookimpl(lambda: [ReadoutSpec("r", "oops", lambda p, d: None)]))
    with pytest.raises(PluginError, match="plugin plug_d returned ReadoutSpec from the model hook"):
        Registry(create_plugin_manager(autoload=False, extra_plugins=[plug]))


def test_misspelled_hook_names_the_plugin():
    plug = _module("typo_plugin", molgdl_modelz=hookimpl(_dup_models))
    with pytest.raises(PluginError) as info:
        create_plugin_manager(autoload=False, extra_plugins=[plug])
    msg = str(info.value)
    assert msg.startswith("plugin typo_plugin implements an unknown hook")
    assert "molgdl_modelz" in msg
    assert "hooks start with 'molgdl_'" in msg


def test_spec_params_default_to_noparams():
    spec = ModelSpec("m", "s", lambda p, d: None)
    assert spec.params is NoParams
    with pytest.raises(Exception):
        spec.build_params({"unexpected": 1})


# ---------------------------------------------------------------- (e) the core imports no plugin


def test_core_imports_no_plugin_package(tmp_path):
    code = ("import molgdl, molgdl.cli, molgdl.run.pipeline, molgdl.config, molgdl.registry, molgdl.predict; "
            "import sys; print([m for m in sys.modules if m.startswith(('molgdl_', 'rdkit', 'e3nn'))])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_core_source_never_imports_a_plugin():
    offenders = []
    for path in sorted((REPO / "src" / "molgdl").rglob("*.py")):
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"^\s*(import|from)\s+(molgdl_\w+|rdkit|e3nn)\b", line):
                offenders.append(f"{path.relative_to(REPO)}:{i}: {line.strip()}")
    assert offenders == []


def test_loading_the_plugin_manager_does_not_import_torch(tmp_path):
    """Registration hooks must stay light: listing components never imports torch or rdkit."""
    code = ("from molgdl.plugins import create_plugin_manager; from molgdl.registry import Registry; "
            "Registry(create_plugin_manager()); import sys; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'rdkit', 'torch_geometric'}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# ---------------------------------------------------------------- (f) switches


def _components(run_cli, *args) -> dict:
    code, out, err = run_cli("components", "--json", *args)
    assert code == 0, err
    return json.loads(out)


def _providers(data: dict) -> set[str]:
    return {item["provider"].split(" ")[0] for items in data.values() for item in items}


def test_autoload_off_leaves_only_builtins(run_cli, monkeypatch):
    assert "models" in _providers(_components(run_cli))
    monkeypatch.setenv("MOLGDL_PLUGIN_AUTOLOAD", "0")
    data = _components(run_cli)
    assert _providers(data) == {"molgdl.builtin"}
    assert {i["name"] for i in data["optimizer"]} == {"adam", "adamw", "sgd"}
    assert data["model"] == [] and data["featurizer"] == [] and data["dataset"] == []


def test_no_plugins_flag_leaves_only_builtins(run_cli):
    assert _providers(_components(run_cli, "--no-plugins")) == {"molgdl.builtin"}
    code, out, err = run_cli("plugins", "--json", "--no-plugins")
    assert [r["name"] for r in json.loads(out)] == ["molgdl.builtin"]


def _model_names(data: dict) -> set[str]:
    return {i["name"] for i in data["model"]}


MODELS_PLUGIN = {"dmpnn", "gine", "schnet", "random_forest", "svm", "knn", "linear", "lightgbm", "gp"}  # molgdl-models


def test_disable_plugins_env(run_cli, monkeypatch):
    assert "dmpnn" in _model_names(_components(run_cli))
    monkeypatch.setenv("MOLGDL_DISABLE_PLUGINS", "models")
    data = _components(run_cli)
    assert not _model_names(data) & MODELS_PLUGIN and not {i["name"] for i in data["readout"]} & {"mean", "sum"}
    assert "esol" in {i["name"] for i in data["dataset"]}  # other plugins are untouched
    code, out, err = run_cli("plugins", "--json")
    assert {r["name"]: r["status"] for r in json.loads(out)}["models"] == "disabled"


def test_disable_plugin_flag(run_cli):
    data = _components(run_cli, "--disable-plugin", "models")
    assert not _model_names(data) & MODELS_PLUGIN
    assert "esol" in {i["name"] for i in data["dataset"]}
    # the distribution name works too
    assert not _model_names(_components(run_cli, "--disable-plugin", "molgdl-models")) & MODELS_PLUGIN


def test_disable_plugins_in_config(run_cli, tmp_path):
    cfg = tiny_config(tmp_path)
    code, out, err = run_cli("validate", write_config(tmp_path / "ok.yaml", cfg))
    assert code == 0, err
    cfg["plugins"] = {"disable": ["models"]}
    code, out, err = run_cli("validate", write_config(tmp_path / "off.yaml", cfg))
    assert code == 2
    msg = flat(err)
    assert "model.name: unknown model 'dmpnn'; installed models: " in msg
    assert "readout.name: unknown readout 'mean'; installed readouts: " in msg


def test_disable_plugins_in_config_in_process(tmp_path):
    from molgdl.config import load_config
    from molgdl.errors import ConfigError
    from molgdl.run.resolve import resolve

    cfg = tiny_config(tmp_path, plugins={"disable": ["models"]})
    with pytest.raises(ConfigError, match="unknown model 'dmpnn'"):
        resolve(load_config(write_config(tmp_path / "c.yaml", cfg)))
    res = resolve(load_config(write_config(tmp_path / "c2.yaml", tiny_config(tmp_path))))
    assert "dmpnn" in res.registry.names("model")


# ---------------------------------------------------------------- fixtures shipped for plugin authors


def test_pytest_plugin_fixtures(cli, molgdl_pm, tiny_table):
    code, out, err = cli("components", "--kind", "optimizer", "--json")
    assert code == 0
    assert {i["name"] for i in json.loads(out)["optimizer"]} == {"adam", "adamw", "sgd"}
    code, out, err = cli("components", "--kind", "modle")
    assert code == 2
    assert "error: unknown kind 'modle' (did you mean 'model'?)" in flat(err)
    assert "Traceback" not in out + err

    plug = _module("fixture_plugin", molgdl_models=hookimpl(_dup_models))
    molgdl_pm.register(plug)
    reg = Registry(molgdl_pm)
    assert reg.names("model") == ["dup_model"]
    assert reg.provider("model", "dup_model") == "fixture_plugin"
    assert len(tiny_table) == 12 and tiny_table.targets.shape == (12, 1)
