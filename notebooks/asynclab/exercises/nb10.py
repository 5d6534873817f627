"""Checks and helpers for notebook 10, "Conclusion and capstone".

The capstone is a polite crawler of the small site that
:class:`asynclab.server.LocalServer` serves with ``pages=...``.  The pieces:

* :func:`links_in` pulls the links out of a page (HTML parsing is not the lesson);
* :func:`site_map` works out, from the server's own recipe
  (:func:`asynclab.server.site_pages`), which pages a correct crawler must find and
  which links are broken;
* :func:`run_crawler` runs the learner's crawler under :func:`asynclab.measure`
  while noting every request its ``aiohttp.ClientSession`` makes.  It refuses
  any request to a host other than this machine (there is no network here), stops
  a crawler that runs too long, and never raises for the learner's mistakes;
* :func:`check_crawl` compares what happened with the rules, using the request
  log and the server's own counts (``server.stats()``), and prints ``✅`` or
  ``❌ Not yet:`` with every reason.

    with LocalServer(files=0, pages=30, latency=0.05) as server:
        run = await nb10.run_crawler(crawl(server.url + "/site/index.html", limit=4))
        nb10.check_crawl(run, server, limit=4)

There is also :func:`check_quiz` for the "spot the pitfall" quiz.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import sysconfig
import traceback
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Coroutine, Iterator
from urllib.parse import urldefrag, urljoin, urlsplit

from ..check import Verdict, report
from ..server import site_pages
from ..timeline import Recording, measure

__all__ = [
    "QUIZ_CHOICES",
    "CrawlRun",
    "Request",
    "RequestLog",
    "SiteMap",
    "check_crawl",
    "check_quiz",
    "crash_message",
    "crawl_problems",
    "links_in",
    "run_crawler",
    "site_map",
    "watch_requests",
]

#: Hosts on this machine: the only ones a request may go to.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

#: A request timeout longer than this (seconds) does not count as "a timeout".
LONGEST_SENSIBLE_TIMEOUT = 60.0


# --------------------------------------------------------------------------
# Links and the site's true shape
# --------------------------------------------------------------------------
class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            for name, value in attrs:
                if name == "href" and value:
                    self.hrefs.append(value)


def links_in(html: str, page_url: str) -> list[str]:
    """The absolute URLs that the ``<a href>`` links of ``html`` point to.

    Relative links are resolved against ``page_url`` and ``#fragments`` dropped,
    so the same page is always spelled the same way.  Order is kept, repeats
    are removed.

    >>> links_in('<a href="/b.html">b</a> <a href="c.html#top">c</a>', "http://h/site/a.html")
    ['http://h/b.html', 'http://h/site/c.html']
    """
    parser = _Anchors()
    parser.feed(html)
    out: list[str] = []
    for href in parser.hrefs:
        url = urldefrag(urljoin(page_url, href)).url
        if url not in out:
            out.append(url)
    return out


@dataclass(frozen=True)
class SiteMap:
    """What a correct crawl of the site finds.

    ``reachable`` maps each page path reachable from the start page (without
    leaving the host or entering a disallowed folder) to the path of a page that
    links to it; ``broken`` does the same for links that lead to no page.
    """

    reachable: dict[str, str | None]
    broken: dict[str, str]
    disallowed: str = "/site/private/"


def site_map(pages: int, seed: int, start: str = "/site/index.html") -> SiteMap:
    """Crawl the site's recipe (no HTTP) the way the rules say a crawler should."""
    recipe = site_pages(pages, seed)
    base = "http://127.0.0.1"
    reachable: dict[str, str | None] = {start: None}
    broken: dict[str, str] = {}
    todo = [start]
    while todo:
        path = todo.pop(0)
        for url in links_in(recipe[path.removeprefix("/site/")], base + path):
            parts = urlsplit(url)
            if parts.netloc != "127.0.0.1" or parts.path.startswith("/site/private/"):
                continue
            if parts.path in reachable or parts.path in broken:
                continue
            if parts.path.removeprefix("/site/") in recipe:
                reachable[parts.path] = path
                todo.append(parts.path)
            else:
                broken[parts.path] = path
    return SiteMap(reachable, broken)


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


# --------------------------------------------------------------------------
# Running the learner's crawler
# --------------------------------------------------------------------------
@dataclass
class CrawlRun:
    """What happened when the crawler ran.

    ``recording`` is its timeline (``None`` if it raised or was stopped),
    ``error`` the exception it raised, ``timed_out`` whether it had to be
    stopped, ``leftovers`` how many of its tasks were still running when it
    returned (they were cancelled), ``problem`` a message when the check was
    given something that is not a coroutine.
    """

    log: RequestLog = field(default_factory=RequestLog)
    recording: Recording | None = None
    error: Exception | None = None
    timed_out: bool = False
    time_limit: float = 0.0
    leftovers: int = 0
    problem: str | None = None

    @property
    def result(self) -> Any:
        return None if self.recording is None else self.recording.result


