"""The committed notebooks as a learner and nbval will find them.

nbval re-runs every notebook and compares outputs; these tests catch what it
cannot: cells never run, runs out of order, errors nobody marked as expected,
stale navigation, broken links, machine paths, and the house style.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

import coursemeta
import make_navigation

COURSE = coursemeta.notebooks(existing_only=True)
IDS = [nb.file for nb in COURSE]
MACHINE_PATH = re.compile(r"(/root/|/home/\w+/|/work/|/tmp/(?!ipykernel_))")


def load(nb: coursemeta.Notebook) -> nbformat.NotebookNode:
    return nbformat.read(nb.path, as_version=4)


def code_cells(notebook):
    return [c for c in notebook.cells if c.cell_type == "code" and c.source.strip()]


def tags(cell) -> set[str]:
    return set(cell.metadata.get("tags", []))


def test_every_planned_notebook_exists_and_nothing_else():
    planned = {nb.file for nb in coursemeta.notebooks(existing_only=False)}
    missing = sorted(f for f in planned if not (coursemeta.NOTEBOOKS / f).exists())
    assert not missing, f"notebooks in course.toml that do not exist yet: {missing}"
    present = {p.name for p in coursemeta.NOTEBOOKS.glob("*.ipynb")} - {coursemeta.CONTENTS}
    assert present <= planned, f"notebooks not listed in course.toml: {sorted(present - planned)}"


@pytest.mark.parametrize("nb", COURSE, ids=IDS)
def test_valid_and_uses_the_course_kernel(nb):
    notebook = load(nb)
    nbformat.validate(notebook)
    assert notebook.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("nb", COURSE, ids=IDS)
def test_every_code_cell_ran_once_in_order(nb):
    counts = [c.execution_count for c in code_cells(load(nb))]
    assert None not in counts, f"{nb.file}: cells never run: {[i for i, c in enumerate(counts) if c is None]}"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{nb.file}: execution counts {counts} are not 1..n: refresh with `python3 scripts/course.py refresh`")


@pytest.mark.parametrize("nb", COURSE, ids=IDS)
def test_errors_only_where_expected_and_no_machine_paths(nb):
    for i, cell in enumerate(load(nb).cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                assert "raises-exception" in tags(cell), f"{nb.file} cell {i}: unexpected {out.ename}"
            text = str(out.get("text", "")) + str(out.get("data", {}).get("text/plain", ""))
            text += " ".join(out.get("traceback", []))
            m = MACHINE_PATH.search(text)
            assert not m, f"{nb.file} cell {i}: output shows a path of this machine ({m.group(0)})"


@pytest.mark.parametrize("nb", COURSE, ids=IDS)
def test_house_style(nb):
    notebook = load(nb)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert re.search(r"objectives", markdown, re.I), f"{nb.file}: no objectives"
    assert re.search(r"\b\d+\s*min", markdown), f"{nb.file}: no time estimate"
    assert re.search(r"^#+ .*summary", markdown, re.I | re.M), f"{nb.file}: no summary heading"
    assert re.search(r"recall|check your understanding", markdown, re.I), f"{nb.file}: no recall questions"
    exercises = re.findall(r"^#+ *Exercise", markdown, re.M)
    assert len(exercises) >= 2, f"{nb.file}: {len(exercises)} exercise(s), want at least 2"
    solutions = [c for c in notebook.cells if "solution" in tags(c)]
    assert len(solutions) >= 2, f"{nb.file}: solution cells must be tagged `solution`"
    for cell in solutions:
        hidden = cell.metadata.get("jupyter", {})
        assert hidden.get("source_hidden") is True, f"{nb.file}: solution not collapsed"
        assert hidden.get("outputs_hidden") is True, f"{nb.file}: a solution's ✅ output shows under the exercise"


@pytest.mark.parametrize("nb", COURSE, ids=IDS)
def test_the_title_carries_the_notebooks_number(nb):
    titles = [c.source.splitlines()[0] for c in load(nb).cells
              if c.cell_type == "markdown" and c.source.startswith("# ")]
    assert titles, f"{nb.file}: no '# NN · Title' heading"
    assert titles[0].startswith(f"# {nb.number:02d} · "), f"{nb.file}: the title reads {titles[0]!r}"


@pytest.mark.parametrize("nb", COURSE, ids=IDS)
def test_navigation_cells_are_first_and_last_and_fresh(nb):
    notebook = load(nb)
    assert "nav-top" in tags(notebook.cells[0]) and "nav-bottom" in tags(notebook.cells[-1])
    assert make_navigation.stale([nb.path.resolve()]) == [], "run: python3 scripts/course.py nav"


@pytest.mark.parametrize("nb", COURSE, ids=IDS)
def test_links_to_notebooks_point_at_files_that_exist(nb):
    for cell in load(nb).cells:
        if cell.cell_type != "markdown":
            continue
        for target in re.findall(r"\]\(([^)#\s]+\.ipynb)", cell.source):
            assert (nb.path.parent / target).exists(), f"{nb.file}: link to missing {target}"


def test_contents_and_readme_are_fresh():
    targets = [coursemeta.NOTEBOOKS / coursemeta.CONTENTS, make_navigation.README]
    stale = [p for p in make_navigation.stale() if p in targets]
    assert not stale, "run: python3 scripts/course.py nav"
