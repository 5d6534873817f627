"""The student edition (scripts/build_student.py) runs, and gives no answer away.

The first tests check the transformation on a small notebook made here.  Then,
for every notebook of course.toml that exists, one test builds the student
edition into a temporary folder, runs that notebook top to bottom on a fresh
kernel, and checks that

* no cell fails, except cells tagged ``raises-exception``: a later cell that
  needed a name defined only in a solution cell shows up here;
* every exercise's check printed ``❌ Not yet`` and none printed ``✅``: the
  blanks and planted bugs are still there once the solutions are gone.

Each notebook's test is its own class so that ``--dist loadscope`` (used by
``python3 scripts/course.py test``) spreads them over the xdist workers.
"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

import build_student
from coursemeta import notebooks
from build_student import exercise_sections, student_notebook

NOT_YET = "❌ Not yet"
PASS = "✅"
CELL_TIMEOUT = 180  # seconds, as for nbval


# --- the transformation, on a notebook made here ------------------------------------

def _code(source, outputs=(), tags=(), count=None):
    cell = nbformat.v4.new_code_cell(source, execution_count=count)
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _md(source, tags=()):
    cell = nbformat.v4.new_markdown_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _stream(text):
    return {"output_type": "stream", "name": "stdout", "text": text}


FIGURE = {"output_type": "display_data", "metadata": {},
          "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}}


def sample_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _md("[Contents](contents.ipynb)", tags=["nav-top"]),
        _md("# 99 · Sample\n\nObjectives..."),
        _code("from asynclab import check", count=1),
        _code("show(a, b)", outputs=[_stream("sequential: 0.30 s\n"), FIGURE], count=2),
        _code("check.equal(2, 2)  # a demonstration", outputs=[_stream("✅ your answer is 2. Correct!\n")], count=3),
        _md("### Exercise 1: fill in the blank\n\nMake `x` 3."),
        _code("x = ...\ncheck.equal(x, 3)", outputs=[_stream("❌ Not yet: `x` is still `...`.\n")], count=4),
        _md("<details><summary>Hint</summary>Three.</details>\n\n#### Solution"),
        _code("x = 3\ncheck.equal(x, 3)", outputs=[_stream("✅ x is 3. Correct!\n")], tags=["solution"], count=5),
        _md("## Exercise 2: a bug hunt"),
        _code("print('setup')", outputs=[_stream("setup\n")], count=6),
        _code("y = 1\ncheck.equal(y, 2)", outputs=[_stream("❌ Not yet: y is 1, expected 2.\n")], count=7),
        _md("<details><summary>Hint</summary>Two.</details>"),
        _md("#### Solution\n\nThe trick is to write 2."),
        _code("y = 2\ncheck.equal(y, 2)", outputs=[_stream("✅\n")], tags=["solution"], count=8),
        _md("Why it works", tags=["solution"]),
        _md("## Summary\n\n```python\n# Exercise in a code block is no heading\n```"),
        _code("print('after')", outputs=[{"output_type": "execute_result", "execution_count": 9,
                                          "metadata": {}, "data": {"text/plain": "'after'"}}], count=9),
        _md("[Contents](contents.ipynb)", tags=["nav-bottom"]),
    ]
    return nb


def test_solutions_and_their_headings_are_removed():
    original = sample_notebook()
    nb = student_notebook(original)
    sources = [c.source for c in nb.cells]
    assert not any("solution" in c.metadata.get("tags", []) for c in nb.cells)
    assert "x = 3\ncheck.equal(x, 3)" not in sources
    assert "<details><summary>Hint</summary>Three.</details>" in sources  # hint kept, heading gone
    assert not any(s.startswith("#### Solution") for s in sources)
    assert "Why it works" not in sources
    assert len(original.cells) == 19, "the instructor's notebook must not change"


def test_exercise_outputs_cleared_other_outputs_kept():
    nb = student_notebook(sample_notebook())
    by_source = {c.source: c for c in nb.cells}
    assert by_source["x = ...\ncheck.equal(x, 3)"].outputs == []
    assert by_source["print('setup')"].outputs == []
    assert by_source["y = 1\ncheck.equal(y, 2)"].outputs == []
    assert by_source["show(a, b)"].outputs[1]["data"]["image/png"], "figures outside exercises stay"
    assert by_source["check.equal(2, 2)  # a demonstration"].outputs == [], "a passing check is never shown"
    assert by_source["print('after')"].outputs[0]["execution_count"] is None
    assert all(c.execution_count is None for c in nb.cells if c.cell_type == "code")
    nbformat.validate(nb)


def test_exercise_sections_end_at_the_next_heading():
    nb = sample_notebook()
    sections = exercise_sections(nb)
    assert [[nb.cells[i].source[:12] for i in s] for s in sections] == [
        ["### Exercise", "x = ...\nchec", "<details><su"],
        ["## Exercise ", "print('setup", "y = 1\ncheck.", "<details><su"],
    ]


def test_build_is_self_contained(tmp_path):
    source = tmp_path / "notebooks"
    (source / "asynclab").mkdir(parents=True)
    (source / "asynclab" / "__init__.py").write_text("")
    (source / ".ipynb_checkpoints").mkdir()
    nbformat.write(sample_notebook(), source / "99_sample.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), source / "contents.ipynb")
    out = tmp_path / "student"
    written = build_student.build(out, source, quiet=True)
    assert sorted(p.name for p in written) == ["99_sample.ipynb", "contents.ipynb"]
    assert (out / "asynclab" / "__init__.py").exists()
    assert not (out / ".ipynb_checkpoints").exists()
    build_student.build(out, source, quiet=True)  # a second build replaces the first
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("mine")
    with pytest.raises(SystemExit):
        build_student.build(tmp_path / "other", source, quiet=True)
    assert (tmp_path / "other" / "keep.txt").exists()


# --- every real notebook, run as a student would -----------------------------------

@pytest.fixture(scope="session")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    build_student.build(out, quiet=True)
    return out


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    return "".join(parts)


def run_as_student(path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def problems(nb) -> list[str]:
    """What is wrong with an executed student notebook, in words."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "raises-exception" in cell.metadata.get("tags", []):
            continue
        for out in cell.outputs:
            if out.output_type == "error":
                found.append(f"cell {index} failed with {out.ename}: {out.evalue}\n"
                             f"--- its source:\n{cell.source}")
    for number, section in enumerate(exercise_sections(nb), 1):
        heading = nb.cells[section[0]].source.strip().splitlines()[0]
        code = [nb.cells[i] for i in section if nb.cells[i].cell_type == "code"]
        if not code:
            continue
        text = "".join(_text(c) for c in code)
        if PASS in text:
            found.append(f"{heading!r}: a check passed (✅) although the solution was removed:\n{text}")
        if NOT_YET not in text:
            found.append(f"{heading!r}: no check printed '{NOT_YET}'; its cells printed:\n{text or '(nothing)'}")
    return found


class StudentNotebook:
    notebook = None  # set in each subclass

    def test_runs_with_every_check_not_yet(self, student_dir):
        nb_info = self.notebook
        if not nb_info.path.exists():
            pytest.skip(f"{nb_info.file} is not written yet (listed in course.toml)")
        path = student_dir / nb_info.file
        nb = run_as_student(path)
        found = problems(nb)
        assert not found, f"student edition of {nb_info.file}:\n\n" + "\n\n".join(found)
        assert exercise_sections(nb), f"{nb_info.file} has no '### Exercise' heading"


for _nb in notebooks(existing_only=False):
    _name = f"TestStudent_{_nb.file.removesuffix('.ipynb')}"
    globals()[_name] = type(_name, (StudentNotebook,), {"notebook": _nb})
del _nb, _name
