"""The README's lab command serves JupyterLab at the start notebook, headless."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import coursemeta

ROOT = coursemeta.ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lab_command_prints_the_start_notebook_url_and_serves_it():
    port, token = free_port(), secrets.token_hex(16)
    proc = subprocess.Popen(
        [sys.executable, "scripts/course.py", "lab", "--no-browser", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={token}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: [lines.append(line) for line in proc.stdout], daemon=True)
    reader.start()
    try:
        # (a token given on the command line is printed masked, as "token=...")
        wanted = f"http://127.0.0.1:{port}/lab/tree/notebooks/00_start_here.ipynb?token="
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(wanted in line for line in lines):
            assert proc.poll() is None, "jupyter lab exited early:\n" + "".join(lines)
            time.sleep(0.2)
        assert any(wanted in line for line in lines), "no start-notebook URL printed:\n" + "".join(lines)

        url = f"http://127.0.0.1:{port}/api/contents/notebooks/00_start_here.ipynb?token={token}"
        with urllib.request.urlopen(url, timeout=30) as response:
            model = json.load(response)
        assert model["type"] == "notebook"
        assert re.search(r"Start here", json.dumps(model["content"]["cells"][1]["source"]))
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_learners_get_requirements_txt_only_maintainers_get_a_second_layer(tmp_path, monkeypatch):
    """`lab` installs requirements.txt; `test` adds requirements-dev.txt with its own
    stamp; each layer is installed again only when it (or the layer below) changed."""
    import course

    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").symlink_to(sys.executable)
    installed: list[str] = []
    monkeypatch.setattr(course, "venv_dir", lambda: tmp_path)
    monkeypatch.setattr(course, "pip_install", lambda python, requirements, quiet: installed.append(requirements))
    monkeypatch.setattr(course.shutil, "copy", lambda *a: None)

    course.ensure_env(dev=False)
    assert installed == ["requirements.txt"]
    course.ensure_env(dev=False)
    assert installed == ["requirements.txt"], "a second run must reuse the environment"
    course.ensure_env(dev=True)
    assert installed == ["requirements.txt", "requirements-dev.txt"]
    course.ensure_env(dev=True)
    course.ensure_env(dev=False)
    assert installed == ["requirements.txt", "requirements-dev.txt"]
    (tmp_path / ".course-stamp").write_text("requirements.txt changed")
    course.ensure_env(dev=True)
    assert installed[2:] == ["requirements.txt", "requirements-dev.txt"], "a changed learner layer rebuilds both"


def test_course_py_help_lists_each_command_once():
    import course

    lines = [line.split()[2] for line in course.__doc__.splitlines() if line.strip().startswith("python3 scripts/course.py")]
    assert sorted(set(lines)) == sorted(course.COMMANDS), "the help must list every command"
    assert len(lines) - lines.count("lab") == len(set(lines)) - 1, f"a command is listed twice: {lines}"
