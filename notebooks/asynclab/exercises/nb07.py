"""Checks for notebook 07, "Real world: downloading many files".

Each ``check_*`` prints one line, ``✅ ...`` or ``❌ Not yet: ...``, and returns
a :class:`asynclab.check.Verdict`.  A learner's wrong answer never raises; the
learner's code is run inside the check and any error it raises is explained.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Callable, Sequence

import aiohttp

from ..check import Verdict, report
from ..downloads import check_bodies, sha256
from ..server import FileInfo, LocalServer
from ..timeline import Recording, seconds

__all__ = ["RETRY_CASES", "check_bounded", "check_really_concurrent", "check_should_retry"]


def _has_coroutine(values: Any) -> bool:
    if not isinstance(values, (list, tuple)):
        return False
    found = False
    for value in values:
        if inspect.iscoroutine(value):
            value.close()  # silence "never awaited": the message says it
            found = True
    return found


def _explain_error(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, (TypeError, AttributeError)) and "ellipsis" in text:
        return ("a `...` blank is still in your code (Python says: "
                f"{type(exc).__name__}: {text}). Replace every `...` and run the cell again.")
    return f"your code raised {type(exc).__name__}: {text}".rstrip(": ")


# -- Exercise: bounded concurrency -----------------------------------------------------------

async def check_bounded(download_bounded: Callable[..., Any], server: LocalServer, limit: Any,
                        count: int = 12) -> Verdict:
    """Run ``download_bounded(session, names, limit)`` on the first ``count``
    files of ``server`` and check it.

    Right when every file arrives intact, in order, and the server saw more
    than one request at once but never more than ``limit``: more means the
    limit did not hold, one means the downloads ran one after another.  (How
    close to ``limit`` the server gets depends on the machine's load, so it is
    not checked.)  ``limit`` must be a whole number
    from 2 to one less than the number of files, so that the bound matters.
    """
    files = server.files[:count]
    if limit is ...:
        return report(False, "", "`LIMIT` is still `...`. Set it to how many downloads may run at once, e.g. 3.")
    if not isinstance(limit, int) or isinstance(limit, bool):
        return report(False, "", f"`LIMIT` should be a whole number, but it is a {type(limit).__name__}: {limit!r}.")
    if not 2 <= limit < len(files):
        return report(False, "", f"`LIMIT` is {limit}; pick a number from 2 to {len(files) - 1}, "
                                 f"so that some of the {len(files)} downloads overlap and some must wait.")
    if download_bounded is ... or not callable(download_bounded):
        return report(False, "", "`download_bounded` should be the function you defined with `async def`.")
    if not inspect.iscoroutinefunction(download_bounded):
        return report(False, "", "`download_bounded` is a plain `def` function. Define it with `async def` "
                                 "so it can await the downloads.")
    names = [f.name for f in files]
    await asyncio.to_thread(server.reset_stats)
    try:
        async with aiohttp.ClientSession(base_url=server.url,
                                         timeout=aiohttp.ClientTimeout(total=30)) as session:
            result = await download_bounded(session, names, limit)
    except Exception as exc:  # the learner's error, explained
        return report(False, "", _explain_error(exc))
    stats = await asyncio.to_thread(server.stats)
    seen = stats["max_in_flight"]
    if inspect.iscoroutine(result):
        result.close()
        return report(False, "", "download_bounded returned a coroutine: `await` the gather inside it.")
    if _has_coroutine(result):
        return report(False, "", "the list holds coroutine objects instead of bytes: "
                                 "a call to fetch(...) is missing its `await`.")
    if result is None or not isinstance(result, (list, tuple)):
        return report(False, "", f"download_bounded returned {type(result).__name__}, expected the list of "
                                 "downloaded bytes. Did you `return await asyncio.gather(...)`?")
    if seen > limit:
        return report(False, "", f"the server saw {seen} downloads at once, more than your limit of {limit}. "
                                 "Make ONE Semaphore(limit) shared by all downloads (not one per download) "
                                 "and put every request inside `async with` it.")
    if seen <= 1:
        return report(False, "", "the server saw only one download at a time: they ran one after another. "
                                 "Start them all with asyncio.gather and let the Semaphore hold the extra ones back.")
    problems = check_bodies(files, list(result))
    if problems:
        got = sorted(sha256(r) for r in result if isinstance(r, (bytes, bytearray)))
        if len(result) == len(files) and got == sorted(f.sha256 for f in files):
            return report(False, "", "every file arrived, but not in the order of `names`. "
                                     "asyncio.gather returns results in the order you passed the "
                                     "awaitables: return what gather gives you.")
        return report(False, "", f"the downloads are not what the server sent: {problems[0]}"
                                 + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "") + ".")
    return report(True, f"all {len(files)} files arrived intact; the server saw several downloads at once, "
                        f"but never more than {limit}.", "")


# -- Exercise: the secretly sequential downloader -----------------------------------------------

def check_really_concurrent(rec: Recording, files: Sequence[FileInfo]) -> Verdict:
    """Right when the recorded downloads overlapped, nothing blocked the loop,
    and ``rec.result`` holds the bodies of ``files`` in order.

    The typical wrong answer calls ``urllib.request.urlopen`` (or another
    blocking client) inside ``async def``: the timeline then shows one blocked
    step per download and no two downloads waiting at the same time.
    """
    if rec is ...:
        return report(False, "", "`rec` is still `...`. Write `rec = await measure(...)`.")
    if inspect.iscoroutine(rec):
        rec.close()
        return report(False, "", "`rec` is a coroutine: write `await measure(...)` to run and record it.")
    if not isinstance(rec, Recording):
        raise TypeError(f"check_really_concurrent needs a Recording from `await measure(...)`, "
                        f"got {type(rec).__name__}")
    if not rec.spans:
        return report(False, "", f"nothing was recorded in {rec.title!r}: did the code inside measure() run?")
    if _has_coroutine(rec.result):
        return report(False, "", "the results are coroutine objects, not bytes: an `await` is missing "
                                 "(for instance before asyncio.to_thread(...)).")
    blocked = rec.blocking_spans()
    if blocked:
        lanes = sorted({s.lane for s in blocked})
        longest = max(s.duration for s in blocked)
        return report(False, "", f"{len(blocked)} step(s) blocked the event loop (the longest for "
                                 f"{seconds(longest)}, in {lanes[0]}{' and others' if len(lanes) > 1 else ''}). "
                                 "urllib.request.urlopen is an ordinary blocking call: while it waits for the "
                                 "server, the loop's only thread is stuck inside it, so no other download can "
                                 "start. gather created all the tasks, but they ran one after another. Use an "
                                 "async client (aiohttp) or move the call to a thread with "
                                 "`await asyncio.to_thread(...)`.")
    waiting_together = rec.max_overlap("wait")
    if waiting_together < 2:
        return report(False, "", "no two downloads were waiting at the same time: they ran one after another. "
                                 "Start them together (asyncio.gather) and make each one `await` its wait.")
    problems = check_bodies(files, list(rec.result) if isinstance(rec.result, (list, tuple)) else [])
    if problems:
        return report(False, "", f"the downloads overlapped, but the results are wrong: {problems[0]}. "
                                 "Return each file's bytes, in the order of the URLs.")
    return report(True, f"{waiting_together} downloads waited at the same time and no step blocked "
                        "the event loop: the downloads are really concurrent now.", "")


# -- Exercise: which answers deserve a retry? ---------------------------------------------------

#: status → (retry?, why), the cases ``check_should_retry`` tries in this order.
RETRY_CASES: dict[int, tuple[bool, str]] = {
    404: (False, "404 Not Found means the file is not there: asking again gets the same answer "
                 "and only adds load on the server"),
    503: (True, "503 Service Unavailable means the server is busy or restarting right now: "
                "the same request may well succeed after a short pause"),
    429: (True, "429 Too Many Requests asks you to slow down and come back later "
                "(often with a Retry-After header): wait, then retry"),
    403: (False, "403 Forbidden will not change by asking again: you are not allowed to have it"),
    500: (True, "500 Internal Server Error is often a passing fault on the server's side: "
                "a retry or two is reasonable"),
    400: (False, "400 Bad Request means your request itself is wrong: sending it again changes nothing"),
    502: (True, "502 Bad Gateway comes from a proxy whose server did not answer: often passing, worth a retry"),
    504: (True, "504 Gateway Timeout is a passing fault between proxy and server: worth a retry"),
    410: (False, "410 Gone says the file was removed for good"),
}


def check_should_retry(should_retry: Callable[[int], Any]) -> Verdict:
    """Right when ``should_retry(status)`` is True for passing server-side
    trouble (429, 500, 502, 503, 504) and False for answers that will not
    change (400, 403, 404, 410)."""
    if should_retry is ... or not callable(should_retry):
        return report(False, "", "`should_retry` should be a function that takes a status number "
                                 "and returns True or False.")
    if inspect.iscoroutinefunction(should_retry):
        return report(False, "", "`should_retry` only looks at a number and never waits: "
                                 "make it a plain `def`, not `async def`.")
    for status, (wanted, why) in RETRY_CASES.items():
        try:
            answer = should_retry(status)
        except Exception as exc:
            return report(False, "", f"should_retry({status}) raised {type(exc).__name__}: {exc}")
        if answer is ...:
            return report(False, "", "should_retry still returns `...`. Replace it with your rule.")
        if not isinstance(answer, bool):
            return report(False, "", f"should_retry({status}) returned {answer!r}; return True or False.")
        if answer != wanted:
            return report(False, "", f"should_retry({status}) is {answer}, but {why}.")
    return report(True, "retry 429 and 5xx (passing trouble), never 400/403/404/410 "
                        "(the answer will not change).", "")
