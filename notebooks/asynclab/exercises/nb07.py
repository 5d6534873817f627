"""Checks for notebook 07, "Real world: downloading many files" (each prints one ✅ or ❌ line)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Callable, Sequence

import aiohttp

from .. import check
from ..check import Verdict, report
from ..downloads import bodies_problem, in_flight_problem
from ..server import FileInfo, LocalServer

__all__ = ["RETRY_CASES", "check_bounded", "check_really_concurrent", "check_should_retry"]


# -- Exercise: bounded concurrency -----------------------------------------------------------

async def check_bounded(download_bounded: Any, server: LocalServer, limit: Any, count: int = 12) -> Verdict:
    """Run ``download_bounded(session, names, limit)`` on the first ``count`` files of ``server``: every file
    intact, in order, and the server saw 2 to ``limit`` requests at once (``limit``: 2 to count - 1)."""
    files = server.files[:count]
    if limit is ...:
        return report(False, "", "`LIMIT` is still `...`. Set it to how many downloads may run at once, e.g. 3.")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 2 <= limit < len(files):
        return report(False, "", f"`LIMIT` is {limit!r:.30}; pick a whole number from 2 to {len(files) - 1}, "
                                 f"so that some of the {len(files)} downloads overlap and some must wait.")
    await asyncio.to_thread(server.reset_stats)
    async with aiohttp.ClientSession(base_url=server.url, timeout=aiohttp.ClientTimeout(total=10)) as session:
        run = await check.run(download_bounded, session, [f.name for f in files], limit, time_limit=10,
                              call="download_bounded(session, names, limit)")
    seen = (await asyncio.to_thread(server.stats))["max_in_flight"]
    return check.expect(run, checks=[lambda run: in_flight_problem(seen, limit)],
                        wrong_result=lambda bodies: bodies_problem(files, bodies),
                        done=f"all {len(files)} files arrived intact; the server saw several downloads at once, "
                             f"but never more than {limit}.")


# -- Exercise: the secretly sequential downloader -----------------------------------------------

def check_really_concurrent(run: Any, files: Sequence[FileInfo]) -> Verdict:
    """Right when the downloads overlapped, nothing blocked the loop, the bodies of ``files``
    came back in order, and (with aiohttp) one ClientSession was shared."""

    def one_session(run: check.Run) -> str | None:
        log = run.requests
        if log is not None and len(log.sessions) > 1:
            return (f"{len(log.sessions)} ClientSessions made the requests: a new session per file is the most "
                    "common aiohttp mistake. Open one session and pass it to every download.")
        return None

    return check.expect(run, checks=[one_session], overlap=min(3, len(files)),
                        wrong_result=lambda bodies: bodies_problem(files, bodies),
                        done="the downloads waited at the same time and no step blocked the event loop: "
                             "they are really concurrent now.")


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
    431: (False, "431 Request Header Fields Too Large: your request is too big, and stays too big"),
    451: (False, "451 Unavailable For Legal Reasons will not change by asking again"),
    408: (True, "408 Request Timeout means the server gave up waiting for your request this time: "
                "sending it again may well work"),
    501: (False, "501 Not Implemented means the server cannot do this at all: it will not fix itself"),
    505: (False, "505 HTTP Version Not Supported will not change by asking again"),
}


def check_should_retry(should_retry: Callable[[int], Any]) -> Verdict:
    """Right when ``should_retry(status)`` is True for passing trouble
    (408, 429, 500, 502, 503, 504) and False for answers that will not
    change (400, 403, 404, 410, 431, 451, 501, 505)."""
    if should_retry is ... or not callable(should_retry):
        return report(False, "", "`should_retry` should be a function that takes a status number "
                                 "and returns True or False.")
    if inspect.iscoroutinefunction(should_retry):
        return report(False, "", "`should_retry` only looks at a number and never waits: "
                                 "make it a plain `def`, not `async def`.")
    for status, (wanted, why) in RETRY_CASES.items():
        answer, problem = check.call(should_retry, status, who=f"should_retry({status})")
        if problem:
            return report(False, "", problem)
        if answer is ...:
            return report(False, "", "should_retry still returns `...`. Replace it with your rule.")
        if not isinstance(answer, bool):
            return report(False, "", f"should_retry({status}) returned {answer!r}; return True or False.")
        if answer != wanted:
            return report(False, "", f"should_retry({status}) is {answer}, but {why}.")
    return report(True, "retry 408, 429 and the passing 5xx (500, 502, 503, 504), never 400/403/404/410/501 "
                        "(the answer will not change).", "")
