#!/usr/bin/env python3
"""Render every notebook as HTML and PDF handouts, in two editions.

    python3 scripts/course.py handouts                    # everything, into build/handouts/
    python3 scripts/course.py handouts --no-pdf           # HTML only (no browser needed)
    python3 scripts/course.py handouts notebooks/04_*.ipynb --out DIR

Writes ``build/handouts/{instructor,student}/{html,pdf}/NN_name.{html,pdf}``:

* **instructor**: the notebooks as committed, outputs included; each solution
  cell is folded in a ``<details>`` ("Solution (click to show)") in the HTML;
  the PDF prints it unfolded (hints too: paper cannot be clicked);
* **student**: the student edition (``scripts/build_student.py``: no solutions,
  exercise outputs cleared).

The HTML files are self-contained and work offline: figures are embedded, no
script is loaded from the web (no MathJax, no require.js), links between
notebooks point to the neighbouring ``.html`` (or ``.pdf``) file.  PDFs are
printed by headless Chromium (Debian: ``apt-get install chromium``; found as
``chromium``, ``chromium-browser`` or ``google-chrome`` on PATH, or set
``CHROMIUM=/path``); no LaTeX is needed.  Without a browser the PDFs are
skipped with a message.  Print CSS wraps long code lines instead of cutting
them at the page edge and scales figures to the page width.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from jinja2 import DictLoader
from nbconvert import HTMLExporter

import build_student
from coursemeta import NOTEBOOKS, ROOT

DEFAULT_OUT = ROOT / "build" / "handouts"
EDITIONS = ("instructor", "student")
PDF_TIMEOUT = 180  # seconds for one page set; a busy 2-core machine is slow

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--no-pdf-header-footer", "--hide-scrollbars",
]

EXTRA_CSS = r"""
<style type="text/css">
/* course handouts: readable on screen, nothing cut off on paper */
main { max-width: 60rem; margin: 0 auto; }
.course-edition { font: 12px/1.4 var(--jp-ui-font-family, sans-serif); color: #666;
                  border-bottom: 1px solid #ddd; margin: 0 0 1em; padding: 0.3em 0; }
details.solution { border-left: 4px solid #0072B2; margin: 0.5em 0; padding-left: 0.5em; }
details.solution > summary { cursor: pointer; font: 600 14px var(--jp-ui-font-family, sans-serif);
                            color: #0072B2; padding: 0.2em 0; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
@page { size: A4; margin: 12mm 10mm; }
@media print {
  main { max-width: none; }
  body { padding: 0 !important; }
  .jp-InputPrompt, .jp-OutputPrompt { display: none !important; }
  .jp-InputArea, .jp-InputArea-editor, .jp-OutputArea, .jp-OutputArea-output,
  .jp-Cell-inputWrapper, .jp-Cell-outputWrapper { overflow: visible !important; }
  pre, code, .highlight pre, .jp-RenderedText pre {
    white-space: pre-wrap !important; overflow-wrap: anywhere; word-break: break-word;
  }
  .jp-InputArea-editor, .jp-OutputArea-output pre { font-size: 8.5pt; }
  .jp-OutputArea-output img { max-width: 100% !important; break-inside: avoid; page-break-inside: avoid; }
  h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  .jp-Cell-inputWrapper { break-inside: avoid; page-break-inside: avoid; }
  details > summary { list-style: none; font-weight: 600; }
  details > summary::-webkit-details-marker { display: none; }
}
</style>
"""

TEMPLATE = r"""
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{% block extra_css %}""" + EXTRA_CSS + r"""{% endblock extra_css %}
{%- block body_header -%}
{{ super() }}
<div class="course-edition">{{ resources.course_banner }}</div>
{%- endblock body_header -%}
{% block codecell %}
{%- if 'solution' in cell.metadata.get('tags', []) -%}
{%- if resources.printing -%}
<details class="solution" open><summary>Solution</summary>
{%- else -%}
<details class="solution"><summary>Solution (click to show)</summary>
{%- endif %}
{{ super() }}
</details>
{%- else -%}
{{ super() }}
{%- endif -%}
{% endblock codecell %}
"""

_LOCAL_NOTEBOOK_LINK = re.compile(r'href="(?![a-z][a-z0-9+.-]*:|/|#)([^"#?]+)\.ipynb((?:#[^"]*)?)"', re.I)


_CLOSED_DETAILS = re.compile(r"<details(?![^>]*\bopen\b)", re.I)


def exporter() -> HTMLExporter:
    return HTMLExporter(template_name="lab", extra_loaders=[DictLoader({"course.html.j2": TEMPLATE})],
                        template_file="course.html.j2", embed_images=True, exclude_anchor_links=True)


def render_html(nb, name: str, edition: str, *, printing: bool = False, source_dir: Path = NOTEBOOKS) -> str:
    """One notebook as a self-contained HTML page.

    ``printing=True`` makes the page that is printed to PDF: every ``<details>``
    (solutions and hints) is unfolded, since paper cannot be clicked, and links
    to other notebooks point to their PDFs.
    """
    banner = f"Async &amp; await in Python · {name} · {edition} edition"
    resources = {"metadata": {"name": name, "path": str(source_dir)},
                 "course_banner": banner, "printing": printing}
    html, _ = exporter().from_notebook_node(nb, resources=resources)
    suffix = ".pdf" if printing else ".html"
    html = _LOCAL_NOTEBOOK_LINK.sub(lambda m: f'href="{m.group(1)}{suffix}{m.group(2)}"', html)
    if printing:
        html = _CLOSED_DETAILS.sub("<details open", html)
    return html


def find_chromium() -> str | None:
    """The headless browser used to print PDFs, or None."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html_file: Path, pdf_file: Path, chromium: str) -> None:
    """Print an HTML file to PDF with headless Chromium; raise on failure."""
    pdf_file.parent.mkdir(parents=True, exist_ok=True)
    pdf_file.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="handout-chromium-") as profile:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               f"--print-to-pdf={pdf_file}", html_file.resolve().as_uri()]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=PDF_TIMEOUT,
                                stdin=subprocess.DEVNULL)
    if not pdf_file.exists() or pdf_file.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no PDF for {html_file.name} (exit {result.returncode}):\n"
                           f"{result.stderr[-2000:]}")


