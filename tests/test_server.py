"""The local HTTP server (asynclab.server.LocalServer) behaves as its docstring says.

Every test talks to a real server process over 127.0.0.1.  Timings are only
used as lower bounds that the server itself guarantees (a slow file is answered
after at least its extra latency), never as speed targets.
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from asynclab.server import FileInfo, LocalServer

try:
    import resource
except ImportError:  # Windows
    resource = None

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    """Status and body of a GET, without raising for 4xx/5xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def raw_get(server: LocalServer, path: str) -> tuple[int, bytes]:
    """Send ``path`` exactly as written (no client-side normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_gone(pid: int, timeout: float = 10) -> bool:
    """True once no process ``pid`` exists (reaped or never ours)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # a zombie still answers kill(0): look at its state
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
            if state == "Z":
                return True
        except (FileNotFoundError, IndexError):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def server():
    """One misbehaving server shared by the read-only tests of this module."""
    with LocalServer(files=12, size=4096, latency=0.0, missing=2, flaky=2, slow=1,
                     slow_latency=1.0, pages=6, name="test_server-module") as s:
        yield s


def by_kind(server: LocalServer, kind: str) -> list[FileInfo]:
    return [f for f in server.files if f.kind == kind]


# -- the catalogue and the files ------------------------------------------------------

def test_catalogue_lists_every_file_with_its_url(server):
    assert len(server.files) == 12
    assert [f.kind for f in server.files].count("missing") == 2
    assert [f.kind for f in server.files].count("flaky") == 2
    assert [f.kind for f in server.files].count("slow") == 1
    for f in server.files:
        assert f.size == 4096
        assert f.url == f"{server.url}/files/{f.name}"
    status, body = get(f"{server.url}/files/")
    assert status == 200
    assert [entry["name"] for entry in json.loads(body)] == [f.name for f in server.files]


def test_ok_files_arrive_intact_with_the_right_sha256(server):
    for f in by_kind(server, "ok"):
        status, body = get(f.url)
        assert status == 200
        assert len(body) == f.size
        assert hashlib.sha256(body).hexdigest() == f.sha256


def test_files_are_the_same_for_the_same_seed():
    with LocalServer(files=3, size=100, latency=0, seed=7, name="test_server-seed-a") as a:
        first = [(f.name, f.sha256, f.kind) for f in a.files]
    with LocalServer(files=3, size=100, latency=0, seed=7, name="test_server-seed-b") as b:
        second = [(f.name, f.sha256, f.kind) for f in b.files]
    assert first == second


def test_missing_files_answer_404(server):
    for f in by_kind(server, "missing"):
        assert get(f.url)[0] == 404
    assert get(f"{server.url}/files/no-such-file.bin")[0] == 404


def test_flaky_files_answer_503_once_then_200():
    with LocalServer(files=4, size=256, latency=0, flaky=2, name="test_server-flaky") as s:
        for f in by_kind(s, "flaky"):
            assert get(f.url)[0] == 503
            status, body = get(f.url)
            assert status == 200 and hashlib.sha256(body).hexdigest() == f.sha256
            assert get(f.url)[0] == 200
        s.reset_stats()  # forgets which flaky files were already asked for
        assert get(by_kind(s, "flaky")[0].url)[0] == 503


def test_slow_files_take_at_least_their_extra_latency(server):
    slow, ok = by_kind(server, "slow")[0], by_kind(server, "ok")[0]
    started = time.perf_counter()
    status, body = get(slow.url)
    slow_time = time.perf_counter() - started
    assert status == 200 and hashlib.sha256(body).hexdigest() == slow.sha256
    assert slow_time >= 1.0
    started = time.perf_counter()
    assert get(ok.url)[0] == 200
    assert time.perf_counter() - started < slow_time


