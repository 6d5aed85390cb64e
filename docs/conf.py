"""Sphinx configuration for augkit's documentation (build: see the README)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import augkit  # noqa: E402

project = "augkit"
copyright = "augkit contributors"
release = version = augkit.__version__

extensions = ["sphinx.ext.autodoc", "numpydoc", "myst_parser", "augkit_docs"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "examples", "README.md"]
templates_path: list[str] = []

html_theme = "furo"
html_title = f"augkit {release}"
html_static_path = ["_static"]

autodoc_member_order = "bysource"
autodoc_typehints = "none"          # the numpydoc "Parameters" sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
myst_heading_anchors = 3
