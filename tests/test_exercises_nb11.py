"""The capstone check of notebook 11 passes a polite crawler and names each rule a
crawler breaks; the quiz check explains wrong answers without giving them away.

The crawlers here run against a real LocalServer (one for the module).  Any
request to another host is refused by ``downloads.watch_requests`` before it leaves
the machine.
"""

from __future__ import annotations

import asyncio
import urllib.request
import warnings
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import aiohttp
import pytest

from asynclab import check as course_check
from asynclab.downloads import watch_requests
from asynclab.exercises import nb11
from asynclab.server import LocalServer

LIMIT = 4


@pytest.fixture(scope="module")
def server():
    with LocalServer(files=0, pages=30, latency=0.02, name="test-nb11") as s:
        yield s


@pytest.fixture
def fresh(server):
    server.reset_stats()
    return server


def _out(capsys) -> str:
    return capsys.readouterr().out


async def _robots_via(session, start_url):
    robots = RobotFileParser()
    async with session.get(urljoin(start_url, "/robots.txt")) as response:
        robots.parse((await response.text()).splitlines())
    return robots


def make_crawler(*, workers=LIMIT, timeout=10, same_host=True, obey_robots=True, read_robots="session",
                 dedupe="queue", one_session=True, task_done=True, group=True, record_broken=True,
                 result="dict", follow=None):
    """A queue-and-workers crawler like the notebook's, with one rule switchable off."""

    async def crawl(start_url, limit=LIMIT):
        host = urlsplit(start_url).netloc
        pages, broken, seen = set(), {}, {start_url}
        queue: asyncio.Queue = asyncio.Queue()
        queue.put_nowait((start_url, None))
        client_timeout = aiohttp.ClientTimeout(total=timeout) if isinstance(timeout, (int, float)) else timeout
        async with aiohttp.ClientSession(timeout=client_timeout) as shared:
            if read_robots == "session":
                robots = await _robots_via(shared, start_url)
            elif read_robots == "urllib":
                robots = RobotFileParser(urljoin(start_url, "/robots.txt"))
                robots.read()  # blocking urllib: the pitfall
            else:
                robots = None

            def should_follow(link):
                if follow is not None:
                    return follow(link)
                if same_host and urlsplit(link).netloc != host:
                    return False
                if obey_robots and robots is not None and not robots.can_fetch("*", link):
                    return False
                if dedupe == "queue":
                    return link not in seen
                if dedupe == "fetch":
                    return link not in pages
                return True

            async def get(session, url):
                async with session.get(url) as response:
                    if response.status != 200:
                        return None
                    return await response.text()

            async def worker():
                while True:
                    url, parent = await queue.get()
                    try:
                        if one_session:
                            html = await get(shared, url)
                        else:
                            async with aiohttp.ClientSession(timeout=client_timeout) as own:
                                html = await get(own, url)
                        if html is None:
                            if record_broken:
                                broken[url] = parent
                            continue
                        pages.add(url)
                        for link in nb11.links_in(html, url):
                            if should_follow(link):
                                seen.add(link)
                                queue.put_nowait((link, url))
                    except (aiohttp.ClientError, asyncio.TimeoutError):
                        if record_broken:
                            broken[url] = parent
                    finally:
                        if task_done:
                            queue.task_done()

            if group:
                async with asyncio.TaskGroup() as tg:
                    tasks = [tg.create_task(worker()) for _ in range(workers)]
                    await queue.join()
                    for t in tasks:
                        t.cancel()
            else:
                tasks = [asyncio.create_task(worker()) for _ in range(workers)]
                await queue.join()  # and the workers are never stopped
        if result == "none":
            return None
        return {"pages": pages, "broken": broken}

    return crawl


def check(server, crawl, *, time_limit=20.0):
    async def main():
        run = await course_check.run(crawl(server.url + "/site/index.html"), time_limit=time_limit)
        verdict = nb11.check_crawl(run, server, limit=LIMIT)
        left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return verdict, run, left

    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        verdict, run, left = asyncio.run(main())
    assert left == [], f"tasks outlived the check: {left}"
    return verdict, run


# -- the site and the helpers ----------------------------------------------------------
def test_links_in_resolves_and_drops_fragments_and_repeats():
    html = '<p><a href="/a.html">a</a> <a href="b.html#x">b</a> <a href="/a.html">again</a> <a>none</a></p>'
    assert nb11.links_in(html, "http://h:1/site/p.html") == ["http://h:1/a.html", "http://h:1/site/b.html"]


def test_site_map_of_the_notebook_site():
    site = nb11.site_map(30, 0)
    assert len(site.reachable) == 28 and len(site.broken) == 5
    assert "/site/private/secret.html" not in site.reachable
    assert site.reachable["/site/index.html"] is None
    assert all(parent in site.reachable for parent in site.broken.values())


def test_watch_requests_refuses_other_hosts_and_restores_aiohttp():
    original = aiohttp.ClientSession._request

    async def main():
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientConnectionError, match="not on this machine"):
                async with session.get("http://example.invalid/x"):
                    pass

    with watch_requests() as log:
        asyncio.run(main())
    assert aiohttp.ClientSession._request is original
    assert [r.refused for r in log.requests] == [True]


# -- right answers -----------------------------------------------------------------------
def test_polite_crawler_passes(fresh, capsys):
    verdict, run = check(fresh, make_crawler())
    out = _out(capsys)
    assert verdict, out
    assert out.startswith("✅ all 28 pages found, all 5 broken links reported")
    assert run.rec is not None and run.rec.max_overlap() >= 2