@pytest.mark.parametrize("path", [
    "/files/..%2Fmanifest.json",
    "/files/%2E%2E%2Fmanifest.json",
    "/files/..%5Cmanifest.json",
    "/files/../manifest.json",
    "/files/%2E%2E/manifest.json",
    "/files/..%2F..%2F..%2Fetc%2Fpasswd",
    "/files//etc/passwd",
    "/manifest.json",
])
def test_paths_outside_the_served_folder_are_refused(server, path):
    status, body = raw_get(server, path)
    assert status in (403, 404), f"{path} answered {status}"
    assert b'"sha256"' not in body and b"root:" not in body


def test_site_and_robots(server):
    status, body = get(f"{server.url}/robots.txt")
    assert status == 200 and b"Disallow: /site/private/" in body
    status, body = get(f"{server.url}/site/")
    assert status == 200 and b"<h1>index.html</h1>" in body
    assert get(f"{server.url}/site/nothing-here.html")[0] == 404


# -- stats ------------------------------------------------------------------------------

def test_stats_count_requests_statuses_and_most_in_flight():
    with LocalServer(files=6, size=512, latency=0.5, missing=1, name="test_server-stats") as s:
        s.reset_stats()
        assert s.stats() == {"requests": 0, "in_flight": 0, "max_in_flight": 0, "by_status": {}, "by_path": {}}
        threads = [threading.Thread(target=get, args=(f.url,)) for f in s.files]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stats = s.stats()
        assert stats["requests"] == 6
        assert stats["by_status"] == {"200": 5, "404": 1}
        assert stats["max_in_flight"] == 6  # each waits 0.5 s: all six were in flight together
        assert stats["in_flight"] == 0
        get(s.files[0].url)
        assert s.stats()["requests"] == 7, "stats requests themselves are not counted"
        s.reset_stats()
        assert s.stats()["requests"] == 0 and s.stats()["max_in_flight"] == 0


def test_a_thousand_simultaneous_connections_all_succeed():
    """1,000 requests at once (aiohttp with no connection limit) all arrive intact."""

    async def main(s: LocalServer) -> list[bytes]:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
            async def fetch(url: str) -> bytes:
                async with session.get(url) as response:
                    response.raise_for_status()
                    return await response.read()
            return await asyncio.gather(*(fetch(f.url) for f in s.files))

    with LocalServer(files=1000, size=1024, latency=0.3, name="test_server-thousand") as s:
        bodies = asyncio.run(main(s))
        assert [hashlib.sha256(b).hexdigest() for b in bodies] == [f.sha256 for f in s.files]
        stats = s.stats()
        assert stats["by_status"] == {"200": 1000}
        assert stats["max_in_flight"] > 100  # not capped by a backlog or a connection limit


# -- life cycle -------------------------------------------------------------------------

def test_stop_removes_the_folder_and_ends_the_process():
    s = LocalServer(files=2, size=64, latency=0, name="test_server-stop").start()
    root, proc = s.root, s._proc
    assert root is not None and root.is_dir() and s.running
    s.stop()
    assert not root.exists()
    assert proc.poll() is not None, "the server process is still running"
    assert not s.running
    with pytest.raises(RuntimeError, match="not running"):
        s.url
    s.stop()  # a second stop is harmless


def test_with_block_stops_even_after_an_error():
    with pytest.raises(ZeroDivisionError):
        with LocalServer(files=1, size=64, latency=0, name="test_server-error") as s:
            root, proc = s.root, s._proc
            1 / 0
    assert not root.exists() and proc.poll() is not None


def test_async_with_starts_and_stops():
    async def main() -> tuple[int, Path, subprocess.Popen]:
        async with LocalServer(files=1, size=64, latency=0, name="test_server-async") as s:
            async with aiohttp.ClientSession() as session:
                async with session.get(s.files[0].url) as response:
                    return response.status, s.root, s._proc

    status, root, proc = asyncio.run(main())
    assert status == 200 and not root.exists() and proc.poll() is not None


