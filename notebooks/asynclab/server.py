"""A real HTTP server on 127.0.0.1, in its own process, for the download demos.

    from asynclab.server import LocalServer

    with LocalServer(files=20, size=64_000, latency=0.1) as server:
        print(server.url)              # http://127.0.0.1:<free port>
        server.files[0].url            # one file to download
        server.stats()                 # requests seen, most in flight at once

The parent generates the files (deterministic random bytes from ``seed``) in a
temporary folder and starts ``python -m asynclab.server`` to serve them with
aiohttp.  The child binds port 0 (the OS picks a free one) and reports it.
Because the server is another process, its work never shows up in the
learner's event loop or timeline: it behaves like a remote machine.

Some files can be made to misbehave, chosen deterministically by ``seed``:

* ``missing``: listed in the catalogue but absent → ``404``;
* ``flaky``: the first request answers ``503``, later ones succeed (for retries);
* ``slow``: answered after ``slow_latency`` extra seconds (for timeouts).

With ``pages > 0`` it also serves a small linked web site under ``/site/`` and a
``/robots.txt`` for the crawler capstone.

Clean-up: ``stop()`` (or leaving the ``with`` block) ends the process and
removes the folder.  Starting a server with the same ``name`` stops the old
one, so re-running a cell never leaves a server behind; the child also exits
on its own when its parent dies (it watches its stdin).
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = ["FileInfo", "LocalServer"]

Kind = Literal["ok", "missing", "flaky", "slow"]


@dataclass(frozen=True)
class FileInfo:
    """One file in the server's catalogue."""

    name: str
    size: int
    sha256: str
    kind: Kind
    url: str = ""


_running: dict[str, "LocalServer"] = {}


