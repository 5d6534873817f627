"""asynclab.downloads: every strategy delivers every file intact, bounds hold,
failures are reported, and nothing is left running.  No speed is asserted."""

from __future__ import annotations

import asyncio
import threading
import urllib.error

import aiohttp
import pytest

from asynclab import downloads
from asynclab.server import LocalServer


@pytest.fixture(scope="module")
def server():
    with LocalServer(files=24, size=4096, latency=0.05, name="test_downloads") as s:
        yield s


@pytest.fixture(scope="module")
def messy():
    with LocalServer(files=6, size=512, latency=0.0, missing=1, flaky=1, name="test_downloads-messy") as s:
        yield s


def urls(server):
    return [f.url for f in server.files]


def run_async(strategy, server, *args):
    async def main():
        async with downloads.open_session() as session:
            return await strategy(session, urls(server), *args)

    return asyncio.run(main())


@pytest.mark.parametrize("strategy", [downloads.sequential, downloads.gather_all])
def test_async_strategies_deliver_every_file_intact_in_order(server, strategy):
    server.reset_stats()
    bodies = run_async(strategy, server)
    assert downloads.check_bodies(server.files, bodies) == []
    assert server.stats()["by_status"] == {"200": 24}


def test_sequential_has_one_request_in_flight(server):
    server.reset_stats()
    run_async(downloads.sequential, server)
    assert server.stats()["max_in_flight"] == 1


def test_gather_is_not_capped_by_the_connector(server):
    server.reset_stats()
    run_async(downloads.gather_all, server)
    assert server.stats()["max_in_flight"] > 1


@pytest.mark.parametrize("limit", [1, 4, 7])
def test_bounded_never_exceeds_its_limit(server, limit):
    server.reset_stats()
    bodies = run_async(downloads.bounded, server, limit)
    assert downloads.check_bodies(server.files, bodies) == []
    assert 1 <= server.stats()["max_in_flight"] <= limit


@pytest.mark.parametrize("limit", [0, -1, 2.5, True])
def test_bounded_refuses_a_bad_limit(server, limit):
    with pytest.raises(ValueError):
        run_async(downloads.bounded, server, limit)


def test_threads_deliver_every_file_and_stop_their_threads(server):
    before = set(threading.enumerate())
    server.reset_stats()
    bodies = downloads.threaded(urls(server), workers=6)
    assert downloads.check_bodies(server.files, bodies) == []
    assert 1 <= server.stats()["max_in_flight"] <= 6
    left = [t for t in threading.enumerate() if t not in before and t.name.startswith("download")]
    assert left == [], f"threads still running: {left}"


def test_threads_refuse_a_bad_worker_count(server):
    with pytest.raises(ValueError):
        downloads.threaded(urls(server), workers=0)


def test_failures_are_raised_not_swallowed(messy):
    missing = [f.url for f in messy.files if f.kind == "missing"]

    async def one():
        async with downloads.open_session() as session:
            return await downloads.fetch(session, missing[0])

    with pytest.raises(aiohttp.ClientResponseError) as info:
        asyncio.run(one())
    assert info.value.status == 404
    with pytest.raises(urllib.error.HTTPError) as http_info:
        downloads.threaded(missing, workers=1)
    assert http_info.value.code == 404


def test_gather_with_failures_reports_each_one(messy):
    """With return_exceptions=True every download finishes and each failure is an object."""
    messy.reset_stats()

    async def main():
        async with downloads.open_session() as session:
            return await asyncio.gather(*(downloads.fetch(session, f.url) for f in messy.files),
                                        return_exceptions=True)

    results = asyncio.run(main())
    kinds = {f.kind: r for f, r in zip(messy.files, results)}
    assert isinstance(kinds["missing"], aiohttp.ClientResponseError) and kinds["missing"].status == 404
    assert isinstance(kinds["flaky"], aiohttp.ClientResponseError) and kinds["flaky"].status == 503
    ok = [(f, r) for f, r in zip(messy.files, results) if f.kind == "ok"]
    assert downloads.check_bodies([f for f, _ in ok], [r for _, r in ok]) == []


