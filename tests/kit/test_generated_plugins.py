"""Acceptance of the plugin kit, as a plugin author goes: generate a plugin of every kind with
``molgdl new-plugin``, install it, run its own tests, train a tiny config that uses the component.

The five packages are built with pip into one folder under the test's tmp dir (``pip install --target``,
no build isolation, no index) and put on ``PYTHONPATH`` of the subprocesses, as in tests/core/test_plugins.py:
entry points are found as for a normal install and the shared virtual environment is never modified.
Each package's pytest runs in one process; each tiny run is its own ``examples/tiny.yaml`` (60 ESOL
molecules, 2 epochs) with a shared featurization cache. Torch runs single-threaded (OMP_NUM_THREADS=1):
on a loaded 2-core machine this is several times faster for these tiny tensors.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from molgdl.scaffold import KINDS

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _env(root: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for var in ("MOLGDL_PLUGIN_AUTOLOAD", "MOLGDL_DISABLE_PLUGINS"):
        env.pop(var, None)
    site = str(root / "site")
    env.update({"PYTHONPATH": site + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
                "OMP_NUM_THREADS": "1", "MOLGDL_CACHE_DIR": str(root / "cache"), "COLUMNS": "200",
                "PYTHONWARNINGS": "ignore"})
    env.update(extra)
    return env


def _run(args: list[str], cwd: Path, root: Path, timeout: float = 300, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=_env(root, **extra))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    """``{kind: package folder}``, every package installed into ``<root>/site``."""
    root = tmp_path_factory.mktemp("kit")
    (root / "src").mkdir()
    packages = {}
    for kind in KINDS:
        proc = _run(["-m", "molgdl", "new-plugin", f"kit-{kind}", "--kind", kind, "-o", str(root / "src")],
                    root, root)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        packages[kind] = root / "src" / f"molgdl-kit-{kind}"
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
           "--disable-pip-version-check", "--quiet", "--target", str(root / "site"), *map(str, packages.values())]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for kind in KINDS:
        assert (root / "site" / f"molgdl_kit_{kind}-0.1.0.dist-info" / "entry_points.txt").is_file()
    return packages


def _root(packages: dict[str, Path]) -> Path:
    return next(iter(packages.values())).parents[1]


@pytest.mark.parametrize("kind", list(KINDS))
def test_generated_package_tests_pass(generated, kind):
    pkg, root = generated[kind], _root(generated)
    proc = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs"], pkg, root, timeout=400)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    counts = dict((k, int(v)) for v, k in re.findall(r"(\d+) (passed|failed|errors?|skipped)", out))
    assert counts.get("passed", 0) >= 12 and "failed" not in counts and "error" not in counts, out[-3000:]
    # the example config was validated against the installed plugins, not skipped
    assert "first-party plugins" not in out, out[-3000:]


@pytest.mark.parametrize("kind", list(KINDS))
def test_tiny_run_uses_the_generated_component(generated, kind):
    pkg, root = generated[kind], _root(generated)
    name = f"kit_{kind}"
    proc = _run(["-m", "molgdl", "run", "examples/tiny.yaml", "--set", "trainer.num_threads=1",
                 "--set", f"data.cache_dir={root / 'cache'}", "--set", "data.progress=false"], pkg, root, timeout=400)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    run_dir = pkg / "runs" / f"{name}-tiny"
    metrics = json.loads((run_dir / "seed_0" / "metrics.json").read_text())
    assert math.isfinite(metrics["metrics"]["test"]["overall"]["rmse"])
    assert json.loads((run_dir / "status.json").read_text())["state"] == "completed"
    resolved = yaml.safe_load((run_dir / "config.yaml").read_text())
    section = {"model": "model", "featurizer": "featurizer", "readout": "readout", "optimizer": "optimizer"}
    if kind in section:
        assert resolved[section[kind]]["name"] == name
    plugins = {p["name"]: p for p in json.loads((run_dir / "versions.json").read_text())["plugins"]}
    assert plugins[name] == {"name": name, "distribution": f"molgdl-kit-{kind}", "version": "0.1.0",
                             "status": "loaded"}
    if kind == "analysis":
        result = json.loads((run_dir / "summary.json").read_text())["analyses"][name]
        (target,) = result["targets"]
        assert result["k"] == 5 and result["targets"][target]["n"] >= 50
        assert -1.0 <= result["targets"][target]["pearson_r"] <= 1.0
        rows = (run_dir / "analyses" / name / "neighbours_seed_0.csv").read_text().splitlines()
        assert rows[0].startswith("row,id,smiles,target,value,neighbour_mean") and len(rows) > 50


def test_disabling_a_generated_plugin_by_every_route(generated, tmp_path):
    """Environment variable, command-line flag and config section each remove the plugin's component."""
    pkg, root = generated["model"], _root(generated)
    cfg = yaml.safe_load((pkg / "examples" / "tiny.yaml").read_text())
    (tmp_path / "on.yaml").write_text(yaml.safe_dump(cfg))
    (tmp_path / "off.yaml").write_text(yaml.safe_dump({**cfg, "plugins": {"disable": ["kit_model"]}}))
    unknown = "model.name: unknown model 'kit_model'"

    proc = _run(["-m", "molgdl", "validate", "on.yaml"], tmp_path, root)
    assert proc.returncode == 0, proc.stderr
    proc = _run(["-m", "molgdl", "validate", "on.yaml"], tmp_path, root, MOLGDL_DISABLE_PLUGINS="kit_model")
    assert proc.returncode == 2 and unknown in " ".join(proc.stderr.split())
    proc = _run(["-m", "molgdl", "validate", "on.yaml", "--disable-plugin", "molgdl-kit-model"], tmp_path, root)
    assert proc.returncode == 2 and unknown in " ".join(proc.stderr.split())
    proc = _run(["-m", "molgdl", "validate", "off.yaml"], tmp_path, root)
    assert proc.returncode == 2 and unknown in " ".join(proc.stderr.split())
    proc = _run(["-m", "molgdl", "plugins", "--json"], tmp_path, root, MOLGDL_DISABLE_PLUGINS="kit_model")
    status = {r["name"]: r["status"] for r in json.loads(proc.stdout)}
    assert status["kit_model"] == "disabled" and status["kit_readout"] == "loaded"


def test_core_wheel_ships_the_templates(tmp_path):
    """``pip install molgdl`` (not editable) must carry the templates as package data."""
    src = tmp_path / "molgdl-src"
    (src / "src").mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "src" / "molgdl", src / "src" / "molgdl",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "--disable-pip-version-check", "--quiet", "-w", str(tmp_path / "wheel"), str(src)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = (tmp_path / "wheel").glob("molgdl-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = REPO / "src" / "molgdl" / "scaffold" / "templates"
    expected = {f"molgdl/scaffold/templates/{p.relative_to(templates)}" for p in templates.rglob("*.tmpl")}
    assert len(expected) >= 35 and expected <= names, sorted(expected - names)
