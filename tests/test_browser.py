"""The notebooks in a real browser: JupyterLab driven by Chromium through Playwright.

nbval runs the notebooks through a kernel only.  This test does what a learner
does: it starts JupyterLab on a copy of ``notebooks/``, opens a notebook in
Chromium, clears the outputs, clicks **Run ▸ Run All Cells**, waits until the
kernel is idle, saves, and checks that

* every code cell ran (Run All did not stop), and none shows an error except
  cells tagged ``raises-exception``;
* the timeline figures were drawn in the page (``img`` elements in outputs);
* what the cells printed matches the committed outputs (after the same
  sanitizing as nbval): code that behaves differently under JupyterLab, whose
  kernel receives the queued requests of "Run All" while a cell runs, shows up;
* no "Jupyter news?" popup greets the learner (binder/overrides.json is
  installed by ``python3 scripts/course.py setup``);
* the start notebook's "next →" link opens the next notebook in a tab.

Screenshots go to ``build/screenshots/``.  By default notebooks 00 and 04 are
run; ``COURSE_BROWSER_NOTEBOOKS=all`` (or a comma-separated list of file names)
runs others.  Skipped, with the reason, when Chromium (Debian:
``apt-get install chromium``) or the ``playwright`` package
(requirements-dev.txt) is missing; Playwright's own browser download is not
used.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from coursemeta import NOTEBOOKS, ROOT, notebooks

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DEFAULT_NOTEBOOKS = ["00_start_here.ipynb", "04_running_many_tasks.ipynb"]
SCREENSHOTS = ROOT / "build" / "screenshots"
# generous: a shared 2-core machine can be very slow
SERVER_TIMEOUT = 180  # s until JupyterLab answers
UI_TIMEOUT = 180_000  # ms for the page, menus, kernel start
RUN_TIMEOUT = 900_000  # ms for "Run All" of one notebook

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"no Chromium at {CHROMIUM} (apt-get install chromium) — real-browser test skipped"),
    pytest.mark.skipif(sync_playwright is None,
                       reason="playwright is not installed (pip install -r requirements-dev.txt) — real-browser test skipped"),
]


def chosen_notebooks() -> list[str]:
    wanted = os.environ.get("COURSE_BROWSER_NOTEBOOKS", "")
    if wanted.strip() == "all":
        return [nb.file for nb in notebooks(existing_only=False)]
    if wanted.strip():
        return [name.strip() for name in wanted.split(",") if name.strip()]
    return DEFAULT_NOTEBOOKS


# --- JupyterLab ---------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on a copy of the notebooks, in its own process group."""

    def __init__(self, workdir: Path) -> None:
        self.root = workdir / "course"
        shutil.copytree(NOTEBOOKS, self.root / "notebooks",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc"))
        settings = workdir / "user-settings" / "@jupyterlab" / "notebook-extension"
        settings.mkdir(parents=True)
        # every cell in the DOM, so outputs far below the fold can be read
        (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "jupyterlab.log"
        args = [sys.executable, "-m", "jupyterlab", "--no-browser",
                "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
                f"--LabApp.user_settings_dir={workdir / 'user-settings'}",
                f"--LabApp.workspaces_dir={workdir / 'workspaces'}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--allow-root")
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(workdir / "runtime")}
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env, start_new_session=True)

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"{self.base}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early:\n{self.log_text()}")
            try:
                self.api("/api/status")
                return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"JupyterLab did not answer within {SERVER_TIMEOUT} s:\n{self.log_text()}")

    def shutdown_kernels(self) -> None:
        for session in self.api("/api/sessions") or []:
            self.api(f"/api/sessions/{session['id']}", method="DELETE")

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        try:
            if self.process.poll() is None:
                try:
                    self.shutdown_kernels()
                except OSError:
                    pass
                self.process.send_signal(signal.SIGINT)  # jupyter_server: SIGINT twice = no prompt
                time.sleep(0.5)
                self.process.send_signal(signal.SIGINT)
                try:
                    self.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.process.terminate()
                    self.process.wait(timeout=30)
        finally:
            try:  # kernels or anything else the server left in its process group
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    server = Lab(tmp_path_factory.mktemp("browser"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(lab):
    pw = sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        pw.stop()


@pytest.fixture
def page(browser, lab):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT)
    try:
        yield page
    finally:
        context.close()
        try:
            lab.shutdown_kernels()
        except OSError:
            pass


# --- driving the page ---------------------------------------------------------------

CURRENT = ".jp-NotebookPanel:not(.lm-mod-hidden)"

# The notebook is loaded (all its cells are in the page: a placeholder with one empty cell
# comes first) and its kernel is up and idle (the toolbar names it).
READY = f"""(cells) => {{
  const panel = document.querySelector('{CURRENT}');
  if (!panel || panel.querySelectorAll('.jp-Notebook .jp-Cell').length !== cells) return false;
  const name = panel.querySelector('.jp-KernelName');
  const ind = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  return !!name && /python/i.test(name.textContent) && !!ind && ind.dataset.status === 'idle';
}}"""

# Run All is over when no prompt shows [*], the kernel is idle and some cell has a number
# (a halted Run All leaves the rest at [ ], which the checks below then report).
RUN_FINISHED = f"""() => {{
  if (document.querySelector('.jp-Dialog')) return true;  // reported by the test
  const nb = document.querySelector('{CURRENT} .jp-Notebook');
  const ind = document.querySelector('{CURRENT} .jp-Notebook-ExecutionIndicator');
  if (!nb || !ind || ind.dataset.status !== 'idle') return false;
  const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent);
  return !prompts.some(p => p.includes('*')) && prompts.some(p => /\\d/.test(p));
}}"""


def menu(page, top: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(top)}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$")).click()


def open_notebook(page, lab: Lab, name: str) -> None:
    cells = len(nbformat.read(lab.root / "notebooks" / name, as_version=4).cells)
    page.goto(f"{lab.base}/lab/tree/notebooks/{name}?reset&token={lab.token}")
    wait_ready(page, cells)


def wait_ready(page, cells: int) -> None:
    page.wait_for_function(READY, arg=cells, polling=500)
    no_dialog(page)


def no_dialog(page) -> None:
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        shoot(page, "unexpected-dialog")
        pytest.fail(f"JupyterLab shows a dialog: {dialog.first.inner_text()!r}")


def shoot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


# --- comparing with the committed outputs --------------------------------------------

def sanitizers() -> list[tuple[re.Pattern, str]]:
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "tests" / "sanitize.cfg", encoding="utf-8")
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


