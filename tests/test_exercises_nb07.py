"""The checks of notebook 07 accept right answers and explain each typical wrong one.

The learner's downloaders run for real against a LocalServer; the checks read
what the server saw (requests in flight) and the recorded timeline, never speed.
"""

from __future__ import annotations

import asyncio
import urllib.request

import aiohttp
import pytest

from asynclab import measure
from asynclab.exercises import nb07
from asynclab.server import LocalServer


def _line(capsys) -> str:
    out = capsys.readouterr().out.strip()
    assert "\n" not in out, f"a check should print one line, got: {out!r}"
    return out


@pytest.fixture(scope="module")
def server():
    with LocalServer(files=12, size=2048, latency=0.1, name="test_exercises_nb07") as s:
        yield s


async def fetch(session, name):
    async with session.get(f"/files/{name}") as response:
        response.raise_for_status()
        return await response.read()


def bounded_verdict(fn, server, limit, capsys) -> tuple[bool, str]:
    verdict = asyncio.run(nb07.check_bounded(fn, server, limit))
    return bool(verdict), _line(capsys)


# -- Exercise 1: bounded downloads ---------------------------------------------------------

async def right_bounded(session, names, limit):
    gate = asyncio.Semaphore(limit)

    async def take_turn(name):
        async with gate:
            return await fetch(session, name)

    return await asyncio.gather(*(take_turn(name) for name in names))


def test_bounded_right(server, capsys):
    ok, out = bounded_verdict(right_bounded, server, 3, capsys)
    assert ok and out.startswith("✅") and "never more than 3" in out


def test_bounded_right_with_another_limit(server, capsys):
    ok, out = bounded_verdict(right_bounded, server, 5, capsys)
    assert ok and "never more than 5" in out


def test_bounded_limit_blank(server, capsys):
    ok, out = bounded_verdict(right_bounded, server, ..., capsys)
    assert not ok and out.startswith("❌ Not yet:") and "`LIMIT` is still `...`" in out


@pytest.mark.parametrize("limit", [1, 12, 40, 0])
def test_bounded_limit_out_of_range(server, capsys, limit):
    ok, out = bounded_verdict(right_bounded, server, limit, capsys)
    assert not ok and "pick a number from 2 to 11" in out


@pytest.mark.parametrize("limit", ["3", 3.0, True])
def test_bounded_limit_not_a_whole_number(server, capsys, limit):
    ok, out = bounded_verdict(right_bounded, server, limit, capsys)
    assert not ok and "should be a whole number" in out


def test_bounded_gate_still_blank(server, capsys):
    async def blank_gate(session, names, limit):
        gate = ...

        async def take_turn(name):
            async with gate:
                return await fetch(session, name)

        return await asyncio.gather(*(take_turn(name) for name in names))

    ok, out = bounded_verdict(blank_gate, server, 3, capsys)
    assert not ok and "a `...` blank is still in your code" in out


def test_bounded_semaphore_per_download(server, capsys):
    async def gate_per_download(session, names, limit):
        async def take_turn(name):
            async with asyncio.Semaphore(limit):  # a new gate each time: no limit at all
                return await fetch(session, name)

        return await asyncio.gather(*(take_turn(name) for name in names))

    ok, out = bounded_verdict(gate_per_download, server, 3, capsys)
    assert not ok and "more than your limit of 3" in out and "ONE Semaphore" in out


def test_bounded_without_any_semaphore(server, capsys):
    async def unbounded(session, names, limit):
        return await asyncio.gather(*(fetch(session, name) for name in names))

    ok, out = bounded_verdict(unbounded, server, 3, capsys)
    assert not ok and "the server saw 12 downloads at once" in out


def test_bounded_sequential(server, capsys):
    async def one_by_one(session, names, limit):
        return [await fetch(session, name) for name in names]

    ok, out = bounded_verdict(one_by_one, server, 3, capsys)
    assert not ok and "only one download at a time" in out


def test_bounded_semaphore_smaller_than_limit_still_respects_the_limit(server, capsys):
    """Fewer in flight than allowed is not wrong: the server may see fewer on a busy machine."""
    async def two(session, names, limit):
        return await right_bounded(session, names, 2)

    ok, out = bounded_verdict(two, server, 3, capsys)
    assert ok and "never more than 3" in out


def test_bounded_missing_await_on_fetch(server, capsys):
    async def no_await(session, names, limit):
        return [fetch(session, name) for name in names]

    ok, out = bounded_verdict(no_await, server, 3, capsys)
    assert not ok and "missing its `await`" in out


def test_bounded_no_return(server, capsys):
    async def no_return(session, names, limit):
        await right_bounded(session, names, limit)

    ok, out = bounded_verdict(no_return, server, 3, capsys)
    assert not ok and "returned NoneType" in out


def test_bounded_wrong_order(server, capsys):
    async def completion_order(session, names, limit):
        bodies = await right_bounded(session, names, limit)
        return list(reversed(bodies))

    ok, out = bounded_verdict(completion_order, server, 3, capsys)
    assert not ok and "not in the order of `names`" in out


def test_bounded_wrong_bytes(server, capsys):
    async def truncated(session, names, limit):
        return [b[:10] for b in await right_bounded(session, names, limit)]

    ok, out = bounded_verdict(truncated, server, 3, capsys)
    assert not ok and "not what the server sent" in out and "10 bytes" in out


def test_bounded_plain_def(server, capsys):
    def plain(session, names, limit):
        return []

    ok, out = bounded_verdict(plain, server, 3, capsys)
    assert not ok and "plain `def`" in out


