"""Sphinx configuration of the skpapers documentation.

``make docs`` (what CI runs) builds it with every ``examples/plot_*.py`` executed
and fails on any warning; ``make docs-full`` does the same from scratch. Nothing
here needs the network: no intersphinx, and the benchmarks page is rendered from
stored JSON.
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
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}

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


def _user_guide_pages():
    """``{public name: user-guide page}``, from the pages' own cross-references.

    A name belongs to the user-guide page that cites it most; names no user-guide
    page cites fall back to the other pages that cite them (``reproduce``,
    ``scaling_out``), then to the user-guide page of their sub-package when
    that holds one paper. New public names are linked as soon as a page cites them.
    """
    reference = re.compile(
        r":(?:class|func|meth|attr):`~?skpapers(?:\.[a-z_]+)*\.(\w+)"
    )
    counts = {}
    pages = sorted((DOCS / "user_guide").glob("*.rst")) + [
        DOCS / "reproduce.rst",
        DOCS / "scaling_out.rst",
    ]
    for path in pages:
        if path.name == "index.rst" or not path.exists():
            continue
        page = "/" + path.relative_to(DOCS).with_suffix("").as_posix()
        # Later (non user-guide) pages only count where no user-guide page does.
        weight = 1000 if path.parent.name == "user_guide" else 1
        for name in reference.findall(path.read_text()):
            if name in _PUBLIC_MODULE:
                counts.setdefault(name, {}).setdefault(page, 0)
                counts[name][page] += weight
    pages = {name: max(by_page, key=by_page.get) for name, by_page in counts.items()}
    # A sub-package whose cited names all belong to one page (one paper's
    # package) sends its uncited helpers (``fwht``, ``legendre`` ...) there too.
    by_package = {}
    for name, page in pages.items():
        by_package.setdefault(_PUBLIC_MODULE[name], set()).add(page)
    for name, package in _PUBLIC_MODULE.items():
        found = by_package.get(package, set())
        if name not in pages and len(found) == 1:
            (page,) = found
            if page.startswith("/user_guide/"):
                pages[name] = page
    return pages


_USER_GUIDE = _user_guide_pages()
# Each benchmark is named after its method's user-guide page.
_BENCHMARK_PAGES = {
    path.stem: f"/user_guide/{path.stem}"
    for path in (DOCS / "user_guide").glob("*.rst")
    if path.stem != "index"
}
autosummary_context = {"user_guide": _USER_GUIDE}

_PRIVATE_POINTER = re.compile(
    r"Read more in the module docstring of\s+``skpapers[\w.]*``"
)


def _point_to_user_guide(app, what, name, obj, options, lines):
    """Send "read more" pointers at private modules to the user-guide page.

    Private modules are not rendered; the user-guide page holds the same model,
    notation and derivation.
    """
    page = _USER_GUIDE.get(name.rsplit(".", 1)[-1])
    text = "\n".join(lines)
    if page is None or not _PRIVATE_POINTER.search(text):
        return
    text = _PRIVATE_POINTER.sub(f"Read more in the :doc:`user guide <{page}>`", text)
    lines[:] = text.split("\n")


def _caption_api_toctrees(app, doctree):
    """Group the API pages by sub-package in the sidebar.

    Each ``autosummary`` table of ``api.rst`` makes a toctree of its generated
    pages; giving it its section's title as caption makes the sidebar list the
    pages under one heading per sub-package, instead of one flat list.
    """
    if app.env.docname != "api":
        return
    from docutils import nodes
    from sphinx import addnodes

    for toctree in doctree.findall(addnodes.toctree):
        section = toctree.parent
        while section is not None and not isinstance(section, nodes.section):
            section = section.parent
        if section is not None and not toctree.get("caption"):
            toctree["caption"] = toctree["rawcaption"] = section[0].astext()


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
    "header_links_before_dropdown": 7,
    # Same caveat as the README until a GPU run lands.
    "announcement": (
        "No GPU has run skpapers' CuPy/torch device paths yet: they are tested on "
        "the CPU (array_api_strict, torch) only."
    ),
    # Wide tables and figures: no on-page contents beside them.
    "secondary_sidebar_items": {
        "**": ["page-toc"],
        "index": [],
        "benchmarks": [],
        "quickstart": [],
        "citing": [],
        "changelog": [],
    },
}
# Top-level pages without sub-pages: no empty section-navigation sidebar.
html_sidebars = {
    page: []
    for page in (
        "index",
        "quickstart",
        "install",
        "reproduce",
        "benchmarks",
        "scaling_out",
        "contributing",
        "glossary",
        "citing",
        "changelog",
    )
}
html_show_sourcelink = False
html_static_path = ["_static"]
html_css_files = ["skpapers.css"]


def setup(app):
    """Render the benchmark and experiment tables, and filter autodoc members."""
    write_benchmark_tables(DOCS, _BENCHMARK_PAGES)
    write_experiment_table(DOCS)
    app.connect("autodoc-skip-member", _skip_scikit_learn_members)
    app.connect("autodoc-process-docstring", _point_to_user_guide)
    app.connect("missing-reference", _resolve_reexports)
    # Before the toctree collector (priority 500) copies the toctrees.
    app.connect("doctree-read", _caption_api_toctrees, priority=400)
