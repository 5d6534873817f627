"""The JupyterHub recipe: an nbgitpuller link built from course.toml, and what it does.

A student who clicks the link logs in to the hub; nbgitpuller clones (or
updates) the course into a folder named after the repository in their home,
then JupyterLab opens the start notebook.  The link must therefore be
``<hub>/hub/user-redirect/git-pull?repo=...&branch=...&urlpath=lab/tree/<repo name>/<start notebook>``,
and the README must show exactly that link.  The end-to-end test runs the
link's git-pull (nbgitpuller 1.3.0, requirements-dev.txt) against a local bare
repository through a real jupyter server, over HTTP; only the hub's
``/hub/user-redirect`` hop is left out, since it needs a hub.
"""

from __future__ import annotations

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
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import pytest

import coursemeta

MARKERS = re.compile(r"<!-- nbgitpuller:start -->\n(.*?)\n<!-- nbgitpuller:end -->", re.S)


def parts(url: str):
    split = urlsplit(url)
    query = parse_qs(split.query, strict_parsing=True)
    return split, query


def readme_link() -> str:
    block = MARKERS.search((coursemeta.ROOT / "README.md").read_text(encoding="utf-8"))
    assert block, "README.md needs <!-- nbgitpuller:start --> ... <!-- nbgitpuller:end -->"
    links = re.findall(r"https?://[^\s)<>`\"']+", block.group(1))
    assert len(links) == 1, links
    return links[0]


def test_readme_link_has_the_hub_shape():
    """Checked against a shape written out by hand, not against the code that writes it."""
    split, query = parts(readme_link())
    assert split.scheme == "https" and split.path.endswith("/hub/user-redirect/git-pull")
    assert sorted(query) == ["branch", "repo", "urlpath"], "each parameter exactly once, nothing else"
    assert all(len(v) == 1 for v in query.values())
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", query["repo"][0])
    folder = query["repo"][0].rsplit("/", 1)[1]  # nbgitpuller clones into a folder named after the repository
    assert query["urlpath"] == [f"lab/tree/{folder}/notebooks/00_start_here.ipynb"]


# -- the link's git-pull, end to end: a real jupyter server with nbgitpuller -----------