async def run_crawler(coro: Coroutine[Any, Any, Any], *, title: str = "crawler",
                      time_limit: float = 20.0) -> CrawlRun:
    """Run ``coro`` under :func:`measure` while watching its requests.

    Never raises for the learner's code: an exception is kept in ``error``; a
    crawler still running after ``time_limit`` seconds is cancelled; tasks it
    left running are cancelled and awaited, so nothing outlives the cell.
    """
    run = CrawlRun(time_limit=time_limit)
    if coro is ...:
        run.problem = "`...` was given instead of the crawl coroutine, crawl(start_url)."
        return run
    if inspect.iscoroutinefunction(coro):
        run.problem = "run_crawler got the function itself; call it: run_crawler(crawl(start_url))."
        return run
    if not inspect.iscoroutine(coro):
        run.problem = f"run_crawler needs a coroutine such as crawl(start_url), got {type(coro).__name__}."
        return run

    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()
    created: list[asyncio.Task] = []

    def noting_factory(loop: asyncio.AbstractEventLoop, inner: Any, **kwargs: Any) -> asyncio.Future:
        task = previous(loop, inner, **kwargs) if previous is not None else asyncio.Task(inner, loop=loop, **kwargs)
        if asyncio.current_task() in ours:  # started by the crawler, not by someone else on the loop
            created.append(task)
            ours.add(task)
        return task

    ours: set[asyncio.Future] = set()
    with watch_requests() as log:
        run.log = log
        loop.set_task_factory(noting_factory)  # measure() chains to it, so every task is noted
        try:
            measuring = asyncio.ensure_future(measure(title, coro))
            ours.add(measuring)
            done, _ = await asyncio.wait({measuring}, timeout=time_limit)
            if not done:
                run.timed_out = True
                measuring.cancel()
                await asyncio.wait({measuring})
        finally:
            loop.set_task_factory(previous)
        if run.timed_out:
            pass  # measuring was cancelled: no recording, no error of the learner's
        elif measuring.exception() is not None:
            exc = measuring.exception()
            if not isinstance(exc, Exception):
                raise exc
            run.error = exc
        else:
            run.recording = measuring.result()
        pending = [t for t in created if not t.done()]
        run.leftovers = 0 if run.timed_out else len(pending)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5)
    return run


# --------------------------------------------------------------------------
# Explaining what went wrong
# --------------------------------------------------------------------------
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__))) + os.sep
_LIBRARY_DIRS = tuple(
    {os.path.realpath(p) + os.sep for key in ("stdlib", "platstdlib", "purelib", "platlib")
     if (p := sysconfig.get_paths().get(key))}
)


def _is_learner_file(filename: str) -> bool:
    if filename.startswith("<"):
        return True
    real = os.path.realpath(filename)
    return not real.startswith(_LIBRARY_DIRS) and not real.startswith(_PACKAGE_DIR)


def _leaf(exc: BaseException) -> BaseException:
    """The first plain exception inside (possibly nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def crash_message(exc: BaseException) -> str:
    """``TypeError: ... at the line `...` `` in plain words, pointing at the learner's line."""
    leaf = _leaf(exc)
    frames = [f for f in traceback.extract_tb(leaf.__traceback__) if _is_learner_file(f.filename)]
    line = (frames[-1].line or "").strip() if frames else ""
    text = f"your crawler stopped with {type(leaf).__name__}: {leaf}"
    if line:
        text += f", at the line `{line}`"
    if "..." in line or "ellipsis" in str(leaf):
        text += ". That `...` is a blank still to fill in"
    return text + "."


def _paths(value: Any) -> set[str] | None:
    """Paths of the URLs in a set/list/dict (keys) of URLs, or None if not a collection."""
    if isinstance(value, dict):
        value = list(value)
    if not isinstance(value, (set, frozenset, list, tuple)):
        return None
    return {urlsplit(str(v)).path or str(v) for v in value}


def _read_result(result: Any) -> tuple[set[str], set[str], str | None]:
    shape = ("crawl() should return a dict {'pages': the URLs it fetched, 'broken': the broken links}; "
             f"it returned {result!r:.80}.")
    if result is ... or not isinstance(result, dict) or not {"pages", "broken"} <= set(result):
        if result is None:
            shape += " Is the `return` line missing?"
        return set(), set(), shape
    pages, broken = _paths(result["pages"]), _paths(result["broken"])
    if pages is None or broken is None:
        return pages or set(), broken or set(), shape
    return pages, broken, None


