"""Download machinery shared by notebook 07 and ``scripts/benchmark_downloads.py``.

The *lesson* versions of these downloaders are written out in notebook 07, one
idea per cell.  This module holds the same strategies in one tested place so
that the benchmark (and later notebooks) can reuse them, plus small helpers
that are machinery rather than lesson: a plain-text table, checking downloaded
bytes or files against the server's catalogue, and measuring a run together
with what the server saw.

Every strategy takes a list of URLs and returns the bodies in the same order:

* :func:`sequential` — one request after another (one ``aiohttp`` session);
* :func:`gather_all` — every request at once with ``asyncio.gather``;
* :func:`bounded` — at most ``limit`` requests at once (``asyncio.Semaphore``);
* :func:`threaded` — a ``ThreadPoolExecutor`` of blocking ``urllib`` calls.

The async ones need an ``aiohttp.ClientSession``; :func:`open_session` makes
one without aiohttp's default cap of 100 connections, so that ``gather_all``
really has every request in flight and the Semaphore is the only bound.

For notebook 11's crawler: :func:`links_in` (the links of a page) and :func:`site_map`
(what a polite crawl of the local site finds).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Awaitable, Iterable, Iterator, Sequence
from urllib.parse import urldefrag, urljoin, urlsplit

import aiohttp

from .server import FileInfo, LocalServer, site_pages
from .timeline import Recording, measure

__all__ = [
    "RequestLog",
    "SiteMap",
    "links_in",
    "site_map",
    "watch_requests",
    "bodies_problem",
    "bounded",
    "check_bodies",
    "check_folder",
    "fetch",
    "format_table",
    "gather_all",
    "in_flight_problem",
    "lanes_by_file",
    "measure_with_stats",
    "open_session",
    "print_table",
    "raise_open_file_limit",
    "sequential",
    "sha256",
    "threaded",
]


# -- the strategies -----------------------------------------------------------------

def open_session(*, limit: int = 0, timeout: float | None = 60.0, **kwargs: Any) -> aiohttp.ClientSession:
    """A ``ClientSession`` whose connector allows ``limit`` connections (0 = no cap).

    aiohttp's default connector allows 100 connections per session, which
    would silently bound every "unbounded" run at 100 in flight.
    """
    connector = aiohttp.TCPConnector(limit=limit)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    return aiohttp.ClientSession(connector=connector, timeout=client_timeout, **kwargs)


async def fetch(session: aiohttp.ClientSession, url: str) -> bytes:
    """GET ``url`` and return the body; raise ``aiohttp.ClientResponseError`` on 4xx/5xx."""
    async with session.get(url) as response:
        response.raise_for_status()
        return await response.read()


async def sequential(session: aiohttp.ClientSession, urls: Sequence[str]) -> list[bytes]:
    """Download one URL after another."""
    return [await fetch(session, url) for url in urls]


async def gather_all(session: aiohttp.ClientSession, urls: Sequence[str]) -> list[bytes]:
    """Start every download at once and wait for all of them."""
    return list(await asyncio.gather(*(fetch(session, url) for url in urls)))


async def bounded(session: aiohttp.ClientSession, urls: Sequence[str], limit: int) -> list[bytes]:
    """Like :func:`gather_all`, with at most ``limit`` requests in flight."""
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ValueError(f"limit must be a whole number >= 1, got {limit!r}")
    gate = asyncio.Semaphore(limit)

    async def one(url: str) -> bytes:
        async with gate:
            return await fetch(session, url)

    return list(await asyncio.gather(*(one(url) for url in urls)))


def _get_blocking(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def threaded(urls: Sequence[str], workers: int, timeout: float = 60.0) -> list[bytes]:
    """Download with ``workers`` threads, each making blocking ``urllib`` requests.

    A plain function: from async code call it with ``await asyncio.to_thread(...)``.
    Raises ``urllib.error.HTTPError`` for 4xx/5xx, like :func:`fetch` raises.
    """
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers must be a whole number >= 1, got {workers!r}")
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="download") as pool:
        return list(pool.map(lambda url: _get_blocking(url, timeout), urls))


# -- checking what arrived --------------------------------------------------------------

def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def check_bodies(files: Sequence[FileInfo], bodies: Sequence[Any]) -> list[str]:
    """Problems, in words, with ``bodies`` as downloads of ``files`` (same order).

    An empty list means every body has the catalogue's size and SHA-256.
    """
    if len(bodies) != len(files):
        return [f"expected {len(files)} downloads, got {len(bodies)}"]
    problems = []
    for info, body in zip(files, bodies):
        if not isinstance(body, (bytes, bytearray)):
            problems.append(f"{info.name}: got a {type(body).__name__}, not bytes")
        elif len(body) != info.size:
            problems.append(f"{info.name}: {len(body)} bytes, expected {info.size}")
        elif sha256(body) != info.sha256:
            problems.append(f"{info.name}: the bytes differ from the server's (SHA-256 mismatch)")
    return problems


def bodies_problem(files: Sequence[FileInfo], bodies: Any) -> str | None:
    """What is wrong, for a learner, with ``bodies`` as the downloads of ``files`` in order (None: nothing)."""
    if not isinstance(bodies, (list, tuple)):
        return f"the code returned {type(bodies).__name__}, expected the list of downloaded bytes."
    problems = check_bodies(files, list(bodies))
    if not problems:
        return None
    got = sorted(sha256(r) for r in bodies if isinstance(r, (bytes, bytearray)))
    if len(bodies) == len(files) and got == sorted(f.sha256 for f in files):
        return ("every file arrived, but not in the order they were asked for: asyncio.gather returns results "
                "in the order you passed the awaitables.")
    return f"the downloads are not what the server sent: {problems[0]}."


def in_flight_problem(seen: int, limit: int) -> str | None:
    """What is wrong, for a learner, when the server saw at most ``seen`` requests at once under ``limit``."""
    if seen > limit:
        return (f"the server saw {seen} requests at once, more than the limit of {limit}. Make ONE "
                "Semaphore(limit), from the `limit` argument, shared by all the requests (not one per request), "
                "and put every request inside `async with` it.")
    if seen <= 1:
        return ("the server saw only one request at a time: they ran one after another. Start them all with "
                "asyncio.gather and let the Semaphore hold the extra ones back.")
    return None


def check_folder(files: Iterable[FileInfo], folder: str | os.PathLike) -> dict[str, str]:
    """For each file, what is in ``folder``: ``"ok"``, ``"absent"``, ``"wrong size"``
    or ``"wrong sha256"`` (compared with the server's catalogue)."""
    verdicts = {}
    for info in files:
        path = Path(folder) / info.name
        if not path.is_file():
            verdicts[info.name] = "absent"
            continue
        data = path.read_bytes()
        if len(data) != info.size:
            verdicts[info.name] = "wrong size"
        elif sha256(data) != info.sha256:
            verdicts[info.name] = "wrong sha256"
        else:
            verdicts[info.name] = "ok"
    return verdicts


# -- measuring a run together with the server's view ------------------------------------

async def measure_with_stats(server: LocalServer, title: str, coro: Awaitable[Any]) -> tuple[Recording, dict]:
    """Reset the server's counters, ``measure()`` the coroutine, read the counters.

    Returns ``(recording, stats)``; ``stats["max_in_flight"]`` is the most
    requests the *server* saw at once during the run.  The stats calls are
    blocking HTTP requests, so they run in a thread, outside the measured code.
    """
    await asyncio.to_thread(server.reset_stats)
    recording = await measure(title, coro)
    stats = await asyncio.to_thread(server.stats)
    return recording, stats


_FILE_IN_LABEL = re.compile(r"'([^'/]+\.bin)'")


def lanes_by_file(rec: Recording) -> Recording:
    """A copy of ``rec`` with one lane per file, named after the file.

    ``measure()`` names a task's lane after the call it runs, such as
    ``download_one(…, 'file-0003.bin')``.  Here every lane (and segment) whose
    label quotes a ``.bin`` file name is named ``file-0003.bin`` instead;
    other lanes (the measured coroutine itself) keep their name.  Spans, wall
    time, outcomes and result are copied unchanged: it is the same
    measurement, labelled by file.
    """
    def lane_of(label: str) -> str:
        found = _FILE_IN_LABEL.search(label)
        return found.group(1) if found else label

    return rec.subset(rec.lanes, rename=lane_of)


# -- printing -----------------------------------------------------------------------------

def format_table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain-text table: columns padded, numbers right-aligned."""
    rows = [["" if v is None else str(v) for v in row] for row in rows]
    headers = [str(h) for h in headers]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"row {row} has {len(row)} values for {len(headers)} columns")
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def numeric(column: int) -> bool:
        values = [r[column] for r in rows if r[column]]
        return bool(values) and all(_looks_numeric(v) for v in values)

    right = [numeric(i) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        cells = [v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right)]
        return "  ".join(cells).rstrip()

    out = [line(headers), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return "\n".join(out)


def _looks_numeric(text: str) -> bool:
    stripped = text.rstrip("×s%").strip()
    try:
        float(stripped)
    except ValueError:
        return False
    return True


def print_table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> None:
    """Print :func:`format_table`."""
    print(format_table(rows, headers))


# -- limits -------------------------------------------------------------------------------

def raise_open_file_limit(wanted: int) -> tuple[int, int]:
    """Raise this process's soft limit on open files towards ``wanted``.

    Each connection is a file descriptor, in the client and in the server (a
    child process started afterwards inherits the limit).  Many systems start
    with a soft limit of 1,024 (macOS: 256), too few for 1,000 connections
    plus the rest.  Returns ``(soft, hard)`` after the change; the soft limit
    never goes above the hard one.  On systems without ``resource`` (Windows)
    nothing changes and ``(-1, -1)`` is returned.
    """
    try:
        import resource
    except ImportError:  # Windows
        return -1, -1
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    return soft, hard


#: Hosts on this machine: the only ones a request may go to.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


# --------------------------------------------------------------------------
# Watching the requests of aiohttp sessions
# --------------------------------------------------------------------------
@dataclass
class Request:
    """One request an ``aiohttp.ClientSession`` was asked to make."""

    method: str
    url: str
    session: Any = field(repr=False)
    timeout: Any = field(repr=False)  # the ClientTimeout in force, or None for no limit
    refused: bool = False

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


@dataclass
class RequestLog:
    """Every request made through any ``aiohttp.ClientSession`` while watched."""

    requests: list[Request] = field(default_factory=list)

    @property
    def sessions(self) -> list[Any]:
        """The distinct sessions that made requests (kept alive, so ids stay unique)."""
        out: list[Any] = []
        for r in self.requests:
            if not any(r.session is s for s in out):
                out.append(r.session)
        return out

    @property
    def local(self) -> list[Request]:
        return [r for r in self.requests if not r.refused]

    @property
    def refused(self) -> list[Request]:
        return [r for r in self.requests if r.refused]


_MISSING = object()


def _timeout_in_force(session: Any, given: Any) -> Any:
    import aiohttp

    if given is _MISSING:
        return getattr(session, "timeout", None)
    if given is None or isinstance(given, aiohttp.ClientTimeout):
        return given
    return aiohttp.ClientTimeout(total=given)


async def _refuse(message: str) -> Any:
    import aiohttp

    raise aiohttp.ClientConnectionError(message)


@contextlib.contextmanager
def watch_requests() -> Iterator[RequestLog]:
    """Note every request of every ``aiohttp.ClientSession`` inside the block.

    A request to a host that is not this machine is refused before any
    connection or DNS lookup, with ``aiohttp.ClientConnectionError`` (the kind of
    error a real unreachable host gives).  The patch on
    ``ClientSession._request`` is removed when the block ends.
    """
    import aiohttp
    from yarl import URL

    log = RequestLog()
    original = aiohttp.ClientSession._request

    def _request(self: aiohttp.ClientSession, method: str, str_or_url: Any, *args: Any, **kwargs: Any):
        # A plain function that returns aiohttp's own coroutine: no frame of ours
        # stays on the stack while the request waits, so timelines are unchanged.
        url = str(str_or_url)
        base = getattr(self, "_base_url", None)
        if base is not None and not urlsplit(url).scheme:
            url = str(base.join(URL(url)))
        entry = Request(method.upper(), url, self, _timeout_in_force(self, kwargs.get("timeout", _MISSING)))
        log.requests.append(entry)
        if entry.host not in LOCAL_HOSTS:
            entry.refused = True
            return _refuse(f"refused by the course: {entry.host or url} is not on this machine, "
                           "and there is no network here")
        return original(self, method, str_or_url, *args, **kwargs)

    aiohttp.ClientSession._request = _request  # type: ignore[method-assign]
    try:
        yield log
    finally:
        aiohttp.ClientSession._request = original  # type: ignore[method-assign]


# -- the capstone's site (notebook 11), as a crawler sees it --------------------------
class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [value for name, value in attrs if tag == "a" and name == "href" and value]


def links_in(html: str, page_url: str) -> list[str]:
    """The absolute URLs the ``<a href>`` links of ``html`` point to, resolved against
    ``page_url``, without ``#fragments`` or repeats, in order.

    >>> links_in('<a href="/b.html">b</a> <a href="c.html#top">c</a>', "http://h/site/a.html")
    ['http://h/b.html', 'http://h/site/c.html']
    """
    parser = _Anchors()
    parser.feed(html)
    return list(dict.fromkeys(urldefrag(urljoin(page_url, href)).url for href in parser.hrefs))


@dataclass(frozen=True)
class SiteMap:
    """What a correct crawl finds: ``reachable`` maps each page path reachable from the start page
    (same host, not disallowed) to a page linking to it; ``broken`` does the same for dead links."""

    reachable: dict[str, str | None]
    broken: dict[str, str]
    disallowed: str = "/site/private/"


def site_map(pages: int, seed: int, start: str = "/site/index.html") -> SiteMap:
    """Crawl the site's recipe (no HTTP) the way the rules say a crawler should."""
    recipe, reachable, broken, todo = site_pages(pages, seed), {start: None}, {}, [start]
    while todo:
        path = todo.pop(0)
        for url in links_in(recipe[path.removeprefix("/site/")], "http://127.0.0.1" + path):
            parts = urlsplit(url)
            if parts.netloc != "127.0.0.1" or parts.path.startswith("/site/private/") \
                    or parts.path in reachable or parts.path in broken:
                continue
            if parts.path.removeprefix("/site/") in recipe:
                reachable[parts.path] = path
                todo.append(parts.path)
            else:
                broken[parts.path] = path
    return SiteMap(reachable, broken)