class LocalServer:
    """Serve generated files (and optionally a small site) over real HTTP."""

    def __init__(
        self,
        files: int = 20,
        size: int = 64 * 1024,
        latency: float = 0.05,
        *,
        missing: int = 0,
        flaky: int = 0,
        slow: int = 0,
        slow_latency: float = 2.0,
        pages: int = 0,
        seed: int = 0,
        name: str = "default",
        start_timeout: float = 20.0,
    ) -> None:
        for label, value in (("files", files), ("size", size), ("missing", missing),
                             ("flaky", flaky), ("slow", slow), ("pages", pages)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{label} must be a whole number >= 0, got {value!r}")
        if missing + flaky + slow > files:
            raise ValueError(f"missing + flaky + slow ({missing + flaky + slow}) is more than files ({files})")
        for label, value in (("latency", latency), ("slow_latency", slow_latency)):
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{label} must be a number of seconds >= 0, got {value!r}")
        self.n_files, self.size, self.latency = files, size, float(latency)
        self.missing, self.flaky, self.slow, self.slow_latency = missing, flaky, slow, float(slow_latency)
        self.pages, self.seed, self.name = pages, seed, name
        self.start_timeout = start_timeout
        self.root: Path | None = None
        self.port: int | None = None
        self.files: list[FileInfo] = []
        self._proc: subprocess.Popen | None = None

    # -- life cycle ------------------------------------------------------------
    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the server is not running: use `with LocalServer(...) as server:` or call .start()")
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> "LocalServer":
        """Generate the files, start the server process, wait until it listens."""
        if self.running:
            return self
        old = _running.get(self.name)
        if old is not None and old is not self:
            old.stop()
        self.root = Path(tempfile.mkdtemp(prefix="asynclab-server-"))
        try:
            manifest = self._generate(self.root)
            (self.root / "manifest.json").write_text(json.dumps(manifest))
            package_parent = str(Path(__file__).resolve().parent.parent)
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")])))
            # The child's log goes to a file, never to a pipe nobody reads (a full
            # pipe would block the server once it has logged about 64 KiB).
            with open(self.root / "server.log", "wb") as log:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "asynclab.server", "--root", str(self.root)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env, text=True,
                )
            self.port = self._read_port()
        except BaseException:
            self.stop()
            raise
        base = self.url
        self.files = [FileInfo(**{**f, "url": f"{base}/files/{f['name']}"}) for f in manifest["files"]]
        _running[self.name] = self
        return self

    def _read_port(self) -> int:
        assert self._proc is not None and self._proc.stdout is not None
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self._proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.start_timeout)
        line = box[0] if box else ""
        if not line.startswith("listening "):
            err = ""
            if self._proc.poll() is not None and self.root is not None:
                err = (self.root / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the local server did not start within {self.start_timeout:.0f} s. {err}".strip())
        return int(line.split()[1])

    def stop(self) -> None:
        """End the server process and delete its files. Safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                try:
                    proc.stdin.close()  # type: ignore[union-attr]  # the child exits on EOF
                    proc.wait(timeout=5)
                except (subprocess.TimeoutExpired, OSError):
                    proc.kill()
                    proc.wait(timeout=5)
            for stream in (proc.stdout, proc.stderr, proc.stdin):
                if stream is not None:
                    stream.close()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
        self.port = None
        if _running.get(self.name) is self:
            del _running[self.name]

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    async def __aenter__(self) -> "LocalServer":
        import asyncio

        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc: Any) -> None:
        import asyncio

        await asyncio.to_thread(self.stop)

    def __repr__(self) -> str:
        state = f"serving {self.url}" if self.running else "stopped"
        return f"<LocalServer {self.name!r} {self.n_files} files, latency {self.latency:.2f} s, {state}>"

    # -- data ------------------------------------------------------------------
    def _generate(self, root: Path) -> dict[str, Any]:
        rng = random.Random(self.seed)
        names = [f"file-{i:04d}.bin" for i in range(self.n_files)]
        kinds: list[Kind] = ["missing"] * self.missing + ["flaky"] * self.flaky + ["slow"] * self.slow
        kinds += ["ok"] * (self.n_files - len(kinds))
        rng.shuffle(kinds)
        (root / "files").mkdir()
        files = []
        for name, kind in zip(names, kinds):
            data = rng.randbytes(self.size)
            if kind != "missing":
                (root / "files" / name).write_bytes(data)
            files.append({"name": name, "size": self.size, "sha256": hashlib.sha256(data).hexdigest(), "kind": kind})
        return {"files": files, "latency": self.latency, "slow_latency": self.slow_latency,
                "pages": self.pages, "seed": self.seed}

    def catalogue(self) -> list[dict[str, Any]]:
        return [asdict(f) for f in self.files]

    # -- introspection (plain blocking HTTP: call it outside timed code) --------
    def stats(self) -> dict[str, Any]:
        """Requests seen (in all, ``by_status`` and ``by_path``), and the most
        requests in flight at once (``max_in_flight``)."""
        with urllib.request.urlopen(f"{self.url}/stats", timeout=10) as response:
            return json.load(response)

    def reset_stats(self) -> None:
        request = urllib.request.Request(f"{self.url}/stats/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass


def stop_all() -> None:
    """Stop every server this process started."""
    for server in list(_running.values()):
        server.stop()


atexit.register(stop_all)


# ----------------------------------------------------------------------------
# The server side (runs in the child process)
# ----------------------------------------------------------------------------
def site_pages(count: int, seed: int) -> dict[str, str]:
    """A small deterministic site: page name → HTML with links."""
    rng = random.Random(seed + 1)
    names = ["index.html"] + [f"page-{i:02d}.html" for i in range(1, count)]
    pages = {}
    for i, name in enumerate(names):
        targets = rng.sample(names, k=min(3, len(names)))
        links = [f'<a href="/site/{t}">{t}</a>' for t in targets if t != name]
        if i % 5 == 2:
            links.append(f'<a href="/site/gone-{i}.html">a broken link</a>')
        if i % 7 == 3:
            links.append('<a href="/site/private/secret.html">staff only</a>')
        if i % 4 == 1:
            links.append('<a href="http://example.invalid/elsewhere">another site</a>')
        pages[name] = (f"<!doctype html><html><head><title>{name}</title></head><body>"
                       f"<h1>{name}</h1><p>{' '.join(links)}</p></body></html>")
    pages["private/secret.html"] = "<html><body>Crawlers are asked not to come here.</body></html>"
    return pages


def make_app(root: Path):
    import asyncio

    from aiohttp import web

    manifest = json.loads((root / "manifest.json").read_text())
    kinds = {f["name"]: f["kind"] for f in manifest["files"]}
    latency, slow_latency = manifest["latency"], manifest["slow_latency"]
    pages = site_pages(manifest["pages"], manifest["seed"]) if manifest["pages"] else {}
    files_dir = (root / "files").resolve()
    stats: dict[str, Any] = {"requests": 0, "in_flight": 0, "max_in_flight": 0, "by_status": {}, "by_path": {}}
    seen: set[str] = set()

    @web.middleware
    async def count(request: web.Request, handler):
        if request.path.startswith("/stats"):
            return await handler(request)
        stats["requests"] += 1
        stats["by_path"][request.path] = stats["by_path"].get(request.path, 0) + 1
        stats["in_flight"] += 1
        stats["max_in_flight"] = max(stats["max_in_flight"], stats["in_flight"])
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            stats["in_flight"] -= 1
            stats["by_status"][str(status)] = stats["by_status"].get(str(status), 0) + 1

    async def listing(request: web.Request) -> web.Response:
        return web.json_response(manifest["files"])

    async def one_file(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        target = (files_dir / name).resolve()
        if not target.is_relative_to(files_dir) or "/" in name or "\\" in name:
            raise web.HTTPForbidden(text="refused: that path is outside the served folder\n")
        kind = kinds.get(name)
        await asyncio.sleep(latency + (slow_latency if kind == "slow" else 0.0))
        if kind == "flaky" and name not in seen:
            seen.add(name)
            raise web.HTTPServiceUnavailable(text="busy, try again\n")
        if kind is None or kind == "missing" or not target.is_file():
            raise web.HTTPNotFound(text=f"no file called {name}\n")
        return web.Response(body=target.read_bytes(), content_type="application/octet-stream")

    async def sleep_for(request: web.Request) -> web.Response:
        try:
            seconds = float(request.query.get("seconds", "1"))
        except ValueError:
            seconds = math.nan
        if not math.isfinite(seconds) or seconds < 0:
            raise web.HTTPBadRequest(text="seconds must be a number >= 0, e.g. /sleep?seconds=0.5\n")
        seconds = min(seconds, 30.0)
        await asyncio.sleep(seconds)
        return web.Response(text=f"slept {seconds:.2f} s\n")

    async def site(request: web.Request) -> web.Response:
        await asyncio.sleep(latency)
        page = pages.get(request.match_info["page"] or "index.html")
        if page is None:
            raise web.HTTPNotFound(text="no such page\n")
        return web.Response(text=page, content_type="text/html")

    async def robots(request: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nDisallow: /site/private/\nCrawl-delay: 0\n")

    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response(stats)

    async def reset_stats(request: web.Request) -> web.Response:
        stats.update(requests=0, max_in_flight=stats["in_flight"], by_status={}, by_path={})
        seen.clear()
        return web.json_response(stats)

    app = web.Application(middlewares=[count])
    app.router.add_get("/files/", listing)
    app.router.add_get("/files/{name:.+}", one_file)
    app.router.add_get("/sleep", sleep_for)
    app.router.add_get("/robots.txt", robots)
    app.router.add_get("/site/{page:.*}", site)
    app.router.add_get("/stats", get_stats)
    app.router.add_post("/stats/reset", reset_stats)
    return app


async def serve(root: Path) -> None:
    """Run until stdin closes (the parent stopped us or died)."""
    import asyncio

    from aiohttp import web

    # Stop promptly: requests still sleeping (e.g. /sleep?seconds=5) are dropped
    # after a short grace period instead of being waited for.
    runner = web.AppRunner(make_app(root), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=2048)
    await site.start()
    port = runner.addresses[0][1]
    print(f"listening {port}", flush=True)
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, sys.stdin.read)  # returns at EOF
    finally:
        await runner.cleanup()


def _prepare_error_logging() -> None:
    """Load now what logging a traceback needs, while file descriptors are free.

    When the server runs out of descriptors, asyncio logs each failed accept with
    its traceback.  From Python 3.15 ``traceback`` imports ``_colorize`` lazily, on
    the first traceback it prints; with no descriptor left that import fails and
    logging prints "--- Logging error ---" instead of the message.  Formatting one
    traceback up front loads every module involved."""
    import logging
    import traceback

    try:
        import _colorize  # noqa: F401  (Python 3.13+; imported lazily by traceback from 3.15)
    except ImportError:
        pass
    try:
        raise OSError(24, "Too many open files (warm-up)")
    except OSError as exc:
        traceback.format_exception(exc)
        logging.Formatter().formatException((type(exc), exc, exc.__traceback__))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a folder made by LocalServer (internal).")
    parser.add_argument("--root", required=True, type=Path)
    args = parser.parse_args(argv)
    import asyncio

    _prepare_error_logging()

    asyncio.run(serve(args.root))


if __name__ == "__main__":
    main()