def _example(paths: set[str], parents: dict[str, Any], fetched: set[str]) -> str:
    """One of ``paths``, preferably one whose linking page was fetched (the most telling)."""
    telling = sorted(p for p in paths if parents.get(p) in fetched)
    first = telling[0] if telling else sorted(paths)[0]
    parent = parents.get(first)
    if first in fetched:
        return f"{first}, which was fetched but is not in the result"
    if parent in fetched:
        return f"{first}, linked from {parent}: that page was fetched, but its link was not followed (look at should_follow)"
    return f"{first} (linked from {parent})" if parent else first


def _has_limit(timeout: Any) -> bool:
    if timeout is None:
        return False
    limits = [getattr(timeout, name, None) for name in ("total", "sock_read")]
    return any(x is not None and 0 < x <= LONGEST_SENSIBLE_TIMEOUT for x in limits)


def crawl_problems(run: CrawlRun, stats: dict[str, Any], site: SiteMap, limit: int) -> list[str]:
    """Every rule the run broke, in plain words (empty when all is well)."""
    if run.problem:
        return [run.problem]
    if run.error is not None:
        return [crash_message(run.error)]
    if run.timed_out:
        return [f"your crawler was still running after {run.time_limit:.0f} s, so it was stopped. Something "
                "waits forever: does every queue.get() get its queue.task_done(), and are the workers "
                "stopped once queue.join() returns?"]
    reasons: list[str] = []
    reported_pages, reported_broken, shape = _read_result(run.result)
    if shape:
        reasons.append(shape)
    log = run.log
    local = log.local
    sessions = log.sessions
    if not sessions:
        reasons.append("no request went through an aiohttp.ClientSession.")
    elif len(sessions) > 1:
        reasons.append(f"{len(sessions)} ClientSessions made requests. Open one session and share it: each "
                       "session has its own pool of connections, and reusing them is what makes it fast.")
    if log.refused:
        hosts = sorted({r.host or r.url for r in log.refused})
        reasons.append(f"it followed links to another host ({', '.join(hosts)}); they were refused here. "
                       "Only follow links whose host is the start page's host.")
    private = sorted({r.path for r in local if r.path.startswith(site.disallowed)})
    if private:
        reasons.append(f"it fetched {private[0]}, which /robots.txt disallows. Ask robots.can_fetch('*', url) "
                       "before queueing a link.")
    robots_read = any(r.path == "/robots.txt" for r in local)
    outside = stats.get("requests", 0) - len(local)
    if outside > 0:
        reasons.append(f"the server got {outside} request(s) that did not go through your ClientSession. If that "
                       "was RobotFileParser.read(), it uses urllib, which blocks the event loop: fetch "
                       "/robots.txt with the session and pass its lines to robots.parse().")
    elif not robots_read:
        reasons.append("it never read /robots.txt, so it cannot know which paths are off limits.")
    counts = Counter(r.path for r in local if r.path != "/robots.txt")
    twice = sorted(p for p, n in counts.items() if n > 1)
    if twice:
        reasons.append(f"{len(twice)} URL(s) were fetched more than once, e.g. {twice[0]} ({counts[twice[0]]} "
                       "times). Mark a URL as seen when you queue it, not when you fetch it: two workers can "
                       "find the same link while the first fetch is still waiting.")
    fetched = {r.path for r in local}
    missing = set(site.reachable) - fetched
    if missing:
        reasons.append(f"{len(missing)} of the {len(site.reachable)} reachable pages were never fetched, "
                       f"e.g. {_example(missing, site.reachable, fetched)}.")
    elif not shape:
        unreported = set(site.reachable) - reported_pages
        if unreported:
            reasons.append(f"{len(unreported)} fetched page(s) are missing from result['pages'], "
                           f"e.g. {sorted(unreported)[0]}.")
    if not shape:
        not_pages = reported_pages - set(site.reachable)
        if not_pages:
            reasons.append(f"result['pages'] lists {len(not_pages)} URL(s) that are not pages of the site, "
                           f"e.g. {sorted(not_pages)[0]}: list only pages that answered 200.")
        unreported_broken = set(site.broken) - reported_broken
        if unreported_broken:
            reasons.append(f"{len(unreported_broken)} of the {len(site.broken)} broken links are missing from "
                           f"result['broken'], e.g. {_example(unreported_broken, site.broken, fetched)}.")
        wrongly_broken = reported_broken & set(site.reachable)
        if wrongly_broken:
            reasons.append(f"result['broken'] lists working pages, e.g. {sorted(wrongly_broken)[0]}.")
    if local and not all(_has_limit(r.timeout) for r in local):
        reasons.append("a request could wait without a sensible limit (aiohttp's default is 5 minutes). "
                       "Give the session a timeout of a few seconds with aiohttp.ClientTimeout(total=...).")
    in_flight = stats.get("max_in_flight", 0)
    if in_flight > limit:
        reasons.append(f"up to {in_flight} requests were in flight at once, more than the limit of {limit}. "
                       f"Start exactly {limit} workers (or hold an asyncio.Semaphore({limit}) around each fetch).")
    elif local and in_flight < 2:
        reasons.append("the server never had two requests in flight at once: the crawl did not overlap. "
                       f"Let {limit} workers fetch at the same time.")
    if run.leftovers:
        reasons.append(f"{run.leftovers} task(s) were still running when crawl() returned (they have been "
                       "cancelled now). Stop the workers before returning.")
    return reasons


