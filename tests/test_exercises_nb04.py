"""The checks of notebook 04 accept right answers and explain each typical wrong one.

Every check runs the learner's coroutine for real (short sleeps), so these tests
also show that a wrong answer never raises and never leaves a task running.
"""

from __future__ import annotations

import asyncio
import gc
import time
import warnings

import matplotlib

matplotlib.use("Agg")

from asynclab.exercises import nb04  # noqa: E402
from verdicts import failed, one_line, passed, run_and_list_leftovers  # noqa: F401

FILES = {"a": 0.05, "b": 0.05, "c": 0.05}
EXPECTED = [f"{name}: done" for name in FILES]


async def download(name, delay):
    await asyncio.sleep(delay)
    return f"{name}: done"


def run_check(check, coro, expected, **kwargs):
    """Run a check on a fresh loop; return (verdict, tasks still pending afterwards)."""

    return run_and_list_leftovers(check(coro, expected, picture=False, **kwargs))




# -- exercise 1: from one by one to gather ---------------------------------------
async def gathered(files):
    return await asyncio.gather(*(download(n, d) for n, d in files.items()))


async def one_by_one(files):
    return [await download(n, d) for n, d in files.items()]


def test_downloads_right(capsys):
    verdict, left = run_check(nb04.check_downloads, gathered(FILES), EXPECTED, at_least=3)
    passed(capsys, verdict)
    assert left == []


def test_downloads_sequential_says_so(capsys):
    verdict, _ = run_check(nb04.check_downloads, one_by_one(FILES), EXPECTED, at_least=3)
    failed(capsys, verdict, "ran sequentially", "one piece after another")


def test_downloads_tasks_awaited_one_by_one_is_sequential(capsys):
    async def create_then_await_each(files):
        results = []
        for n, d in files.items():
            task = asyncio.create_task(download(n, d))
            results.append(await task)
        return results

    verdict, _ = run_check(nb04.check_downloads, create_then_await_each(FILES), EXPECTED, at_least=3)
    failed(capsys, verdict, "ran sequentially")


def test_downloads_missing_await_before_gather(capsys):
    async def no_await(files):
        return asyncio.gather(*(download(n, d) for n, d in files.items()))

    verdict, left = run_check(nb04.check_downloads, no_await(FILES), EXPECTED, at_least=3)
    failed(capsys, verdict, "GatheringFuture instead of the results", "Put `await` in front of asyncio.gather")
    assert left == [], "the check must cancel what the unawaited gather left running"


def test_downloads_list_without_star(capsys):
    async def no_star(files):
        return await asyncio.gather([download(n, d) for n, d in files.items()])

    with warnings.catch_warnings():  # the coroutines in the list were never awaited: true, and said
        warnings.simplefilter("ignore", RuntimeWarning)
        verdict, _ = run_check(nb04.check_downloads, no_star(FILES), EXPECTED, at_least=3)
        gc.collect()
    failed(capsys, verdict, "unpack the list with a star")


def test_downloads_list_of_coroutines(capsys):
    async def coroutines(files):
        return [download(n, d) for n, d in files.items()]

    verdict, _ = run_check(nb04.check_downloads, coroutines(FILES), EXPECTED, at_least=3)
    failed(capsys, verdict, "list of 3 coroutine objects", "never ran")


def test_downloads_list_of_tasks(capsys):
    async def tasks(files):
        return [asyncio.create_task(download(n, d)) for n, d in files.items()]

    verdict, left = run_check(nb04.check_downloads, tasks(FILES), EXPECTED, at_least=3)
    failed(capsys, verdict, "list of Task objects, not their results")
    assert left == []


def test_downloads_blocking_call(capsys):
    async def blocking(name, delay):
        time.sleep(0.06)
        return f"{name}: done"

    async def gathered_blocking(files):
        return await asyncio.gather(*(blocking(n, d) for n, d in files.items()))

    verdict, _ = run_check(nb04.check_downloads, gathered_blocking(FILES), EXPECTED, at_least=3)
    failed(capsys, verdict, "blocked the event loop", "time.sleep")


def test_downloads_wrong_value(capsys):
    async def first_two(files):
        return await asyncio.gather(*(download(n, d) for n, d in list(files.items())[:2]))

    verdict, _ = run_check(nb04.check_downloads, first_two(FILES), EXPECTED, at_least=3)
    failed(capsys, verdict, "expected ['a: done', 'b: done', 'c: done']")


def test_downloads_blank_and_function_instead_of_coroutine(capsys):
    verdict, _ = run_check(nb04.check_downloads, ..., EXPECTED)
    failed(capsys, verdict, "still `...`")
    verdict, _ = run_check(nb04.check_downloads, gathered, EXPECTED)
    failed(capsys, verdict, "pass the coroutine, not the function")


# -- exercise 2: lost tasks -----------------------------------------------------
USERS = ["ada", "grace", "linus"]
RECEIPTS = [f"sent to {u}" for u in USERS]


async def notify(user, receipts):
    await asyncio.sleep(0.05)
    receipts.append(f"sent to {user}")


