"""Every public function, class and method of ``molgdl.api`` has a docstring example, and every example runs
(the equivalent of ``pytest --doctest-modules`` on molgdl.api, with ``trained`` provided: a tiny finished run)."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import pytest

import molgdl
import molgdl.api

MODULES = sorted(m.name for m in pkgutil.iter_modules(molgdl.api.__path__, "molgdl.api."))


def _public_objects():
    """(qualified name, object) of everything in ``molgdl.api.__all__`` and the public methods of its classes."""
    for name in molgdl.api.__all__:
        obj = getattr(molgdl.api, name)
        yield f"molgdl.api.{name}", obj
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and inspect.isfunction(member):
                    yield f"molgdl.api.{name}.{attr}", member


def test_every_public_api_function_has_a_docstring_example():
    missing = [name for name, obj in _public_objects() if ">>>" not in (inspect.getdoc(obj) or "")]
    assert missing == []
    assert len(list(_public_objects())) >= 16


def test_the_top_level_reexports_the_api():
    for name in molgdl.api.__all__:
        if name == "run":  # molgdl.run is the pipeline package, callable as molgdl.api.run
            continue
        assert getattr(molgdl, name) is getattr(molgdl.api, name)


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module, trained, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that train write runs/ here
    monkeypatch.setenv("MOLGDL_CACHE_DIR", str(tmp_path / "cache"))
    mod = importlib.import_module(module)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(mod, module, extraglobs={"trained": trained}) if t.examples]
    report: list[str] = []
    for test in tests:
        runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)
    if module in ("molgdl.api.runs", "molgdl.api.molecules", "molgdl.api.catalog"):
        assert result.attempted >= 5
