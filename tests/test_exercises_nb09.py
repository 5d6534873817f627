"""The checks of notebook 09 accept right answers and explain each typical wrong one.

The learner's code runs for real (short sleeps, and a real LocalServer for the
semaphore exercise), so these tests also show that a wrong answer never raises
and never leaves a task running.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from asynclab.exercises import nb09
from asynclab.server import LocalServer
from asynclab.timeline import Recording, measure
from verdicts import failed, one_line, passed, run_and_list_leftovers  # noqa: F401


# -- helpers -------------------------------------------------------------------------
run = run_and_list_leftovers




# -- lesson helpers --------------------------------------------------------------------
def test_count_primes():
    assert nb09.count_primes(2) == 0
    assert nb09.count_primes(100) == 25
    assert nb09.count_primes(1000) == 168


def test_first_lanes_keeps_matching_lanes_times_and_wall():
    rec = Recording("run", t0=0.0)
    rec.add("main", 0.0, 1.0, "wait")
    for i in range(5):
        rec.add(f"fetch({i})", 0.1 * i, 0.1 * i + 0.5, "wait")
        rec.add(f"fetch_limited({i})", 0.0, 0.1 * i, "wait")
    rec.finish(wall=1.0)
    rec.root_lane = "main"
    rec.unfinished = ["fetch(4)"]
    part = nb09.first_lanes(rec, 3, "fetch(")
    assert part.lanes == ["fetch(0)", "fetch(1)", "fetch(2)"]
    assert part.title == "run (first 3 of 5)"
    assert part.wall == 1.0 and part.unfinished == []
    assert part.extent("fetch(2)") == pytest.approx((0.2, 0.7))
    assert nb09.first_lanes(rec, 10, "fetch(").title == "run"


def test_first_lanes_explains_a_wrong_prefix():
    rec = Recording("run", t0=0.0)
    rec.add("fetch(0)", 0.0, 1.0)
    with pytest.raises(ValueError, match="no lane of 'run' starts with 'get'"):
        nb09.first_lanes(rec, 3, "get")
    with pytest.raises(TypeError):
        nb09.first_lanes("not a recording", 3)  # type: ignore[arg-type]


# -- measure_safely ---------------------------------------------------------------------
async def napper(i):
    await asyncio.sleep(0.3)


async def fire_and_forget():
    for i in range(3):
        asyncio.create_task(napper(i))
    return "done"


async def raises_half_way():
    asyncio.create_task(napper(0))
    await asyncio.sleep(0.01)
    raise ValueError("boom")


def test_measure_safely_cancels_tasks_left_running():
    rec, left = run(nb09.measure_safely("forgot", fire_and_forget()))
    assert isinstance(rec, Recording)
    assert rec.result == "done"
    assert rec.unfinished == ["napper(0)", "napper(1)", "napper(2)"]
    assert left == []


def test_measure_safely_turns_an_error_into_a_failure():
    outcome, left = run(nb09.measure_safely("oops", raises_half_way()))
    assert isinstance(outcome, nb09.Failure)
    assert isinstance(outcome.error, ValueError)
    assert outcome.unfinished == ["napper"]
    assert left == []


def test_measure_safely_restores_the_task_factory():
    async def main():
        loop = asyncio.get_running_loop()
        before = loop.get_task_factory()
        await nb09.measure_safely("forgot", fire_and_forget())
        return loop.get_task_factory() is before

    assert asyncio.run(main())


# -- exercise 1: a blocking call inside async def ---------------------------------------
def read_url(url):  # a stand-in for urllib: blocks for 0.1 s
    time.sleep(0.1)
    return len(url)


URLS = ["a", "bb", "ccc", "dddd"]
SIZES = [1, 2, 3, 4]


def exercise1(download):
    async def download_all():
        return await asyncio.gather(*(download(i) for i in range(4)))

    return nb09.measure_safely("exercise 1", download_all())


def test_unblocked_right(capsys):
    async def download(i):
        return await asyncio.to_thread(read_url, URLS[i])

    rec, left = run(exercise1(download))
    passed(capsys, nb09.check_unblocked(rec, SIZES))
    assert left == []


def test_unblocked_blocking_call_names_the_first_task(capsys):
    async def download(i):
        return read_url(URLS[i])

    rec, _ = run(exercise1(download))
    failed(capsys, nb09.check_unblocked(rec, SIZES),
           "4 step(s) blocked the event loop", "the first in download(0)", "without `await`")


def test_unblocked_function_called_instead_of_passed(capsys):
    async def download(i):
        return await asyncio.to_thread(read_url(URLS[i]))

    rec, left = run(exercise1(download))
    failed(capsys, nb09.check_unblocked(rec, SIZES),
           "raised TypeError", "asyncio.to_thread(read_url, url), not asyncio.to_thread(read_url(url))")
    assert left == []


def test_unblocked_missing_await(capsys):
    async def download(i):
        return asyncio.to_thread(read_url, URLS[i])

    rec, _ = run(exercise1(download))
    failed(capsys, nb09.check_unblocked(rec, SIZES), "returned a coroutine", "put `await`")


def test_unblocked_one_after_another(capsys):
    async def download(i):
        return await asyncio.to_thread(read_url, URLS[i])

    async def download_all():
        return [await download(i) for i in range(4)]

    rec, _ = run(nb09.measure_safely("exercise 1", download_all()))
    failed(capsys, nb09.check_unblocked(rec, SIZES), "one after another")


def test_unblocked_wrong_value_and_blank(capsys):
    async def download(i):
        return await asyncio.to_thread(read_url, URLS[0])

    rec, _ = run(exercise1(download))
    failed(capsys, nb09.check_unblocked(rec, SIZES), "returned [1, 1, 1, 1], expected [1, 2, 3, 4]")
    failed(capsys, nb09.check_unblocked(..., SIZES), "still `...`")


# -- exercise 2: a lost task ------------------------------------------------------------
ITEMS = ["tea", "cake", "jam"]


def exercise2(handle_order):
    saved: list[str] = []

    async def save(item):
        await asyncio.sleep(0.1)
        saved.append(item)

    async def main():
        rec = await nb09.measure_safely("exercise 2", handle_order(save, ITEMS))
        await asyncio.sleep(0.2)  # a lost task, had it survived, would have saved by now
        return rec

    return main(), saved


def test_nothing_lost_right(capsys):
    async def handle_order(save, items):
        async with asyncio.TaskGroup() as tg:
            for item in items:
                tg.create_task(save(item))
        return "ok"

    coro, saved = exercise2(handle_order)
    rec, left = run(coro)
    passed(capsys, nb09.check_nothing_lost(rec, saved, ITEMS))
    assert left == []


def test_nothing_lost_fire_and_forget(capsys):
    async def handle_order(save, items):
        for item in items:
            asyncio.create_task(save(item))
        return "ok"

    coro, saved = exercise2(handle_order)
    rec, left = run(coro)
    failed(capsys, nb09.check_nothing_lost(rec, saved, ITEMS),
           "3 task(s) were still running when handle_order returned", "save('tea')", "TaskGroup")
    assert saved == [] and left == []  # cancelled by measure_safely: nothing ran on


def test_nothing_lost_but_one_after_another(capsys):
    async def handle_order(save, items):
        for item in items:
            await save(item)
        return "ok"

    coro, saved = exercise2(handle_order)
    rec, _ = run(coro)
    failed(capsys, nb09.check_nothing_lost(rec, saved, ITEMS), "nothing was lost", "one after another")


def test_nothing_lost_missing_items_and_errors(capsys):
    async def handle_order(save, items):
        async with asyncio.TaskGroup() as tg:
            for item in items[:2]:
                tg.create_task(save(item))
        return "ok"

    coro, saved = exercise2(handle_order)
    rec, _ = run(coro)
    failed(capsys, nb09.check_nothing_lost(rec, saved, ITEMS), "saved ['cake', 'tea']")

    async def broken(save, items):
        async with asyncio.TaskGroup() as tg:
            tg.create_task(...)  # type: ignore[arg-type]

    coro, saved = exercise2(broken)
    rec, left = run(coro)
    failed(capsys, nb09.check_nothing_lost(rec, saved, ITEMS), "from a TaskGroup, first TypeError")
    assert left == []


# -- exercise 3: a swallowed cancellation -------------------------------------------------
async def polite(log):
    try:
        for _ in range(20):
            try:
                await asyncio.sleep(0.05)
                log.append("poll")
            except Exception:
                log.append("error ignored")
    finally:
        log.append("closed")


async def reraises(log):
    try:
        for _ in range(20):
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                raise
            except:  # noqa: E722
                log.append("error ignored")
    finally:
        log.append("closed")


async def bare_except(log):
    try:
        for _ in range(10):
            try:
                await asyncio.sleep(0.05)
            except:  # noqa: E722
                log.append("error ignored")
    finally:
        log.append("closed")


async def no_cleanup(log):
    for _ in range(20):
        await asyncio.sleep(0.05)


async def too_quick(log):
    log.append("closed")


async def converts(log):
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:
        raise RuntimeError("stopped")
    finally:
        log.append("closed")


def keep_polling(log):  # forgot `async`
    return None


@pytest.mark.parametrize("answer", [polite, reraises])
def test_cancellable_right(capsys, answer):
    verdict, left = run(nb09.check_cancellable(answer))
    passed(capsys, verdict)
    assert left == []


def test_cancellable_bare_except(capsys):
    verdict, left = run(nb09.check_cancellable(bare_except))
    failed(capsys, verdict, "bare_except() was cancelled but went on working", "except Exception:")
    assert left == []


def test_cancellable_stubborn_past_the_grace_period(capsys):
    verdict, left = run(nb09.check_cancellable(bare_except, grace=0.1))
    failed(capsys, verdict, "went on working")
    assert left == []


def test_cancellable_without_cleanup(capsys):
    verdict, _ = run(nb09.check_cancellable(no_cleanup))
    failed(capsys, verdict, "clean-up did not run", "try/finally")


def test_cancellable_other_wrong_answers(capsys):
    verdict, _ = run(nb09.check_cancellable(too_quick))
    failed(capsys, verdict, "finished before it was cancelled")
    verdict, _ = run(nb09.check_cancellable(converts))
    failed(capsys, verdict, "raised RuntimeError: stopped", "instead of letting CancelledError through")
    verdict, _ = run(nb09.check_cancellable(keep_polling))
    failed(capsys, verdict, "is not an `async def` function")
    verdict, _ = run(nb09.check_cancellable(...))
    failed(capsys, verdict, "still `...`")


# -- exercise 4: cap concurrency with a semaphore ----------------------------------------
async def capped(session, urls, limit):
    sem = asyncio.Semaphore(limit)

    async def one(url):
        async with sem:
            async with session.get(url) as response:
                return await response.read()

    return await asyncio.gather(*(one(url) for url in urls))


async def semaphore_per_request(session, urls, limit):
    async def one(url):
        async with asyncio.Semaphore(limit):
            async with session.get(url) as response:
                return await response.read()

    return await asyncio.gather(*(one(url) for url in urls))


async def one_at_a_time(session, urls, limit):
    out = []
    for url in urls:
        async with session.get(url) as response:
            out.append(await response.read())
    return out


async def blank(session, urls, limit):
    sem = ...

    async def one(url):
        async with sem:  # type: ignore[attr-defined]
            async with session.get(url) as response:
                return await response.read()

    return await asyncio.gather(*(one(url) for url in urls))


async def forgot_await_read(session, urls, limit):
    sem = asyncio.Semaphore(limit)

    async def one(url):
        async with sem:
            async with session.get(url) as response:
                return response.read()

    return await asyncio.gather(*(one(url) for url in urls))


async def half(session, urls, limit):
    return await capped(session, urls[: len(urls) // 2], limit)


@pytest.fixture(scope="module")
def outcomes():
    """Run every answer against one real server; keep (outcome, stats, tasks left) per answer."""
    answers = [capped, semaphore_per_request, one_at_a_time, blank, forgot_await_read, half]

    async def main():
        results = {}
        async with LocalServer(files=12, size=100, latency=0.05, name="test-nb09") as server:
            urls = [f.url for f in server.files]
            for answer in answers:
                await asyncio.to_thread(server.reset_stats)
                outcome = await nb09.try_download(answer, urls, limit=3)
                stats = await asyncio.to_thread(server.stats)
                left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
                results[answer.__name__] = (outcome, stats, left)
        return results

    return asyncio.run(main())


def test_capped_right(capsys, outcomes):
    outcome, stats, left = outcomes["capped"]
    passed(capsys, nb09.check_capped(outcome, stats, limit=3, n=12, size=100))
    assert 2 <= stats["max_in_flight"] <= 3
    assert left == []


def test_capped_semaphore_per_request_limits_nothing(capsys, outcomes):
    outcome, stats, _ = outcomes["semaphore_per_request"]
    failed(capsys, nb09.check_capped(outcome, stats, limit=3, n=12),
           "more than the limit of 3", "Create the Semaphore once")


def test_capped_one_at_a_time(capsys, outcomes):
    outcome, stats, _ = outcomes["one_at_a_time"]
    failed(capsys, nb09.check_capped(outcome, stats, limit=3, n=12), "one at a time", "asyncio.gather")


def test_capped_blank(capsys, outcomes):
    outcome, stats, left = outcomes["blank"]
    failed(capsys, nb09.check_capped(outcome, stats, limit=3, n=12), "a `...` blank is still there: replace every `...` in fetch_all")
    assert left == []


def test_capped_missing_await_and_wrong_count(capsys, outcomes):
    outcome, stats, left = outcomes["forgot_await_read"]
    failed(capsys, nb09.check_capped(outcome, stats, limit=3, n=12), "coroutines", "missing `await`")
    assert left == []
    outcome, stats, _ = outcomes["half"]
    failed(capsys, nb09.check_capped(outcome, stats, limit=3, n=12), "returned 6 results", "expected a list of 12")


def test_capped_blank_outcome(capsys):
    failed(capsys, nb09.check_capped(..., {}, limit=3, n=12), "still `...`")
