"""Sphinx configuration of the molgdl documentation site (``python -m sphinx -W -b html docs site``).

Markdown pages are read with MyST; the API reference comes from docstrings (autodoc, napoleon); the config
reference is generated from the pydantic schema and the notebook gallery from ``notebooks/*.ipynb``
(``_ext/molgdl_docs.py``). Nothing is downloaded and no notebook is executed.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

project = "molgdl"
author = "molgdl maintainers"
copyright = "molgdl maintainers"

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "molgdl_docs"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "README.md"]
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "alabaster"
html_title = "molgdl"
html_static_path: list[str] = []
