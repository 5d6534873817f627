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