def printed(cell, rules) -> str:
    text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")
    text = text.replace("\r\n", "\n")  # JupyterLab stores a shell command's CRLF as LF
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def compared(cell) -> bool:
    """False for cells whose output nbval does not compare either."""
    tags = set(cell.metadata.get("tags", []))
    first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
    return not ({"nbval-ignore-output", "nbval-skip", "raises-exception"} & tags
                or re.search(r"NBVAL_(IGNORE_OUTPUT|SKIP|RAISES_EXCEPTION)", first))


def problems(ran, committed, images_in_page: int) -> list[str]:
    found = []
    code = [(i, c) for i, c in enumerate(ran.cells) if c.cell_type == "code"]
    not_run = [i for i, c in code if c.execution_count is None]
    if not_run:
        found.append(f"Run All did not reach cells {not_run} (it stops at the first error of an untagged cell)")
    for i, cell in code:
        if "raises-exception" in cell.metadata.get("tags", []):
            continue
        for out in cell.outputs:
            if out.output_type == "error":
                found.append(f"cell {i} shows {out.ename}: {out.evalue}\n--- source:\n{cell.source}")
    expected_images = sum("image/png" in o.get("data", {}) for c in committed.cells for o in c.get("outputs", []))
    if images_in_page < expected_images:
        found.append(f"{images_in_page} figure(s) rendered in the page, the committed notebook has {expected_images}")
    rules = sanitizers()
    if len(ran.cells) == len(committed.cells):
        for i, (new, old) in enumerate(zip(ran.cells, committed.cells)):
            if new.cell_type == "code" and compared(old):
                a, b = printed(old, rules), printed(new, rules)
                if a != b:
                    why = ""
                    if "still running at the end" in b and "still running at the end" not in a:
                        why = ("(measure() recorded tasks the measured code did not start: under Run All the "
                               "kernel creates tasks for the queued requests while the cell runs)\n")
                    found.append(f"cell {i} printed something else in JupyterLab than in the committed notebook:\n"
                                 f"{why}--- committed:\n{a}--- in JupyterLab:\n{b}--- source:\n{old.source}")
    else:
        found.append("the saved notebook has a different number of cells than the committed one")
    return found


# --- the tests ----------------------------------------------------------------------

@pytest.mark.parametrize("name", chosen_notebooks())
def test_run_all_in_jupyterlab(page, lab, name):
    if not (NOTEBOOKS / name).exists():
        pytest.skip(f"{name} is not written yet")
    stem = name.removesuffix(".ipynb")
    # the copy JupyterLab serves, as committed (saving overwrites it; notebooks/ may change meanwhile)
    committed = nbformat.read(lab.root / "notebooks" / name, as_version=4)
    open_notebook(page, lab, name)
    shoot(page, f"{stem}-1-opened")
    menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function(f"() => !document.querySelector('{CURRENT} .jp-OutputArea-output')")
    menu(page, "Run", "Run All Cells")
    page.wait_for_function(RUN_FINISHED, polling=500, timeout=RUN_TIMEOUT)
    no_dialog(page)

    figures = page.locator(f"{CURRENT} .jp-OutputArea-output img")
    images = figures.count()
    if images:
        figures.first.scroll_into_view_if_needed()
        shoot(page, f"{stem}-2-first-figure")
    page.locator(f"{CURRENT} .jp-Cell").last.scroll_into_view_if_needed()
    shoot(page, f"{stem}-3-end")
    news = page.locator(".Toastify__toast", has_text=re.compile("news", re.I))
    assert news.count() == 0, "JupyterLab asks about news: install binder/overrides.json (python3 scripts/course.py setup)"

    menu(page, "File", "Save Notebook")
    page.wait_for_function("() => !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')")
    ran = nbformat.read(lab.root / "notebooks" / name, as_version=4)
    found = problems(ran, committed, images)
    assert not found, f"{name} in JupyterLab (screenshots in build/screenshots/):\n\n" + "\n\n".join(found)


def test_next_link_opens_the_next_notebook(page, lab):
    course = notebooks(existing_only=False)
    start, following = course[0], course[1]
    if not start.path.exists():
        pytest.skip(f"{start.file} is not written yet")
    if not following.path.exists():
        pytest.skip(f"{following.file}, the target of the start notebook's next link, is not written yet")
    open_notebook(page, lab, start.file)
    link = page.locator(f"{CURRENT} .jp-MarkdownCell a", has_text="→").first
    assert following.file in (link.get_attribute("href") or "")
    link.click()
    tab = page.locator(".lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel", has_text=following.file)
    tab.wait_for()
    wait_ready(page, len(nbformat.read(lab.root / "notebooks" / following.file, as_version=4).cells))
    shoot(page, "next-link-opened")
    labels = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tabLabel").all_inner_texts()
    assert start.file in labels and following.file in labels, labels