def pdf_pages(pdf_file: Path) -> int:
    """Number of pages (pdfinfo when present, else a count of page objects)."""
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(pdf_file)], capture_output=True, text=True).stdout
        m = re.search(r"^Pages:\s+(\d+)", out, re.M)
        if m:
            return int(m.group(1))
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf_file.read_bytes()))


def editions_of(path: Path):
    """(edition, notebook) pairs for one notebook file."""
    nb = nbformat.read(path, as_version=4)
    yield "instructor", nb
    yield "student", build_student.student_notebook(nb)


def build(paths: list[Path], out: Path = DEFAULT_OUT, pdf: bool = True, quiet: bool = False) -> dict:
    """Write the handouts of ``paths``; return {(edition, kind): [files]}."""
    out = Path(out)
    written: dict[tuple[str, str], list[Path]] = {(e, k): [] for e in EDITIONS for k in ("html", "pdf")}
    chromium = find_chromium() if pdf else None
    if pdf and not chromium:
        print("build_handouts: no chromium found (apt-get install chromium): PDFs skipped", file=sys.stderr)
    jobs = []
    scratch = Path(tempfile.mkdtemp(prefix="handouts-print-"))
    try:
        for path in paths:
            name = path.stem
            for edition, nb in editions_of(path):
                html_file = out / edition / "html" / f"{name}.html"
                html_file.parent.mkdir(parents=True, exist_ok=True)
                html_file.write_text(render_html(nb, name, edition, source_dir=path.parent), encoding="utf-8")
                written[edition, "html"].append(html_file)
                if chromium:
                    # the printed page shows solutions unfolded and links to the PDFs
                    printable = scratch / edition / f"{name}.html"
                    printable.parent.mkdir(parents=True, exist_ok=True)
                    printable.write_text(render_html(nb, name, edition, printing=True,
                                                     source_dir=path.parent), encoding="utf-8")
                    jobs.append((printable, out / edition / "pdf" / f"{name}.pdf", edition))
                if not quiet:
                    print(f"{edition:10s} html  {html_file.relative_to(out)}", flush=True)
        if jobs:
            with ThreadPoolExecutor(max_workers=2) as pool:
                futures = [(pool.submit(print_pdf, src, dst, chromium), dst, edition) for src, dst, edition in jobs]
                for future, dst, edition in futures:
                    future.result()
                    written[edition, "pdf"].append(dst)
                    if not quiet:
                        print(f"{edition:10s} pdf   {dst.relative_to(out)} ({pdf_pages(dst)} pages)", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to render (default: all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write (default build/handouts)")
    parser.add_argument("--no-pdf", action="store_true", help="HTML only")
    ns = parser.parse_args(argv)
    paths = ns.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        print("build_handouts: no notebooks found", file=sys.stderr)
        return 1
    written = build(paths, ns.out, pdf=not ns.no_pdf)
    shown = ns.out.resolve()
    shown = shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown
    counts = ", ".join(f"{len(v)} {e} {k}" for (e, k), v in written.items() if v)
    print(f"Handouts in {shown}/: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