def test_notify_right_in_any_order(capsys):
    async def with_group(users):
        receipts = []
        async with asyncio.TaskGroup() as tg:
            for u in reversed(users):
                tg.create_task(notify(u, receipts))
        return receipts

    verdict, left = run_check(nb04.check_no_lost_tasks, with_group(USERS), RECEIPTS, at_least=3)
    passed(capsys, verdict)
    assert left == []


def test_notify_fire_and_forget_is_explained_and_cleaned_up(capsys):
    async def planted_bug(users):
        receipts = []
        for u in users:
            asyncio.create_task(notify(u, receipts))
        return receipts

    verdict, left = run_check(nb04.check_no_lost_tasks, planted_bug(USERS), RECEIPTS, at_least=3)
    failed(capsys, verdict, "returned []", "3 task(s) it started were still running")
    assert left == [], "the check must cancel the forgotten tasks"


def test_notify_sequential(capsys):
    async def one_by_one_notify(users):
        receipts = []
        for u in users:
            await notify(u, receipts)
        return receipts

    verdict, _ = run_check(nb04.check_no_lost_tasks, one_by_one_notify(USERS), RECEIPTS, at_least=3)
    failed(capsys, verdict, "ran sequentially")


def test_notify_missing_receipt(capsys):
    async def skips_one(users):
        receipts = []
        await asyncio.gather(*(notify(u, receipts) for u in users[1:]))
        return receipts

    verdict, _ = run_check(nb04.check_no_lost_tasks, skips_one(USERS), RECEIPTS, at_least=2)
    failed(capsys, verdict, "expected the receipts", "in any order")


# -- exercise 3: one failure should not cost the others ---------------------------
PAGES = {"home": 0.05, "missing": 0.02, "blog": 0.06}
PAGES_EXPECTED = ["<home>", None, "<blog>"]


async def fetch_page(name, delay):
    await asyncio.sleep(delay)
    if name == "missing":
        raise LookupError(f"{name}: 404")
    return f"<{name}>"


async def fetch_or_none(name, delay):
    try:
        return await fetch_page(name, delay)
    except LookupError:
        return None


def test_fetch_right(capsys):
    async def isolated(pages):
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(fetch_or_none(n, d)) for n, d in pages.items()]
        return [t.result() for t in tasks]

    verdict, left = run_check(nb04.check_failure_isolated, isolated(PAGES), PAGES_EXPECTED, at_least=3)
    passed(capsys, verdict)
    assert left == []


def test_fetch_gather_return_exceptions_mapped_is_right(capsys):
    async def mapped(pages):
        results = await asyncio.gather(*(fetch_page(n, d) for n, d in pages.items()), return_exceptions=True)
        return [None if isinstance(r, Exception) else r for r in results]

    verdict, _ = run_check(nb04.check_failure_isolated, mapped(PAGES), PAGES_EXPECTED, at_least=3)
    passed(capsys, verdict)


def test_fetch_planted_taskgroup_bug(capsys):
    async def planted(pages):
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(fetch_page(n, d)) for n, d in pages.items()]
        return [t.result() for t in tasks]

    verdict, left = run_check(nb04.check_failure_isolated, planted(PAGES), PAGES_EXPECTED, at_least=3)
    failed(capsys, verdict, "ExceptionGroup (LookupError: missing: 404)", "2 other fetch(es) were cancelled")
    assert left == []


def test_fetch_plain_gather_loses_the_others(capsys):
    async def plain_gather(pages):
        return await asyncio.gather(*(fetch_page(n, d) for n, d in pages.items()))

    verdict, left = run_check(nb04.check_failure_isolated, plain_gather(PAGES), PAGES_EXPECTED, at_least=3)
    failed(capsys, verdict, "raised LookupError", "still running", "return_exceptions=True")
    assert left == []


def test_fetch_exceptions_left_in_the_list(capsys):
    async def unmapped(pages):
        return await asyncio.gather(*(fetch_page(n, d) for n, d in pages.items()), return_exceptions=True)

    verdict, _ = run_check(nb04.check_failure_isolated, unmapped(PAGES), PAGES_EXPECTED, at_least=3)
    failed(capsys, verdict, "exception object LookupError", "where None is expected")


def test_fetch_sequential(capsys):
    async def one_by_one_pages(pages):
        return [await fetch_or_none(n, d) for n, d in pages.items()]

    verdict, _ = run_check(nb04.check_failure_isolated, one_by_one_pages(PAGES), PAGES_EXPECTED, at_least=3)
    failed(capsys, verdict, "ran sequentially")


# -- exercise 4: a deadline per page --------------------------------------------
SLOW = {"home": 0.02, "search": 0.5, "blog": 0.04}
SLOW_EXPECTED = ["<home>", None, "<blog>"]