def test_bounded_function_blank(server, capsys):
    ok, out = bounded_verdict(..., server, 3, capsys)
    assert not ok and "async def" in out


def test_bounded_learner_error_is_explained(server, capsys):
    async def typo(session, names, limit):
        return await asyncio.gather(*(fetch(session, name + "x") for name in names))

    ok, out = bounded_verdict(typo, server, 3, capsys)
    assert not ok and "your code raised ClientResponseError" in out


# -- Exercise 2: the secretly sequential downloader ---------------------------------------

def read_url(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def record(server, fetch_one, files=None) -> object:
    files = server.files[:4] if files is None else files

    async def download_all(urls):
        return await asyncio.gather(*(fetch_one(url) for url in urls))

    async def main():
        return await measure("test", download_all([f.url for f in files]))

    return asyncio.run(main())


def test_concurrent_blocking_urlopen_is_explained(server, capsys):
    async def fetch_blocking(url):
        return read_url(url)

    rec = record(server, fetch_blocking)
    assert not nb07.check_really_concurrent(rec, server.files[:4])
    out = _line(capsys)
    assert out.startswith("❌ Not yet:") and "blocked the event loop" in out
    assert "urllib.request.urlopen" in out and "one after another" in out and "to_thread" in out


def test_concurrent_to_thread_fix(server, capsys):
    async def fetch_blocking(url):
        return await asyncio.to_thread(read_url, url)

    rec = record(server, fetch_blocking)
    assert nb07.check_really_concurrent(rec, server.files[:4])
    assert _line(capsys).startswith("✅ 4 downloads waited at the same time")


def test_concurrent_aiohttp_fix(server, capsys):
    async def fetch_blocking(url):
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as response:
                return await response.read()

    rec = record(server, fetch_blocking)
    assert nb07.check_really_concurrent(rec, server.files[:4])
    assert _line(capsys).startswith("✅")


def test_concurrent_missing_await_on_to_thread(server, capsys):
    async def fetch_blocking(url):
        return asyncio.to_thread(read_url, url)

    rec = record(server, fetch_blocking)
    assert not nb07.check_really_concurrent(rec, server.files[:4])
    assert "an `await` is missing" in _line(capsys)


def test_concurrent_but_sequential_without_blocking(server, capsys):
    async def download_all(urls):
        return [await asyncio.to_thread(read_url, url) for url in urls]

    async def main():
        return await measure("one by one", download_all([f.url for f in server.files[:3]]))

    rec = asyncio.run(main())
    assert not nb07.check_really_concurrent(rec, server.files[:3])
    assert "no two downloads were waiting at the same time" in _line(capsys)


def test_concurrent_wrong_results(server, capsys):
    async def fetch_blocking(url):
        await asyncio.to_thread(read_url, url)
        return b"nothing"

    rec = record(server, fetch_blocking)
    assert not nb07.check_really_concurrent(rec, server.files[:4])
    assert "the results are wrong" in _line(capsys)


def test_concurrent_blank_and_unawaited_recording(server, capsys):
    assert not nb07.check_really_concurrent(..., server.files[:4])
    assert "still `...`" in _line(capsys)

    async def nothing():
        return []

    inner = nothing()
    coro = measure("x", inner)
    assert not nb07.check_really_concurrent(coro, server.files[:4])
    assert "await measure" in _line(capsys)
    inner.close()


def test_concurrent_wrong_argument_is_the_authors_mistake(server):
    with pytest.raises(TypeError):
        nb07.check_really_concurrent("not a recording", server.files[:4])


# -- Exercise 3: which statuses to retry ---------------------------------------------------

def test_retry_right(capsys):
    assert nb07.check_should_retry(lambda status: status == 429 or status >= 500)
    assert _line(capsys).startswith("✅")


def test_retry_blank(capsys):
    def should_retry(status):
        return ...

    assert not nb07.check_should_retry(should_retry)
    assert "still returns `...`" in _line(capsys)


def test_retry_everything(capsys):
    assert not nb07.check_should_retry(lambda status: True)
    out = _line(capsys)
    assert "should_retry(404) is True" in out and "the file is not there" in out


def test_retry_nothing(capsys):
    assert not nb07.check_should_retry(lambda status: False)
    assert "should_retry(503) is False" in _line(capsys)


def test_retry_only_server_errors_forgets_429(capsys):
    assert not nb07.check_should_retry(lambda status: status >= 500)
    assert "should_retry(429) is False" in _line(capsys)


def test_retry_all_4xx_and_5xx(capsys):
    assert not nb07.check_should_retry(lambda status: status >= 400)
    assert "should_retry(404) is True" in _line(capsys)


def test_retry_only_503(capsys):
    assert not nb07.check_should_retry(lambda status: status == 503)
    assert "should_retry(429) is False" in _line(capsys)


def test_retry_not_a_bool(capsys):
    assert not nb07.check_should_retry(lambda status: "yes")
    assert "return True or False" in _line(capsys)


def test_retry_async_def(capsys):
    async def should_retry(status):
        return status >= 500

    assert not nb07.check_should_retry(should_retry)
    assert "plain `def`" in _line(capsys)


def test_retry_raises(capsys):
    assert not nb07.check_should_retry(lambda status: status.startswith("5"))
    assert "raised AttributeError" in _line(capsys)


def test_retry_blank_function(capsys):
    assert not nb07.check_should_retry(...)
    assert "should be a function" in _line(capsys)