def check_crawl(run: CrawlRun, server: Any, limit: int) -> Verdict:
    """Check a crawl of ``server``'s site against every rule of the capstone.

    Call it inside the ``with LocalServer(...)`` block: it reads
    ``server.stats()`` (requests seen, most in flight at once).
    """
    if not isinstance(run, CrawlRun):
        raise TypeError(f"check_crawl needs the CrawlRun from `await nb10.run_crawler(...)`, got {type(run).__name__}")
    stats = server.stats() if not run.problem else {}
    site = site_map(server.pages, server.seed)
    reasons = crawl_problems(run, stats, site, limit)
    if not reasons:
        return report(True, f"all {len(site.reachable)} pages found, all {len(site.broken)} broken links reported, "
                            f"{site.disallowed} left alone, no URL fetched twice, one session, a timeout on every "
                            f"request, and never more than {limit} requests at once.", "")
    if len(reasons) == 1:
        return report(False, "", reasons[0])
    return report(False, "", f"{len(reasons)} things to fix:\n" + "\n".join(f"  • {r}" for r in reasons))


# --------------------------------------------------------------------------
# The "spot the pitfall" quiz
# --------------------------------------------------------------------------
#: The pitfalls a snippet may show, by letter.
QUIZ_CHOICES: dict[str, str] = {
    "A": "forgot `await`: the coroutine never runs",
    "B": "a blocking call inside `async def`: the whole loop stops",
    "C": "awaited one at a time: nothing overlaps",
    "D": "a lost task: started, then neither kept nor awaited",
    "E": "no limit: everything is started at once",
    "F": "cancellation swallowed: the task cannot be stopped",
}

_QUIZ_KEY = {1: "D", 2: "B", 3: "E", 4: "C", 5: "F", 6: "A"}

_QUIZ_HINTS = {
    1: "who keeps a reference to the task, and who will ever see its errors?",
    2: "what does time.sleep do to the other tasks while it sleeps?",
    3: "how many downloads are in flight at once for 50,000 URLs?",
    4: "when does the second download start?",
    5: "what does `except BaseException` catch when someone calls task.cancel()?",
    6: "what is `profile` before anyone awaits it?",
}


def check_quiz(answers: Any) -> Verdict:
    """Right when every snippet (1–6) is matched with the letter of its pitfall."""
    if not isinstance(answers, dict):
        return report(False, "", f"`answers` should be a dict {{snippet number: letter}}, got {type(answers).__name__}.")
    blank = [n for n in _QUIZ_KEY if answers.get(n, ...) is ...]
    if len(blank) == len(_QUIZ_KEY):
        return report(False, "", "every answer is still `...`. Put a letter from A to F for each snippet.")
    wrong: list[str] = []
    for n, right in _QUIZ_KEY.items():
        given = answers.get(n, ...)
        if given is ...:
            continue
        letter = str(given).strip().upper()
        if letter not in QUIZ_CHOICES:
            wrong.append(f"snippet {n}: {given!r} is not one of the letters A to F")
        elif letter != right:
            wrong.append(f"snippet {n}: not {letter}. Ask yourself: {_QUIZ_HINTS[n]}")
    if blank:
        wrong.append(f"still `...`: snippet{'s' if len(blank) > 1 else ''} {', '.join(map(str, blank))}")
    if wrong:
        return report(False, "", "; ".join(wrong) + ".")
    return report(True, f"all {len(_QUIZ_KEY)} pitfalls spotted.", "")