def with_limit(limit, use_wait_for=False):
    """The notebook's answer (asyncio.timeout), or the wait_for variant."""
    async def fetch_within(name, delay):
        try:
            if use_wait_for:
                return await asyncio.wait_for(fetch_page(name, delay), timeout=limit)
            async with asyncio.timeout(limit):
                return await fetch_page(name, delay)
        except TimeoutError:
            return None

    async def fetch_with_deadline(pages):
        return await asyncio.gather(*(fetch_within(n, d) for n, d in pages.items()))

    return fetch_with_deadline


def test_deadline_right(capsys):
    verdict, left = run_check(nb04.check_timeout_keeps_fast, with_limit(0.15)(SLOW), SLOW_EXPECTED, at_least=3)
    passed(capsys, verdict)
    assert left == []


def test_deadline_with_wait_for_also_right(capsys):
    verdict, left = run_check(nb04.check_timeout_keeps_fast, with_limit(0.15, use_wait_for=True)(SLOW),
                              SLOW_EXPECTED, at_least=3)
    passed(capsys, verdict)
    assert left == []


def test_deadline_too_long_never_fires(capsys):
    verdict, _ = run_check(nb04.check_timeout_keeps_fast, with_limit(1.0)(SLOW), SLOW_EXPECTED, at_least=3)
    failed(capsys, verdict, "the timeout never fired")


def test_deadline_too_short_for_everyone(capsys):
    verdict, _ = run_check(nb04.check_timeout_keeps_fast, with_limit(0.005)(SLOW), SLOW_EXPECTED, at_least=3)
    failed(capsys, verdict, "every result is None")


def test_deadline_around_the_whole_batch_uncaught(capsys):
    async def whole_batch(pages):
        async with asyncio.timeout(0.15):
            return await asyncio.gather(*(fetch_page(n, d) for n, d in pages.items()))

    verdict, left = run_check(nb04.check_timeout_keeps_fast, whole_batch(SLOW), SLOW_EXPECTED, at_least=3)
    failed(capsys, verdict, "raised TimeoutError", "every result was lost")
    assert left == []


def test_deadline_slow_task_left_running(capsys):
    async def wait_without_cancel(pages):
        tasks = [asyncio.create_task(fetch_page(n, d)) for n, d in pages.items()]
        done, _pending = await asyncio.wait(tasks, timeout=0.15)
        return [t.result() if t in done else None for t in tasks]

    verdict, left = run_check(nb04.check_timeout_keeps_fast, wait_without_cancel(SLOW), SLOW_EXPECTED, at_least=3)
    failed(capsys, verdict, "1 task(s) it started were still running", "cancel the ones you give up on")
    assert left == []


def test_deadline_blanks_in_a_notebook_helper_are_found_before_running(capsys):
    cell = '''
async def fetch_within(name, delay):
    try:
        async with asyncio.timeout(...):
            return await ...
    except ...:
        return None

async def fetch_with_deadline(pages):
    return await asyncio.gather(*(fetch_within(n, d) for n, d in pages.items()))
'''
    namespace = {"asyncio": asyncio}
    exec(compile(cell, "<notebook cell>", "exec"), namespace)
    started = time.perf_counter()
    verdict, _ = run_check(nb04.check_timeout_keeps_fast, namespace["fetch_with_deadline"](SLOW), SLOW_EXPECTED)
    failed(capsys, verdict, "`fetch_within` still has a `...` blank")
    assert time.perf_counter() - started < 0.5, "a blank answer should not be run at all"


def test_blank_left_in_the_learners_own_function(capsys):
    async def download_all(files):
        return await asyncio.gather(...)

    verdict, _ = run_check(nb04.check_downloads, download_all(FILES), EXPECTED)
    failed(capsys, verdict, "`download_all` still has a `...` blank")


# -- helpers --------------------------------------------------------------------
def test_attempt_records_error_and_cancels_leftovers():
    async def raises_after_starting(files):
        for n, d in files.items():
            asyncio.create_task(download(n, d))
        await asyncio.sleep(0)
        raise ValueError("boom")

    async def main():
        run = await nb04.attempt("t", raises_after_starting(FILES))
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
        return run, pending

    run, pending = asyncio.run(main())
    assert isinstance(run.error, ValueError) and run.rec is None
    assert run.leftovers == 3 and run.cancelled == 3 and pending == []


def test_picture_is_drawn_after_the_verdict(capsys):
    async def main():
        return await nb04.check_downloads(gathered(FILES), EXPECTED, at_least=3)

    assert asyncio.run(main())
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✅") and out[1].startswith("your download_all: 3 tasks")


def test_stopwatch_uses_the_course_format(capsys):
    clock = nb04.Stopwatch()
    clock.log("hello")
    out = capsys.readouterr().out
    assert out.endswith("  hello\n") and " s  " in out and out.strip()[0].isdigit()


def test_panels_prints_summaries_without_a_speed_ratio(capsys):
    async def main():
        a = await nb04.measure("first", gathered(FILES))
        b = await nb04.measure("second", one_by_one(FILES))
        return a, b

    nb04.panels(*asyncio.run(main()))
    out = capsys.readouterr().out
    assert "first: 3 tasks" in out and "second: one_by_one alone (awaiting " in out and "speed-up" not in out
