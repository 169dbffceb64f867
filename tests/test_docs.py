"""The documentation site: its generated parts, and (in ``make docs``) the build.

The fast tests run with the suite. The build test runs the Sphinx build with
every gallery example executed and warnings as errors; it takes about a minute,
so it runs where CI builds the docs anyway: ``make docs`` sets
``SKPAPERS_DOCS_BUILD`` to the output folder and runs this file.
"""

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
sys.path.insert(0, str(DOCS))

import gen_benchmarks  # noqa: E402


def _code_blocks(text, language):
    """The ``.. code-block:: LANGUAGE`` bodies of an RST text, dedented."""
    pattern = rf"\.\. code-block:: {language}\n\n((?:   .*\n|\n)+)"
    return [
        "\n".join(line[3:] for line in body.splitlines()).strip()
        for body in re.findall(pattern, text)
    ]


def test_quickstart_code_prints_what_the_page_says():
    page = (DOCS / "quickstart.rst").read_text()
    (code,) = _code_blocks(page, "python")
    (shown,) = _code_blocks(page, "text")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "quickstart.rst", "exec"), {})
    number = re.compile(r"\d+\.\d+")
    assert number.sub("#", out.getvalue().strip()) == number.sub("#", shown)
    ours, theirs = (float(number.search(s).group()) for s in (out.getvalue(), shown))
    assert abs(ours - theirs) < 2e-3


def _rows():
    common = {
        "ours": "skpapers X",
        "seconds_ours": 0.01,
        "seconds_peer": 0.1,
        "quality": "test error",
        "quality_ours": 0.1,
        "quality_peer": 0.1,
        "peak_mib_ours": 1.0,
        "peak_mib_peer": 2.0,
    }
    return [
        {**common, "benchmark": "alpha", "case": "n=10", "peer": "sklearn A"}
        | {"speedup": 10.0, "quality_ratio": 1.0},
        {**common, "benchmark": "alpha", "case": "n=20", "peer": "scipy B"}
        | {"speedup": 0.5, "quality_ratio": float("inf")},
        {**common, "benchmark": "beta", "case": "m=5", "peer": "numpy C"}
        | {"speedup": 3.0, "quality_ratio": None},
    ]


def test_benchmarks_page_puts_the_summary_figure_first(tmp_path):
    (tmp_path / "benchmark_results").mkdir()
    (tmp_path / "benchmark_results" / "results-full.json").write_text(
        json.dumps(_rows())
    )
    text = gen_benchmarks.render(tmp_path, {"alpha": "/user_guide/alpha"})

    figure = tmp_path / "_benchmarks" / "summary-full.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert text.index(".. figure:: /_benchmarks/summary-full.png") < text.index(
        ".. list-table::"
    )
    # one summary row per method, linked to its user guide where there is one
    summary = text[text.index("Summary\n") : text.index("``alpha``\n~")]
    assert summary.count("   * - ") == 1 + 2
    assert ":doc:`alpha </user_guide/alpha>`" in summary
    assert "10 to 0.5" not in summary and "0.5 to 10" in summary
    # per benchmark: the main columns, then every column folded away
    alpha = text[text.index("``alpha``\n~") : text.index("``beta``\n~")]
    main, folded = alpha.split("<details>")
    headings = [h for _, h in gen_benchmarks.MAIN_COLUMNS]
    assert "\n     - ".join(headings) in main and "seconds, ours" not in main
    assert "seconds, ours" in folded and "</details>" in folded
    # values a reader can read: no raw None, infinities spelled out
    assert "None" not in text and "| inf" not in text and "- inf" in text


def test_api_pages_point_to_the_user_guide():
    import conf

    assert conf._USER_GUIDE["KroneckerSBL"] == "/user_guide/kronecker_sbl"
    assert conf._USER_GUIDE["PoolSampler"] == "/user_guide/dpp_wls"
    lines = [
        "Read more in the module docstring of",
        "``skpapers.linear_model._sbl_solvers`` (model and notation).",
    ]
    conf._point_to_user_guide(
        None, "class", "skpapers.linear_model.KroneckerSBL", None, {}, lines
    )
    assert lines == [
        "Read more in the :doc:`user guide </user_guide/kronecker_sbl>` "
        "(model and notation)."
    ]


@pytest.fixture(scope="module")
def site():
    """The site built with the gallery executed and warnings as errors."""
    out = os.environ.get("SKPAPERS_DOCS_BUILD")
    if not out:
        pytest.skip("builds the docs: run by `make docs` (SKPAPERS_DOCS_BUILD=DIR)")
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html"]
        + [str(DOCS), out],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-5000:]
    return Path(out)


def test_build_executes_the_gallery(site):
    pages = sorted((site / "auto_examples").glob("plot_*.html"))
    assert len(pages) == len(list((DOCS.parent / "examples").glob("plot_*.py")))
    for page in pages:
        # an executed example shows its figures; an unexecuted one none
        images = re.findall(
            r'src="\.\./(_images/sphx_glr_plot_\w+?_\d+\.png)"', page.read_text()
        )
        assert images, f"{page.name} shows no figure"
        assert all((site / src).stat().st_size > 1000 for src in images)


def test_build_pages_a_reader_sees(site):
    index = (site / "index.html").read_text()
    assert "summary-full.png" in index and "arxiv.org/abs/2307.14719" in index
    benchmarks = (site / "benchmarks.html").read_text()
    assert benchmarks.index("summary-full.png") < benchmarks.index("<table")
    assert "<details>" in benchmarks
    # full-width top-level pages: no empty section navigation
    assert "Section Navigation" not in benchmarks
    # contributing rendered from Markdown, not shown as a literal block
    contributing = (site / "contributing.html").read_text()
    assert "<h2>Set-up and commands" in contributing
    assert "# Contributing" not in contributing
    # every user-guide page links its paper; API pages link their user guide
    for page in (site / "user_guide").glob("*.html"):
        if page.name != "index.html":
            assert re.search(r"arxiv\.org/abs/\d{4}\.\d{5}", page.read_text()), page
    api = (site / "generated" / "skpapers.linear_model.KroneckerSBL.html").read_text()
    assert "module docstring of" not in api
    assert "../user_guide/kronecker_sbl.html" in api
    # the API sidebar is grouped by sub-package
    assert re.search(r'class="caption"[^>]*>\s*<span[^>]*>Linear models', api)
    # no raw TeX in any page title
    for page in site.rglob("*.html"):
        for title in re.findall(r"<title>(.*?)</title>", page.read_text(), re.S):
            assert "\\" not in title, page
