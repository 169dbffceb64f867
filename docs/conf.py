"""Sphinx configuration of the skpapers documentation.

``make docs`` builds it without running the gallery (``-D plot_gallery=0``);
``make docs-full`` also runs every ``examples/plot_*.py``. Nothing here needs the
network: no intersphinx, and the benchmarks page is rendered from stored JSON.
"""

import importlib
import pkgutil
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))
sys.path.insert(1, str(DOCS.parent))  # the benchmarks package (table columns)

from gen_benchmarks import write_benchmark_tables  # noqa: E402
from gen_experiments import write_experiment_table  # noqa: E402

import skpapers  # noqa: E402

project = "skpapers"
author = "the skpapers developers"
copyright = "2026, the skpapers developers"
release = getattr(skpapers, "__version__", "unknown")
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "_benchmarks",
    "benchmark_results",
    "CONTRIBUTING.md",
    "Thumbs.db",
    ".DS_Store",
]

# API pages: one per public class or function, generated into docs/generated/.
autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False


def _skip_scikit_learn_members(app, what, name, obj, skip, options):
    """Document a class's own and inherited skpapers members, not scikit-learn's.

    Methods inherited from scikit-learn's base classes and mixins (``get_params``,
    ``score``, the generated ``set_*_request`` ...) are documented by
    scikit-learn, with links into its own user guide.
    """
    if re.fullmatch(r"set_\w+_request", name):
        return True
    function = getattr(obj, "fget", obj)
    if (getattr(function, "__module__", None) or "").startswith("sklearn."):
        return True
    return None


def _subpackage_of_names():
    """``{name: sub-package}`` for every name in a sub-package's ``__all__``."""
    found = {}
    for info in pkgutil.iter_modules(skpapers.__path__):
        if info.ispkg and not info.name.startswith("_"):
            module = importlib.import_module(f"skpapers.{info.name}")
            for name in getattr(module, "__all__", []):
                found.setdefault(name, module.__name__)
    return found


_PUBLIC_MODULE = _subpackage_of_names()


def _resolve_reexports(app, env, node, contnode):
    """Resolve ``skpapers.NAME`` to the sub-package where ``NAME`` is documented.

    The examples and docstrings use the top-level re-exports; the API pages
    document each name once, in its sub-package.
    """
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith("skpapers."):
        return None
    name = target.removeprefix("skpapers.")
    if name not in _PUBLIC_MODULE:
        return None
    return env.domains["py"].resolve_xref(
        env,
        node["refdoc"],
        app.builder,
        node["reftype"],
        f"{_PUBLIC_MODULE[name]}.{name}",
        node,
        contnode,
    )


sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skpapers",),
    "backreferences_dir": "generated/backreferences",
    "remove_config_comments": True,
}

html_theme = "pydata_sphinx_theme"
html_title = f"skpapers {release}"
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 6,
}
html_show_sourcelink = False


def setup(app):
    """Render the benchmark and experiment tables, and filter autodoc members."""
    write_benchmark_tables(DOCS)
    write_experiment_table(DOCS)
    app.connect("autodoc-skip-member", _skip_scikit_learn_members)
    app.connect("missing-reference", _resolve_reexports)