def test_second_start_with_the_same_name_stops_the_first():
    first = LocalServer(files=1, size=64, latency=0, name="test_server-same").start()
    first_root, first_proc = first.root, first._proc
    second = LocalServer(files=1, size=64, latency=0, name="test_server-same").start()
    try:
        assert not first.running and first_proc.poll() is not None
        assert not first_root.exists()
        assert second.running and get(second.files[0].url)[0] == 200
        other = LocalServer(files=1, size=64, latency=0, name="test_server-other").start()
        assert second.running, "a server with another name is left alone"
        other.stop()
    finally:
        second.stop()


def test_process_exits_when_its_stdin_closes():
    s = LocalServer(files=1, size=64, latency=0, name="test_server-stdin").start()
    proc = s._proc
    try:
        proc.stdin.close()
        assert proc.wait(timeout=10) is not None
    finally:
        s.stop()


def test_process_exits_when_the_parent_dies_without_cleaning_up():
    """The parent is killed (no atexit, no stop()): the server notices EOF and ends."""
    script = textwrap.dedent("""
        import sys, time
        from asynclab.server import LocalServer
        s = LocalServer(files=1, size=64, latency=0, name="orphan").start()
        print(s._proc.pid, s.root, flush=True)
        time.sleep(60)
    """)
    env = dict(os.environ, PYTHONPATH=str(NOTEBOOKS))
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    try:
        pid_text, root = parent.stdout.readline().split()
        child = int(pid_text)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert wait_gone(child), "the server outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        parent.stdout.close()
    # its temporary folder is left behind when the parent is killed: tidy up here
    import shutil
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("kwargs", [
    {"files": -1}, {"files": 2, "missing": 3}, {"size": 1.5}, {"latency": -0.1}, {"flaky": True},
])
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(ValueError):
        LocalServer(**kwargs)


@pytest.mark.skipif(resource is None or not hasattr(resource, "prlimit"), reason="needs resource.prlimit (Linux)")
def test_server_recovers_after_running_out_of_file_descriptors():
    """Many connections against a low open-file limit: asyncio logs every failed
    accept.  That log goes to a file (a pipe nobody reads would fill up and freeze
    the server), and the server answers again once descriptors are free."""

    async def burst(url: str, count: int) -> list[object]:
        timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=timeout) as session:
            async def one() -> int:
                async with session.get(url) as response:
                    await response.read()
                    return response.status
            return await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)

    with LocalServer(files=1, size=64, latency=0.5, name="test_server-emfile") as s:
        assert s._proc.stderr is None, "the server's log must not go to a pipe"
        pid = s._proc.pid
        soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (40, hard))
        try:
            asyncio.run(burst(s.files[0].url, 200))
        finally:
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
        log = (s.root / "server.log").read_text(errors="replace")
        assert "Too many open files" in log, "the burst did not reach the limit"
        deadline = time.monotonic() + 15
        status = None
        while time.monotonic() < deadline:
            try:
                status = get(s.files[0].url, timeout=3)[0]
            except OSError:
                status = None
            if status == 200:
                break
            time.sleep(0.2)
        assert status == 200, "the server did not recover after running out of descriptors"


def test_sleep_refuses_a_bad_number(server):
    assert get(f"{server.url}/sleep?seconds=not-a-number")[0] == 400
    status, body = get(f"{server.url}/sleep?seconds=0.01")
    assert status == 200 and body.startswith(b"slept")


def test_stats_count_requests_by_path():
    with LocalServer(files=2, size=64, latency=0, name="test_server-by-path") as s:
        get(s.files[0].url)
        get(s.files[0].url)
        get(s.files[1].url)
        by_path = s.stats()["by_path"]
        assert by_path[f"/files/{s.files[0].name}"] == 2
        assert by_path[f"/files/{s.files[1].name}"] == 1
        s.reset_stats()
        assert s.stats()["by_path"] == {}


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "abc"])
def test_sleep_refuses_values_that_are_not_a_duration(value):
    with LocalServer(files=1, size=64, latency=0, name="test_server-sleep-values") as s:
        assert get(f"{s.url}/sleep?seconds={value}", timeout=5)[0] == 400
