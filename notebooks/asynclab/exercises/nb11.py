"""Checks for notebook 11, "Conclusion and capstone": the pitfall quiz and the polite crawler.

:func:`check_crawl` judges a run of the crawler from the requests its sessions made and the server's
own counts (the lesson's helpers :func:`links_in` and :func:`site_map` live in :mod:`asynclab.downloads`)::

    with LocalServer(files=0, pages=30, latency=0.05) as server:
        run = await check.run(crawl(server.url + "/site/index.html"), time_limit=20)
        nb11.check_crawl(run, server, limit=4)
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from .. import check
from ..check import Verdict
from ..downloads import RequestLog, SiteMap, links_in, site_map

__all__ = ["QUIZ_CHOICES", "SiteMap", "check_crawl", "check_quiz", "crawl_problems", "links_in", "site_map"]

#: A request timeout longer than this (seconds) does not count as "a timeout".
LONGEST_SENSIBLE_TIMEOUT = 60.0


def _paths(value: Any) -> set[str] | None:
    """Paths of the URLs in a set/list/dict (keys) of URLs, or None if not a collection."""
    if not isinstance(value, (set, frozenset, list, tuple, dict)):
        return None
    return {urlsplit(str(v)).path or str(v) for v in value}


def _read_result(result: Any) -> tuple[set[str], set[str], str | None]:
    shape = ("crawl() should return a dict {'pages': the URLs it fetched, 'broken': the broken links}; "
             f"it returned {result!r:.80}." + (" Is the `return` line missing?" if result is None else ""))
    if not isinstance(result, dict) or not {"pages", "broken"} <= set(result):
        return set(), set(), shape
    pages, broken = _paths(result["pages"]), _paths(result["broken"])
    return pages or set(), broken or set(), shape if pages is None or broken is None else None


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
    limits = [getattr(timeout, name, None) for name in ("total", "sock_read")]
    return any(x is not None and 0 < x <= LONGEST_SENSIBLE_TIMEOUT for x in limits)


def _workers(run: check.Run) -> int:
    """How many tasks made requests (the crawler's workers), from the recording (0: unknown)."""
    rec = run.rec
    if rec is None:
        return 0
    return len({s.lane for s in rec.spans if s.state == "wait" and s.reason == "io" and s.lane in rec.worker_lanes})


def crawl_problems(run: check.Run, stats: dict[str, Any], site: SiteMap, limit: int) -> list[str]:
    """Every capstone rule the run broke, in plain words (empty when all is well)."""
    reported_pages, reported_broken, shape = _read_result(run.result)
    reasons = [shape] if shape else []
    say = reasons.append
    log = run.requests or RequestLog()
    local, sessions = log.local, log.sessions
    if len(sessions) != 1:
        say(f"{len(sessions)} ClientSessions made requests. Open one session and share it: each session has its own "
            "pool of connections, and reusing them is what makes it fast." if sessions else
            "no request went through an aiohttp.ClientSession.")
    if log.refused:
        say(f"it followed links to another host ({', '.join(sorted({r.host or r.url for r in log.refused}))}); they "
            "were refused here. Only follow links whose host is the start page's host.")
    private = sorted({r.path for r in local if r.path.startswith(site.disallowed)})
    if private:
        say(f"it fetched {private[0]}, which /robots.txt disallows. Ask robots.can_fetch('*', url) before queueing a link.")
    if stats.get("requests", 0) > len(local):
        say(f"the server got {stats['requests'] - len(local)} request(s) that did not go through your ClientSession. "
            "If that was RobotFileParser.read(), it uses urllib, which blocks the event loop: fetch /robots.txt with "
            "the session and pass its lines to robots.parse().")
    elif not any(r.path == "/robots.txt" for r in local):
        say("it never read /robots.txt, so it cannot know which paths are off limits.")
    counts = Counter(r.path for r in local if r.path != "/robots.txt")
    twice = sorted(p for p, n in counts.items() if n > 1)
    if twice:
        say(f"{len(twice)} URL(s) were fetched more than once, e.g. {twice[0]} ({counts[twice[0]]} times). Mark a URL "
            "as seen when you queue it, not when you fetch it: two workers can find the same link while the first "
            "fetch is still waiting.")
    fetched = {r.path for r in local}
    missing, unreported = set(site.reachable) - fetched, set(site.reachable) - reported_pages
    if missing:
        say(f"{len(missing)} of the {len(site.reachable)} reachable pages were never fetched, "
            f"e.g. {_example(missing, site.reachable, fetched)}.")
    elif not shape and unreported:
        say(f"{len(unreported)} fetched page(s) are missing from result['pages'], e.g. {sorted(unreported)[0]}.")
    not_pages, unreported_broken = reported_pages - set(site.reachable), set(site.broken) - reported_broken
    if not shape and not_pages:
        say(f"result['pages'] lists {len(not_pages)} URL(s) that are not pages of the site, "
            f"e.g. {sorted(not_pages)[0]}: list only pages that answered 200.")
    if not shape and unreported_broken:
        say(f"{len(unreported_broken)} of the {len(site.broken)} broken links are missing from result['broken'], "
            f"e.g. {_example(unreported_broken, site.broken, fetched)}.")
    if not shape and reported_broken & set(site.reachable):
        say(f"result['broken'] lists working pages, e.g. {sorted(reported_broken & set(site.reachable))[0]}.")
    if not all(_has_limit(r.timeout) for r in local):
        say("a request could wait without a sensible limit (aiohttp's default is 5 minutes). "
            "Give the session a timeout of a few seconds with aiohttp.ClientTimeout(total=...).")
    in_flight = stats.get("max_in_flight", 0)
    if in_flight > limit:
        say(f"up to {in_flight} requests were in flight at once, more than the limit of {limit}. "
            f"Start exactly {limit} workers (or hold an asyncio.Semaphore({limit}) around each fetch).")
    elif local and in_flight < 2:
        say("the server never had two requests in flight at once: the crawl did not overlap. "
            f"Let {limit} workers fetch at the same time.")
    elif local and in_flight < limit:
        workers = _workers(run)
        ran = f"{workers} worker tasks ran" if workers else "fewer workers ran"
        say(f"at most {in_flight} requests were in flight at once ({ran}); the limit is {limit}, and there should "
            f"be `limit` workers: start exactly `limit` ({limit}) of them, so that {limit} fetch at the same time.")
    return reasons


def check_crawl(run: Any, server: Any, limit: int) -> Verdict:
    """Check ``run = await check.run(crawl(url), time_limit=20)`` of ``server``'s site against every
    rule of the capstone.  Call it inside the ``with LocalServer(...)`` block: it reads ``server.stats()``."""
    site, stats = site_map(server.pages, server.seed), server.stats()

    def rules(run: check.Run) -> str | None:
        reasons = crawl_problems(run, stats, site, limit)
        if len(reasons) > 1:
            return f"{len(reasons)} things to fix:\n" + "\n".join(f"  • {r}" for r in reasons)
        return reasons[0] if reasons else None

    return check.expect(run, checks=[rules], who="crawl()",
                        done=f"all {len(site.reachable)} pages found, all {len(site.broken)} broken links reported, "
                             f"{site.disallowed} left alone, no URL fetched twice, one session, a timeout on every "
                             f"request, and never more than {limit} requests at once.")


# -- the "spot the pitfall" quiz ------------------------------------------------------------------
#: The pitfalls a snippet may show, by letter.
QUIZ_CHOICES: dict[str, str] = {
    "A": "forgot `await`: the coroutine never runs",
    "B": "a blocking call inside `async def`: the whole loop stops",
    "C": "awaited one at a time: nothing overlaps",
    "D": "a lost task: started, then neither kept nor awaited",
    "E": "no limit: everything is started at once",
    "F": "cancellation swallowed: the task cannot be stopped",
}

#: snippet → (its pitfall, the question that leads to it)
_QUIZ = {
    1: ("D", "who keeps a reference to the task, and who will ever see its errors?"),
    2: ("B", "what does time.sleep do to the other tasks while it sleeps?"),
    3: ("E", "how many downloads are in flight at once for 50,000 URLs?"),
    4: ("C", "when does the second download start?"),
    5: ("F", "what does `except BaseException` catch when someone calls task.cancel()?"),
    6: ("A", "what is `profile` before anyone awaits it?"),
}


def check_quiz(answers: Any) -> Verdict:
    """Right when every snippet (1–6) is matched with the letter of its pitfall."""

    def wrong(n: int, letter: Any, given: Any) -> str:
        if letter is ...:
            return f"snippet {n} is still `...`"
        if letter is None:
            return f"snippet {n}: {given!r} is not one of the letters A to F"
        return f"snippet {n}: not {letter}. Ask yourself: {_QUIZ[n][1]}"

    return check.quiz(answers, {n: letter for n, (letter, _) in _QUIZ.items()}, name="answers", wrong=wrong,
                      accepted={letter.casefold(): letter for letter in QUIZ_CHOICES},
                      blank="every answer is still `...`. Put a letter from A to F for each snippet.",
                      done=f"all {len(_QUIZ)} pitfalls spotted.")