def test_open_session_has_no_connection_cap_by_default():
    async def main():
        async with downloads.open_session() as session:
            default = session.connector.limit
        async with downloads.open_session(limit=5) as session:
            return default, session.connector.limit

    assert asyncio.run(main()) == (0, 5)


def test_no_task_is_left_running(server):
    async def main():
        async with downloads.open_session() as session:
            await downloads.bounded(session, urls(server)[:6], 3)
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    assert asyncio.run(main()) == []


def test_measure_with_stats_records_and_reads_the_server(server):
    async def main():
        async with downloads.open_session() as session:
            return await downloads.measure_with_stats(server, "gather", downloads.gather_all(session, urls(server)[:5]))

    rec, stats = asyncio.run(main())
    assert downloads.check_bodies(server.files[:5], rec.result) == []
    assert stats["requests"] == 5 and stats["max_in_flight"] >= 2
    assert rec.max_overlap("wait") >= 2


# -- checking ----------------------------------------------------------------------------

def test_check_bodies_explains_each_problem(server):
    files = server.files[:3]
    assert downloads.check_bodies(files, []) == ["expected 3 downloads, got 0"]
    ok = run_async(downloads.sequential, server)[:3]
    assert downloads.check_bodies(files, ok) == []
    problems = downloads.check_bodies(files, [ok[0][:-1], b"y" * files[1].size, "text"])
    assert problems == [
        f"{files[0].name}: {files[0].size - 1} bytes, expected {files[0].size}",
        f"{files[1].name}: the bytes differ from the server's (SHA-256 mismatch)",
        f"{files[2].name}: got a str, not bytes",
    ]


# -- printing ----------------------------------------------------------------------------

def test_format_table_pads_and_right_aligns_numbers():
    text = downloads.format_table([["gather", "0.21 s", "14.9×", 30], ["sequential", "3.09 s", "1.0×", 1]],
                                  ["strategy", "time", "speed-up", "in flight"])
    assert text.splitlines() == [
        "strategy      time  speed-up  in flight",
        "----------  ------  --------  ---------",
        "gather      0.21 s     14.9×         30",
        "sequential  3.09 s      1.0×          1",
    ]


def test_format_table_refuses_ragged_rows():
    with pytest.raises(ValueError):
        downloads.format_table([[1, 2]], ["only one"])


def test_format_table_with_no_rows():
    assert downloads.format_table([], ["a", "b"]).splitlines() == ["a  b", "-  -"]


# -- limits ------------------------------------------------------------------------------

def test_raise_open_file_limit_never_lowers_and_respects_the_hard_limit():
    resource = pytest.importorskip("resource")
    soft_before, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft, hard_after = downloads.raise_open_file_limit(16)  # lower than any real limit: no change
    assert (soft, hard_after) == (soft_before, hard)
    soft, _ = downloads.raise_open_file_limit(soft_before)  # asking for what we have: no change
    assert soft == soft_before
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == (soft_before, hard)


def test_lanes_by_file_gives_each_file_one_lane():
    from asynclab.timeline import Recording

    rec = Recording("bounded", t0=0.0, root_lane="download_limited")
    rec.add("download_limited", 0.0, 0.3, "wait")
    rec.add("fetch(…, 'file-0000.bin')", 0.0, 0.1, "wait")
    rec.add("take_turn('file-0001.bin')", 0.0, 0.1, "wait")
    rec.add("fetch(…, 'file-0001.bin')", 0.1, 0.2, "wait")
    rec.result = [b"a", b"b"]
    rec.finish(0.3)
    by_file = downloads.lanes_by_file(rec)
    assert by_file.lanes == ["download_limited", "file-0000.bin", "file-0001.bin"]
    assert [(s.start, s.end) for s in by_file.spans_of("file-0001.bin")] == [(0.0, 0.1), (0.1, 0.2)]
    assert (by_file.title, by_file.wall, by_file.result, by_file.root_lane) == ("bounded", 0.3, [b"a", b"b"], "download_limited")
    assert by_file.worker_lanes == ["file-0000.bin", "file-0001.bin"]
    assert rec.lanes[1] == "fetch(…, 'file-0000.bin')"  # the original is untouched
