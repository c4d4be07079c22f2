"""Execute every notebook in notebooks/ (stored without outputs) with nbclient in a temporary working directory,
at the small size each selects with ``MOLGDL_NOTEBOOK_SMALL=1``; a cell that raises fails the test with that
cell's source and error. Notebooks use the Python API only: no subprocess, no shell escape, no reading of run
folder files by path (checked on the source)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

#: What a notebook must not do: start processes or a shell, or read the files of a run folder by path (the API
#: gives the same as DataFrames, dicts and figures: Run.metrics, Run.predictions, Run.analyses, Run.figure, ...).
FORBIDDEN = {
    "a subprocess": r"\bsubprocess\b|\bos\.system\b|\bos\.popen\b",
    "a shell escape": r"^\s*!|^\s*%%(bash|sh|script)",
    "a run folder file": r"summary\.json|predictions\.csv|metrics\.json|status\.json|config\.yaml|run\.log|"
                         r"seed_\d|['\"]analyses['\"]\s*/|/\s*['\"]analyses['\"]|imread|Image\(filename",
}


def _code(path: Path) -> list[str]:
    import nbformat

    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_there_are_notebooks():
    names = {p.stem for p in NOTEBOOKS}
    assert {"learned_vs_descriptors_esol", "ub_covariance_scenario1", "learned_features_three_models",
            "bring_your_own_csv", "plugin_in_a_notebook", "attributions", "uncertainty"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_uses_the_python_api_only(path):
    problems = [f"{what}: {line.strip()!r}" for source in _code(path) for line in source.splitlines()
                for what, pattern in FORBIDDEN.items() if re.search(pattern, line)]
    assert problems == []
    text = "\n".join(_code(path))
    assert "MOLGDL_NOTEBOOK_SMALL" in text or "molgdl" not in text.replace("molgdl_", ""), \
        f"{path.name}: no small size for the test suite (read MOLGDL_NOTEBOOK_SMALL in a parameter cell)"


def test_the_checks_catch_what_they_are_for():
    bad = ["import subprocess", "!molgdl run c.yaml", "json.loads((run / 'summary.json').read_text())",
           "out = run_dir / 'analyses' / 'x'", "plt.imread(out / 'parity.png')"]
    for line in bad:
        assert any(re.search(p, line) for p in FORBIDDEN.values()), line
    for line in ["run.metrics", "pd.read_csv(CSV_PATH)", "result.table('top_descriptors')", "run.analyses['x']"]:
        assert not any(re.search(p, line) for p in FORBIDDEN.values()), line


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{path.name} is stored with outputs"
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(path, work / path.name)
    monkeypatch.setenv("MOLGDL_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("MOLGDL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    client = NotebookClient(nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(work)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name}: a cell raised\n{exc}", pytrace=False)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("name") == "stderr" and "ipywidgets" in o.get("text", "")]
    if path.stem == "bring_your_own_csv":  # featurization and training progress bars render as Jupyter widgets
        assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
