"""HTML and PDF handouts (scripts/build_handouts.py), on a small notebook made here.

The instructor HTML has the figure and the solution folded in <details>; the
student HTML has the figure and no solution; both work offline.  When Chromium
is installed, both PDFs are printed, have at least one page, and only the
instructor's contains the solution.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess

import nbformat
import pytest

import build_handouts
from asynclab import timeline
from coursemeta import NOTEBOOKS

SOLUTION_TEXT = "answer_from_the_solution_cell = 42"
EMBEDDED_FIGURE = re.compile(r'<img [^>]*src="data:image/png;base64,')


def figure_png() -> str:
    """A real timeline figure, as a notebook stores it (base64 PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rec = timeline.Recording("two lanes")
    rec.add("fetch(1)", 0.0, 0.1, "wait")
    rec.add("fetch(2)", 0.0, 0.1, "wait")
    rec.finish(0.1)
    fig = timeline.draw(rec)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=40)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture(scope="module")
def notebook_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("handout-src")
    nb = nbformat.v4.new_notebook()
    figure = nbformat.v4.new_code_cell("show(a, b)", execution_count=2)
    figure.outputs = [nbformat.from_dict({"output_type": "display_data", "metadata": {},
                                          "data": {"image/png": figure_png(), "text/plain": "<Figure>"}})]
    learner = nbformat.v4.new_code_cell("answer = ...\ncheck.equal(answer, 42)", execution_count=3)
    learner.outputs = [nbformat.v4.new_output("stream", text="❌ Not yet: `answer` is still `...`.\n")]
    solution = nbformat.v4.new_code_cell(f"{SOLUTION_TEXT}\ncheck.equal(answer, 42)", execution_count=4)
    solution.metadata.update({"tags": ["solution"], "jupyter": {"source_hidden": True}})
    solution.outputs = [nbformat.v4.new_output("stream", text="✅ answer is 42. Correct!\n")]
    long_line = nbformat.v4.new_code_cell("x = " + " + ".join(f"value_{i}" for i in range(40)))
    nb.cells = [
        nbformat.v4.new_markdown_cell("[Contents](contents.ipynb) | [01 Next →](01_next.ipynb)"),
        nbformat.v4.new_markdown_cell("# 99 · Handout sample"),
        figure,
        nbformat.v4.new_markdown_cell("### Exercise 1: the answer"),
        learner,
        nbformat.v4.new_markdown_cell("<details><summary>Hint</summary>Six times seven.</details>"),
        nbformat.v4.new_markdown_cell("#### Solution"),
        solution,
        long_line,
    ]
    path = folder / "99_sample.ipynb"
    nbformat.write(nb, path)
    return path


def html_of(path, edition, printing=False):
    nb = dict(build_handouts.editions_of(path))[edition]
    return build_handouts.render_html(nb, path.stem, edition, printing=printing, source_dir=path.parent)


def test_instructor_html_has_figure_and_folded_solution(notebook_file):
    html = html_of(notebook_file, "instructor")
    assert EMBEDDED_FIGURE.search(html), "the figure must be embedded"
    folded = re.search(r'<details class="solution">\s*<summary>Solution \(click to show\)</summary>(.*?)</details>',
                       html, re.S)
    assert folded, "the solution cell must be folded in <details>"
    assert "answer_from_the_solution_cell" in folded.group(1)
    assert "instructor edition" in html


def test_student_html_has_figure_and_no_solution(notebook_file):
    html = html_of(notebook_file, "student")
    assert EMBEDDED_FIGURE.search(html)
    assert "answer_from_the_solution_cell" not in html
    assert "✅" not in html
    assert 'class="solution"' not in html
    assert "Six times seven" in html, "hints stay"
    assert "student edition" in html


def test_html_is_offline_and_links_to_html(notebook_file):
    html = html_of(notebook_file, "student")
    assert not re.search(r'<script[^>]+src="https?:', html), "no script may come from the web"
    assert 'href="contents.html"' in html and 'href="01_next.html"' in html
    assert ".ipynb\"" not in html


def test_printable_page_unfolds_everything(notebook_file):
    html = html_of(notebook_file, "instructor", printing=True)
    assert "<details" in html
    assert not re.search(r"<details(?![^>]*\bopen\b)", html), "paper cannot be clicked: all <details> open"
    assert 'href="contents.pdf"' in html
    assert "white-space: pre-wrap" in html, "print CSS wraps long code lines"


@pytest.mark.skipif(build_handouts.find_chromium() is None,
                    reason="no chromium on PATH (apt-get install chromium) — PDF handouts not tested")
def test_pdfs_are_printed(notebook_file, tmp_path):
    written = build_handouts.build([notebook_file], tmp_path, pdf=True, quiet=True)
    for edition in ("instructor", "student"):
        [pdf] = written[edition, "pdf"]
        assert pdf.read_bytes().startswith(b"%PDF")
        assert build_handouts.pdf_pages(pdf) >= 1
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
            assert ("answer_from_the_solution_cell" in text) == (edition == "instructor"), edition
            assert "value_39" in text, "the end of a long code line must be printed"


def test_a_real_notebook_renders(tmp_path):
    """The first course notebook that exists, HTML only (fast)."""
    path = next(iter(sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))), None)
    if path is None:
        pytest.skip("no course notebook written yet")
    written = build_handouts.build([path], tmp_path, pdf=False, quiet=True)
    student = written["student", "html"][0].read_text(encoding="utf-8")
    instructor = written["instructor", "html"][0].read_text(encoding="utf-8")
    nb = nbformat.read(path, as_version=4)
    if any(o.get("data", {}).get("image/png") for c in nb.cells for o in c.get("outputs", [])):
        assert EMBEDDED_FIGURE.search(instructor) and EMBEDDED_FIGURE.search(student)
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert instructor.count('<details class="solution">') == len(solutions)
    assert 'class="solution"' not in student
