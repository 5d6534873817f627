#!/usr/bin/env python3
"""Generate the contents notebook, the prev/contents/next links and the README map.

    python3 scripts/course.py nav              # write everything
    python3 scripts/course.py nav --check      # exit 1 if anything is stale
    python3 scripts/make_navigation.py notebooks/05_event_loop.ipynb   # one notebook

Everything comes from course.toml.  A notebook's first and last cells are its
navigation cells (markdown tagged ``nav-top`` / ``nav-bottom``); they are
created if missing and replaced if stale.  Only those cells are touched.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

from coursemeta import CONTENTS, NOTEBOOKS, ROOT, Notebook, binder_url, nbgitpuller_url, notebooks

README = ROOT / "README.md"


def nav_text(course: list[Notebook], i: int) -> str:
    parts = []
    if i > 0:
        parts.append(f"[← {course[i - 1].label}]({course[i - 1].file})")
    parts.append(f"[Contents]({CONTENTS})")
    if i + 1 < len(course):
        parts.append(f"[{course[i + 1].label} →]({course[i + 1].file})")
    return " | ".join(parts)


def nav_cell(text: str, tag: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["tags"] = [tag]
    cell.metadata["editable"] = False
    cell.metadata["deletable"] = False
    cell.pop("id", None)
    return cell


def with_nav(nb: nbformat.NotebookNode, text: str) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if not {"nav-top", "nav-bottom"} & set(c.metadata.get("tags", []))]
    top, bottom = nav_cell(text, "nav-top"), nav_cell(text, "nav-bottom")
    old = {tag: c for c in nb.cells for tag in c.metadata.get("tags", []) if tag in ("nav-top", "nav-bottom")}
    for cell, tag in ((top, "nav-top"), (bottom, "nav-bottom")):
        if tag in old and "id" in old[tag]:
            cell["id"] = old[tag]["id"]
        elif "id" not in cell:
            cell["id"] = tag
    nb.cells = [top, *cells, bottom]
    return nb


def contents_notebook(course: list[Notebook]) -> nbformat.NotebookNode:
    rows = "\n".join(f"| {n.number:02d} | [{n.title}]({n.file}) | {n.minutes} min |" for n in course)
    total = sum(n.minutes for n in course)
    text = (
        "# Async & await in Python: contents\n\n"
        "Work through the notebooks in order; each builds on the one before.\n"
        "Every notebook runs top to bottom with **Run ▸ Run All Cells**.\n\n"
        "| # | Notebook | Time |\n|---|---|---|\n" + rows +
        f"\n\nAbout {total // 60} h {total % 60} min in all, exercises included.\n\n"
        f"Start with [{course[0].label}]({course[0].file})."
    )
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_markdown_cell(text)
    cell["id"] = "contents"
    nb.cells = [cell]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    return nb


def readme_text(old: str) -> str:
    course = notebooks(existing_only=False)
    rows = "\n".join(f"| {n.number:02d} | [{n.title}](notebooks/{n.file}) | {n.minutes} min |" for n in course)
    blocks = {
        "course-map": "| # | Notebook | Time |\n|---|---|---|\n" + rows,
        "binder": f"[![Launch on Binder](https://mybinder.org/badge_logo.svg)]({binder_url()})",
        "nbgitpuller": f"```text\n{nbgitpuller_url()}\n```",
    }
    for name, body in blocks.items():
        pattern = re.compile(rf"(<!-- {name}:start -->).*?(<!-- {name}:end -->)", re.S)
        if not pattern.search(old):
            raise SystemExit(f"README.md lacks the markers <!-- {name}:start --> ... <!-- {name}:end -->")
        old = pattern.sub(lambda m: f"{m.group(1)}\n{body}\n{m.group(2)}", old)
    return old


def planned_writes(only: list[Path] | None = None) -> dict[Path, str]:
    """Map each file to the text it should have."""
    course = notebooks(existing_only=False)
    out: dict[Path, str] = {}
    for i, nb_info in enumerate(course):
        if not nb_info.path.exists() or (only and nb_info.path.resolve() not in only):
            continue
        nb = nbformat.read(nb_info.path, as_version=4)
        out[nb_info.path] = nbformat.writes(with_nav(nb, nav_text(course, i))) + "\n"
    if not only:
        out[NOTEBOOKS / CONTENTS] = nbformat.writes(contents_notebook(course)) + "\n"
        if README.exists():
            out[README] = readme_text(README.read_text(encoding="utf-8"))
    return out


def stale(only: list[Path] | None = None) -> list[Path]:
    return [p for p, text in planned_writes(only).items()
            if not p.exists() or p.read_text(encoding="utf-8") != text]


def main(args: list[str]) -> int:
    check = "--check" in args
    only = [Path(a).resolve() for a in args if a != "--check"] or None
    if check:
        bad = stale(only)
        for p in bad:
            print(f"stale: {p.relative_to(ROOT)} (run: python3 scripts/course.py nav)")
        return 1 if bad else 0
    for path, text in planned_writes(only).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
