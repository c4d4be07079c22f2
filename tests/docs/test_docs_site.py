"""The documentation site (Sphinx + MyST, docs/conf.py) builds with warnings as errors, offline, and holds the
user guide, the generated config and components references, the API reference and the notebook gallery."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-E", "-b", "html",
                           str(ROOT / "docs"), str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    assert "WARNING" not in proc.stderr, proc.stderr[-6000:]
    return out


def _text(path: Path) -> str:
    """The page's text: tags removed, entities decoded."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def test_user_guide_and_plugin_guide_pages_are_built(site):
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert (site / f"{page.stem}.html").is_file(), page.name  # every docs/*.md is in the site (and a toctree)


def test_config_reference_is_generated_from_the_schema(site):
    from molgdl.config.schema import RunConfig, TrainerSection

    text = _text(site / "_generated" / "config.html")
    for key in RunConfig.model_fields:
        assert key in text
    for key in TrainerSection.model_fields:
        assert f"trainer.{key}" in text
    assert TrainerSection.model_fields["max_time_minutes"].description.split(";")[0] in text


def test_components_reference_lists_installed_components(site):
    text = _text(site / "_generated" / "components.html")
    for name in ("dmpnn", "graph2d", "rdkit2d", "learned_vs_descriptors", "dataframe"):
        assert name in text


def test_api_reference_shows_every_public_function_with_its_example(site):
    import molgdl.api

    text = _text(site / "reference" / "api.html")
    for name in molgdl.api.__all__:
        assert f"molgdl.api.{name}" in text, name
    assert ">>> esol = molgdl.run(config" in text


def test_gallery_renders_every_notebook(site):
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        page = site / "_generated" / "gallery" / f"{nb.stem}.html"
        assert page.is_file(), nb.name
        assert "import" in _text(page)  # code cells are shown
    assert "Notebook gallery" in _text(site / "index.html")