def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Teacher", "GIT_AUTHOR_EMAIL": "teacher@example.edu",
           "GIT_COMMITTER_NAME": "Teacher", "GIT_COMMITTER_EMAIL": "teacher@example.edu",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    out = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert out.returncode == 0, f"git {' '.join(args)}: {out.stderr}"
    return out.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python -m jupyter_server`` serving ``home`` (a student's home on a hub)."""

    def __init__(self, home: Path):
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}/"
        log = open(home.parent / "jupyter-server.log", "w")
        self.log_path = Path(log.name)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", f"--ServerApp.port={self.port}", "--ServerApp.ip=127.0.0.1",
             f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={home}", "--no-browser",
             "--allow-root", "--ServerApp.port_retries=0"],
            cwd=home, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "HOME": str(home), "GIT_CONFIG_GLOBAL": os.devnull})
        deadline = time.monotonic() + 60
        while True:
            try:
                self.get("api/status")
                break
            except OSError:
                assert self.proc.poll() is None, "jupyter server exited:\n" + self.log_path.read_text()
                assert time.monotonic() < deadline, "jupyter server did not start:\n" + self.log_path.read_text()
                time.sleep(0.3)

    def get(self, path: str, params: dict | None = None) -> tuple[int, str, str]:
        query = urlencode({**(params or {}), "token": self.token})
        with urllib.request.urlopen(f"{self.base}{path}?{query}", timeout=120) as response:
            return response.status, response.geturl(), response.read().decode()

    def click(self, link_query: dict[str, str]) -> str:
        """What the student's browser does with the link: open /git-pull, run its page's
        sync (the EventStream /git-pull/api), then go to the page's redirect target."""
        status, _, page = self.get("git-pull", link_query)
        assert status == 200
        data = {k: unquote(v) for k, v in re.findall(r'data-([\w-]+)="([^"]*)"', page)}
        sync = {k: data[k] for k in ("repo", "branch", "targetpath") if k in data}
        _, _, events = self.get("git-pull/api", sync)
        phases = [json.loads(line[len("data: "):]) for line in events.splitlines() if line.startswith("data: ")]
        assert phases and phases[-1]["phase"] == "finished", f"git-pull did not finish: {phases[-3:]}"
        status, url, _ = self.get(unquote(data["base-url"]).lstrip("/") + data["path"])
        assert status == 200, url
        return data["path"]

    def notebook(self, path: str) -> dict:
        _, _, body = self.get(f"api/contents/{quote(path)}")
        return json.loads(body)

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_link_clones_then_updates_the_course_and_keeps_the_students_work(tmp_path):
    pytest.importorskip("nbgitpuller", reason="nbgitpuller is a maintainer tool (requirements-dev.txt)")
    start = coursemeta.settings()["repository"]["start_notebook"]
    _, link = parts(readme_link())
    name = link["repo"][0].rsplit("/", 1)[1]
    # The teacher's repository, in a bare repository named like the real one.
    bare = tmp_path / "remote" / name
    git("init", "--bare", "--initial-branch", link["branch"][0], str(bare), cwd=tmp_path)
    teacher = tmp_path / "teacher"
    git("clone", str(bare), str(teacher), cwd=tmp_path)
    (teacher / start).parent.mkdir(parents=True)
    shutil.copy(coursemeta.ROOT / start, teacher / start)
    (teacher / "course.toml").write_text((coursemeta.ROOT / "course.toml").read_text())
    git("add", "-A", cwd=teacher)
    git("commit", "-m", "the course", cwd=teacher)
    git("push", "origin", link["branch"][0], cwd=teacher)

    home = tmp_path / "student-home"
    home.mkdir()
    query = {"repo": f"file://{bare}", "branch": link["branch"][0], "urlpath": link["urlpath"][0]}
    server = Server(home)
    try:
        # First click: clone, then JupyterLab at notebook 00 inside the cloned folder.
        opened = server.click(query)
        assert opened == link["urlpath"][0] == f"lab/tree/{name}/{start}"
        model = server.notebook(f"{name}/{start}")
        assert model["type"] == "notebook" and "Start here" in json.dumps(model["content"]["cells"][:3])

        # The student works in notebook 00; the teacher pushes a fix and a new notebook.
        student_copy = home / name / start
        nb = json.loads(student_copy.read_text())
        nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "my notes: await gives the loop back"})
        student_copy.write_text(json.dumps(nb, indent=1))
        (teacher / "course.toml").write_text((teacher / "course.toml").read_text() + "\n# fixed a typo\n")
        (teacher / "notebooks" / "01_new.ipynb").write_text((teacher / start).read_text())
        git("add", "-A", cwd=teacher)
        git("commit", "-m", "teacher: a fix and notebook 01", cwd=teacher)
        git("push", "origin", link["branch"][0], cwd=teacher)

        # Second click: the teacher's changes arrive, the student's edit stays.
        assert server.click(query) == f"lab/tree/{name}/{start}"
        assert (home / name / "notebooks" / "01_new.ipynb").exists()
        assert (home / name / "course.toml").read_text().endswith("# fixed a typo\n")
        cells = server.notebook(f"{name}/{start}")["content"]["cells"]
        assert cells[-1]["source"] == "my notes: await gives the loop back"
    finally:
        server.stop()


def test_start_notebook_is_the_first_of_the_course():
    settings = coursemeta.settings()
    first = settings["notebooks"][0]["file"]
    assert settings["repository"]["start_notebook"] == f"notebooks/{first}"


def test_hub_under_a_path_prefix(monkeypatch):
    real = coursemeta.settings()
    real["jupyterhub"] = {"hub": "https://example.org/teaching/", "branch": "spring 2026"}
    monkeypatch.setattr(coursemeta, "settings", lambda: real)
    url = coursemeta.nbgitpuller_url()
    split, query = parts(url)
    assert split.path == "/teaching/hub/user-redirect/git-pull"
    assert query["branch"] == ["spring 2026"]
    assert " " not in url, "the link must be URL-encoded"


def test_readme_shows_exactly_this_link():
    readme = coursemeta.ROOT / "README.md"
    if not readme.exists():
        pytest.skip("README.md does not exist yet (the lead writes it); the link itself is tested above")
    block = MARKERS.search(readme.read_text(encoding="utf-8"))
    assert block, "README.md needs <!-- nbgitpuller:start --> ... <!-- nbgitpuller:end --> (python3 scripts/course.py nav fills it)"
    links = re.findall(r"https?://[^\s)<>`\"']+", block.group(1))
    assert links == [coursemeta.nbgitpuller_url()], (
        "the README's nbgitpuller link is stale: run python3 scripts/course.py nav")
