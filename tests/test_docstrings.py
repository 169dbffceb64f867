"""Every public class and function has a numpydoc docstring with a runnable example.

The public API is what a user can reach without an underscore: the ``__all__`` of
``skpapers`` and of each public sub-package, and the names defined in public
modules without ``__all__`` (``skpapers.utils.estimator_checks``). The examples
themselves run as doctests (``--doctest-modules``); here we check that each one
exists, that numpydoc finds no error of the kinds listed in ``CHECKED_CODES``, and
that ``docs/api.rst`` lists every public name.
"""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import skpapers

# numpydoc.validate codes that every public docstring satisfies: layout (GL),
# summary (SS), parameters that exist, in order, with types (PR), returns (RT),
# yields (YD) and examples (EX). Left out: ES01 (extended summary), SA01/SA03/SA04
# (See Also), RT02 (``name : type`` return lines, our convention), PR07-PR09 and
# RT03 (descriptions of self-explanatory parameters), SS05 (summary verb form).
CHECKED_CODES = {
    "GL01", "GL02", "GL03", "GL05", "GL06", "GL07", "GL08", "GL09", "GL10",
    "SS01", "SS02", "SS03", "SS04", "SS06",
    "PR01", "PR02", "PR03", "PR04", "PR05", "PR06", "PR10",
    "RT01", "RT04", "RT05", "YD01", "SA02", "EX01",
}  # fmt: skip

# Docstrings that do not document every parameter (PR01) or have no Returns
# section (RT01) yet; new code must not be added here.
KNOWN_GAPS = {
    "skpapers.model_selection.GenerativeDiscriminativeComparison": {"PR01"},
    "skpapers.sampling.gram_deviation": {"PR01", "RT01"},
    "skpapers.sampling.hyperbolic_cross_indices": {"PR01", "RT01"},
    "skpapers.sampling.tensor_indices": {"PR01", "RT01"},
    "skpapers.sampling.total_degree_indices": {"PR01", "RT01"},
    "skpapers.unfolding.lipschitz_constant": {"PR01", "RT01"},
    "skpapers.unfolding.nmse": {"PR01", "RT01"},
    "skpapers.utils.keep_state_on_error": {"PR01", "RT01"},
    "skpapers.utils.to_numpy": {"PR01", "RT01"},
}

API_RST = Path(__file__).resolve().parents[1] / "docs" / "api.rst"


def _public_modules():
    """skpapers and its modules with no underscore in their dotted name.

    The experiment modules are plug-ins found by the registry, not API.
    """
    modules = [skpapers]
    for info in pkgutil.walk_packages(skpapers.__path__, "skpapers."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts):
            continue
        if info.name.startswith("skpapers.experiments."):
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def _public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name
            for name, obj in vars(module).items()
            if not name.startswith("_")
            and getattr(obj, "__module__", None) == module.__name__
        ]
    return names


def _public_objects():
    """``{dotted public path: object}`` for every public class and function.

    Each object appears once, under its sub-package rather than ``skpapers``.
    """
    found = {}
    for module in sorted(_public_modules(), key=lambda m: m.__name__ == "skpapers"):
        for name in _public_names(module):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if any(other is obj for other in found.values()):
                continue
            found[f"{module.__name__}.{name}"] = obj
    return found


PUBLIC = _public_objects()


def test_the_walk_finds_the_api():
    assert "skpapers.linear_model.KroneckerSBL" in PUBLIC
    assert "skpapers.utils.estimator_checks.check_pickle_roundtrip" in PUBLIC
    assert "skpapers.utils.estimator_checks.get_tags" not in PUBLIC  # scikit-learn's
    assert not any(path.endswith(".run") for path in PUBLIC)  # experiment plug-ins
    assert len(PUBLIC) > 50


@pytest.mark.parametrize("path", sorted(PUBLIC))
def test_docstring_has_a_runnable_example(path):
    doc = inspect.getdoc(PUBLIC[path]) or ""
    match = re.search(
        r"^Examples\n-{8,}\n(.*?)(?=^\S[^\n]*\n-{3,}\n|\Z)",
        doc,
        flags=re.MULTILINE | re.DOTALL,
    )
    assert match, f"{path}: the docstring has no Examples section"
    assert re.search(r"^>>> ", match.group(1), flags=re.MULTILINE), (
        f"{path}: the Examples section has no '>>>' line to run as a doctest"
    )


@pytest.mark.parametrize("path", sorted(PUBLIC))
def test_numpydoc_validation(path):
    validate = pytest.importorskip("numpydoc.validate").validate
    codes = CHECKED_CODES - KNOWN_GAPS.get(path, set())
    errors = [
        f"{code}: {message}"
        for code, message in validate(path)["errors"]
        if code in codes
    ]
    assert not errors, f"{path}:\n" + "\n".join(errors)


def _documented_in_api_rst(text):
    """``{(module, name)}`` listed by autosummary or ``.. data::`` in api.rst."""
    documented, module, in_autosummary = set(), None, False
    for line in text.splitlines():
        if line.startswith(".. currentmodule::"):
            module = line.split("::")[1].strip()
        elif line.startswith(".. data::"):
            documented.add((module, line.split("::")[1].strip()))
        elif line.startswith(".. autosummary::"):
            in_autosummary = True
        elif line.strip() and not line.startswith(" "):
            in_autosummary = False
        elif in_autosummary and re.fullmatch(r" +[A-Za-z_]\w*", line):
            documented.add((module, line.strip()))
    return documented


@pytest.mark.skipif(not API_RST.exists(), reason="no docs/ beside the package")
def test_api_reference_lists_every_public_name():
    documented = _documented_in_api_rst(API_RST.read_text())
    missing = []
    for module in _public_modules():
        if module is skpapers:
            continue
        for name in _public_names(module):
            if (module.__name__, name) not in documented:
                missing.append(f"{module.__name__}.{name}")
    assert not missing, f"add these to docs/api.rst: {missing}"


def test_top_level_names_come_from_a_documented_subpackage():
    subpackage_names = {
        name
        for module in _public_modules()
        if module is not skpapers
        for name in _public_names(module)
    }
    orphans = sorted(set(skpapers.__all__) - subpackage_names)
    assert not orphans, (
        f"{orphans} are exported by skpapers but by none of its sub-packages, so "
        "docs/api.rst does not document them"
    )