def test_semaphore_crawler_passes_too(fresh, capsys):
    async def crawl(start_url, limit=LIMIT):
        host = urlsplit(start_url).netloc
        pages, broken, seen = set(), {}, {start_url}
        gate = asyncio.Semaphore(limit)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            robots = await _robots_via(session, start_url)
            async with asyncio.TaskGroup() as tg:
                async def visit(url, parent):
                    async with gate:
                        async with session.get(url) as response:
                            html = await response.text() if response.status == 200 else None
                    if html is None:
                        broken[url] = parent
                        return
                    pages.add(url)
                    for link in nb11.links_in(html, url):
                        if urlsplit(link).netloc == host and robots.can_fetch("*", link) and link not in seen:
                            seen.add(link)
                            tg.create_task(visit(link, url))
                tg.create_task(visit(start_url, None))
        return {"pages": pages, "broken": broken}

    verdict, _ = check(fresh, crawl)
    assert verdict, _out(capsys)


# -- each broken rule gets its own words --------------------------------------------------
def test_the_notebook_skeleton(fresh, capsys):
    verdict, _ = check(fresh, make_crawler(workers=1, timeout=None, follow=lambda link: False))
    out = _out(capsys)
    assert not verdict
    assert "❌ Not yet: 4 things to fix:" in out
    assert "27 of the 28 reachable pages were never fetched, e.g. /site/page-04.html, linked from " \
           "/site/index.html: that page was fetched, but its link was not followed (look at should_follow)" in out
    assert "5 of the 5 broken links are missing" in out
    assert "aiohttp's default is 5 minutes" in out
    assert "never had two requests in flight at once" in out


@pytest.mark.parametrize("options, words", [
    (dict(workers=1), "never had two requests in flight at once"),
    (dict(workers=12), "more than the limit of 4"),
    (dict(timeout=None), "aiohttp's default is 5 minutes"),
    (dict(timeout=3600), "aiohttp's default is 5 minutes"),
    (dict(same_host=False), "followed links to another host (example.invalid)"),
    (dict(obey_robots=False), "it fetched /site/private/secret.html, which /robots.txt disallows"),
    (dict(read_robots="none", obey_robots=False), "it never read /robots.txt"),
    (dict(read_robots="urllib"), "did not go through your ClientSession"),
    (dict(dedupe="fetch"), "were fetched more than once"),
    (dict(one_session=False), "ClientSessions made requests"),
    (dict(record_broken=False), "5 of the 5 broken links are missing from result['broken'], e.g. "
                                "/site/gone-12.html, which was fetched but is not in the result"),
    (dict(result="none"), "Is the `return` line missing?"),
])
def test_each_rule(fresh, capsys, options, words):
    verdict, _ = check(fresh, make_crawler(**options))
    out = _out(capsys)
    assert not verdict and out.startswith("❌ Not yet:") and words in out, out


def test_workers_left_running(fresh, capsys):
    verdict, run = check(fresh, make_crawler(group=False))
    out = _out(capsys)
    assert not verdict and "still running when crawl() returned" in out, out
    assert len(run.lost) == LIMIT


def test_a_crash_points_at_the_line(fresh, capsys):
    def follow(link):
        return undefined_name  # noqa: F821  (the learner's typo)

    verdict, _ = check(fresh, make_crawler(follow=follow))
    out = _out(capsys).strip()
    assert not verdict
    assert "NameError: name 'undefined_name' is not defined" in out
    assert "`return undefined_name" in out and "\n" not in out


def test_a_blank_timeout_is_named(fresh, capsys):
    verdict, _ = check(fresh, make_crawler(timeout=...))
    out = _out(capsys)
    assert not verdict and "`...`" in out, out


def test_a_hanging_crawler_is_stopped(fresh, capsys):
    verdict, run = check(fresh, make_crawler(task_done=False), time_limit=2)
    out = _out(capsys)
    assert not verdict and run.timed_out
    assert "still running after 2 s" in out and "queue.join()" in out, out


def test_not_a_coroutine(fresh, capsys):
    async def main():
        return [nb11.check_crawl(await course_check.run(x), fresh, limit=LIMIT) for x in (..., make_crawler())]

    assert not any(asyncio.run(main()))
    out = _out(capsys)
    assert "still `...`" in out and "call it" in out, out


# -- the quiz -----------------------------------------------------------------------------
RIGHT = {1: "D", 2: "B", 3: "E", 4: "C", 5: "F", 6: "A"}


def test_quiz_right(capsys):
    assert nb11.check_quiz(dict(RIGHT))
    assert nb11.check_quiz({k: v.lower() for k, v in RIGHT.items()})
    assert _out(capsys).count("✅ all 6 pitfalls spotted.") == 2


def test_quiz_blank_partial_wrong_and_invalid(capsys):
    assert not nb11.check_quiz({n: ... for n in RIGHT})
    assert "every answer is still `...`" in _out(capsys)

    answers = {**RIGHT, 2: "C", 6: ..., 4: "Z"}
    assert not nb11.check_quiz(answers)
    out = _out(capsys)
    assert "snippet 2: not C. Ask yourself: what does time.sleep do" in out
    assert "snippet 4: 'Z' is not one of the letters A to F" in out
    assert "snippet 6 is still `...`" in out
    assert "B" not in out.replace("BaseException", ""), "the right letter must not be given away"

    assert not nb11.check_quiz(["D"])
    assert "should be a dict" in _out(capsys)


def test_two_workers_instead_of_limit(fresh, capsys):
    """The learner's answer: `for _ in range(2)` instead of `range(limit)`; Hint 2 says exactly `limit` workers."""
    verdict, _ = check(fresh, make_crawler(workers=2))
    out = _out(capsys)
    assert not verdict and out.startswith("❌ Not yet:"), out
    assert "at most 2 requests were in flight at once (2 worker tasks ran)" in out, out
    assert "there should be `limit` workers: start exactly `limit` (4) of them" in out, out
