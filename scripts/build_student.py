#!/usr/bin/env python3
"""Build the student edition: every notebook without its solutions.

    python3 scripts/course.py student              # writes build/student/
    python3 scripts/course.py student --out DIR    # writes DIR instead

The instructor edition (``notebooks/``) is never changed.  In the copy:

* every cell tagged ``solution`` is removed, and so is the ``#### Solution``
  heading just before it (with anything written under that heading in the same
  markdown cell).  Tag any other cell that gives an answer away ``solution`` too;
* the outputs of every cell inside an exercise (from a heading that starts with
  "Exercise" to the next heading) are cleared, so the learner's cell shows no
  answer until they run it.  Any other output that shows a passing check (✅) is
  cleared too.  All other outputs (explanations, demonstrations, timeline
  figures) are kept: they do not depend on solutions (AUTHORING.md requires the
  notebooks to run without them), and a student reading the copy before running
  it sees what the instructor's reader sees;
* execution counts and timestamps are reset.

Hints, checks and navigation links stay.  The folder is self-contained:
``contents.ipynb`` and every other file under ``notebooks/`` (the ``asynclab``
package, data files) are copied beside the notebooks, so a teacher can hand it
out as it is (zip it, or serve it with ``jupyter lab --notebook-dir build/student``).
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import sys
from pathlib import Path

import nbformat

from coursemeta import NOTEBOOKS, ROOT

DEFAULT_OUT = ROOT / "build" / "student"
MARKER = ".student-edition"
SOLUTION_TAG = "solution"
PASS_MARK = "✅"

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_EXERCISE = re.compile(r"^(\W*)exercise\b", re.I)
_SOLUTION = re.compile(r"^(\W*)solutions?\b", re.I)


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_solution(cell) -> bool:
    return SOLUTION_TAG in tags(cell)


def headings(markdown: str) -> list[tuple[int, int, str]]:
    """(line number, level, text) of each ATX heading, ignoring fenced code."""
    out, fenced = [], False
    for i, line in enumerate(markdown.splitlines()):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        m = None if fenced else _HEADING.match(line)
        if m:
            out.append((i, len(m.group(1)), m.group(2)))
    return out


def is_exercise_heading(text: str) -> bool:
    return bool(_EXERCISE.match(text))


def is_solution_heading(text: str) -> bool:
    return bool(_SOLUTION.match(text))


def exercise_sections(nb) -> list[list[int]]:
    """Indices of the cells of each exercise, in order.

    An exercise runs from a markdown heading that starts with "Exercise" to the
    next heading of any kind (its "Solution" heading, or the next section).
    The heading cell itself is included; hint cells without a heading are too.
    """
    sections: list[list[int]] = []
    current: list[int] | None = None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            found = headings(cell.source)
            if found:
                # what the cell's text *before* its first heading belongs to
                if current is not None and found[0][0] > 0:
                    current.append(index)
                current = None
                for _, _, text in found:
                    if is_exercise_heading(text):
                        current = [index]
                        sections.append(current)
                    else:
                        current = None
                continue
        if current is not None:
            current.append(index)
    return sections


def _strip_solution_heading(source: str) -> str | None:
    """The markdown before a trailing "Solution" heading, or None if there is none."""
    found = [h for h in headings(source) if is_solution_heading(h[2])]
    if not found:
        return None
    line = found[-1][0]
    return "\n".join(source.splitlines()[:line]).rstrip()


def _shows_pass(cell) -> bool:
    for out in cell.get("outputs", []):
        text = out.get("text", "")
        if out.get("output_type") in ("execute_result", "display_data"):
            text = out.get("data", {}).get("text/plain", "")
        if isinstance(text, list):
            text = "".join(text)
        if PASS_MARK in text:
            return True
    return False


def reset_counts(cell) -> None:
    if cell.cell_type != "code":
        return
    cell.execution_count = None
    cell.metadata.pop("execution", None)
    for out in cell.outputs:
        if "execution_count" in out:
            out["execution_count"] = None


def student_notebook(nb):
    """Return the student edition of a notebook (the argument is not changed)."""
    nb = nbformat.from_dict(copy.deepcopy(nb))
    in_exercise = set(i for section in exercise_sections(nb) for i in section)
    kept = []
    for index, cell in enumerate(nb.cells):
        if is_solution(cell):
            # drop the "#### Solution" heading that introduced it
            while kept and kept[-1].cell_type == "markdown":
                before = _strip_solution_heading(kept[-1].source)
                if before is None:
                    break
                if before.strip():
                    kept[-1].source = before
                    break
                kept.pop()
            continue
        if cell.cell_type == "code":
            if index in in_exercise or _shows_pass(cell):
                cell.outputs = []
            reset_counts(cell)
        kept.append(cell)
    nb.cells = kept
    nb.metadata["course_edition"] = "student"
    return nb


def _ignore(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n.endswith((".ipynb", ".pyc")) or n in ("__pycache__", ".ipynb_checkpoints")}


def prepare(out: Path) -> None:
    """Empty ``out`` (only if it is missing, empty, or an earlier student edition)."""
    if out.exists():
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise SystemExit(f"build_student: {out} is not empty and is not a student edition; "
                             "choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("Built by scripts/build_student.py; rebuilt from scratch each time.\n")


def build(out: Path = DEFAULT_OUT, source: Path = NOTEBOOKS, quiet: bool = False) -> list[Path]:
    """Write the student edition of every notebook in ``source`` to ``out``; return the notebooks."""
    out = Path(out).resolve()
    prepare(out)
    shutil.copytree(source, out, ignore=_ignore, dirs_exist_ok=True)
    written = []
    for path in sorted(Path(source).glob("*.ipynb")):
        nb = student_notebook(nbformat.read(path, as_version=4))
        target = out / path.name
        nbformat.write(nb, target)
        written.append(target)
        if not quiet:
            removed = len(nbformat.read(path, as_version=4).cells) - len(nb.cells)
            print(f"{path.name:45s} {removed:3d} cell(s) removed")
    if not quiet:
        shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
        print(f"Student edition: {len(written)} notebook(s) in {shown}/")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write (default build/student)")
    parser.add_argument("--source", type=Path, default=NOTEBOOKS, help=argparse.SUPPRESS)
    ns = parser.parse_args(argv)
    build(ns.out, ns.source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
