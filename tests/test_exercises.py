"""Every code exercise: the solution passes, and typical wrong answers each get their own ❌ sentence.

Each case is (learner's coroutine function, the phrase its ❌ must contain).  The
expected answers are written here literally, never taken from the module under test.
Waits are short and the phrases do not depend on timing, so a busy machine is fine.
"""

from __future__ import annotations

import asyncio
import sys
import time

import pytest

from asynclab import check
from asynclab.exercises import nb00, nb01, nb02, nb03, nb04, nb05, nb06, nb09
from verdicts import failed, passed


async def make(item, seconds=0.05):
    await asyncio.sleep(seconds)
    return item


# -- wrong answers every exercise must explain -------------------------------------------------
def hangs(*_):
    async def hang():
        await asyncio.Event().wait()
    return hang()


def interrupts(*_):
    async def interrupt():
        raise KeyboardInterrupt
    return interrupt()


def exits(*_):
    async def leave():
        sys.exit(3)
    return leave()


def returns_none(*_):
    async def nothing():
        await asyncio.sleep(0.01)
        return None
    return nothing()


def closes(*_):
    async def close_me():
        raise GeneratorExit
    return close_me()


COMMON = [(hangs, "still running after 1 s"), (interrupts, "raised KeyboardInterrupt"),
          (exits, "raised SystemExit"), (closes, "GeneratorExit")]


def judge(capsys, work, rules, time_limit=1.0, **more):
    async def main():
        run = await check.run(work, time_limit=time_limit)
        verdict = check.expect(run, rules, **more)
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return verdict, others
    t0 = time.perf_counter()
    verdict, others = asyncio.run(main())
    assert time.perf_counter() - t0 < time_limit + 3, "the check took far longer than its time limit"
    assert others == [], f"the check left tasks running: {others}"
    return verdict


# -- notebook 00 -------------------------------------------------------------------------------
async def ready():
    return await asyncio.sleep(0.1, result="ready")


async def ready_without_waiting():
    return "ready"


async def ready_blocking():
    time.sleep(0.1)
    return "ready"


async def ready_forgot_await():
    asyncio.sleep(0.1)
    return "ready"


async def ready_left_running():
    asyncio.create_task(asyncio.sleep(3))
    return await asyncio.sleep(0.1, result="ready")


async def tea_then_toast():
    return [await make("tea"), await make("toast")]


async def tea_and_toast():
    return await asyncio.gather(make("tea"), make("toast"))


async def tea_and_toast_locked():
    lock = asyncio.Lock()

    async def one(item):
        async with lock:
            return await make(item)
    return await asyncio.gather(one("tea"), one("toast"))


async def tea_and_toast_fire_and_forget():
    asyncio.create_task(make("tea"))
    asyncio.create_task(make("toast"))
    await asyncio.sleep(0.2)
    return ["tea", "toast"]


async def tea_and_toast_first_only():
    tea, toast = asyncio.create_task(make("tea")), asyncio.create_task(make("toast"))
    return [await tea, "toast"]


CASES = {
    "00-1": (nb00.GET_READY, {}, ready, [
        (ready_without_waiting, "waited only"), (ready_blocking, "held the event loop"),
        (ready_forgot_await, "`asyncio.sleep(0.1)` in ready_forgot_await was called but never awaited"), (returns_none, "returned None"),
        (ready_left_running, "still running when ready_left_running returned")]),
    "00-2": (nb00.TEA_AND_TOAST, {}, tea_and_toast, [
        (tea_then_toast, "one after another"), (tea_and_toast_locked, "queueing is not concurrency"),
        (tea_and_toast_fire_and_forget, "never awaited them"), (tea_and_toast_first_only, "never awaited them"),
        (returns_none, "returned None")]),
}


# -- notebooks 01 and 03: breakfasts -----------------------------------------------------------
async def breakfast():
    return list(await asyncio.gather(make("tea"), make("toast"), make("egg")))


async def breakfast_one_by_one():
    return [await make("tea"), await make("toast"), await make("egg")]


async def breakfast_semaphore_1():
    gate = asyncio.Semaphore(1)

    async def one(item):
        async with gate:
            return await make(item)
    return list(await asyncio.gather(one("tea"), one("toast"), one("egg")))


async def breakfast_gather_not_awaited():
    return asyncio.gather(make("tea"), make("toast"), make("egg"))


async def breakfast_left_running():
    asyncio.create_task(make("egg", 3))
    return list(await asyncio.gather(make("tea"), make("toast"), make("egg")))


CASES["01-2"] = (nb01.BREAKFAST, {}, breakfast, [
    (breakfast_one_by_one, "one after another"), (breakfast_semaphore_1, "waited in line for a Lock or Semaphore"),
    (breakfast_gather_not_awaited, "returned a Future"), (breakfast_left_running, "still running"),
    (returns_none, "returned None")])


async def fast_breakfast():
    toast, eggs, coffee = (asyncio.create_task(make(n, d)) for n, d in (("toast", 0.3), ("eggs", 0.4), ("coffee", 0.2)))
    return [await toast, await eggs, await coffee]


async def fast_breakfast_coroutines():
    toast, eggs, coffee = make("toast", 0.3), make("eggs", 0.4), make("coffee", 0.2)
    return [await toast, await eggs, await coffee]


async def fast_breakfast_coffee_forgotten():
    toast, eggs = asyncio.create_task(make("toast", 0.3)), asyncio.create_task(make("eggs", 0.4))
    asyncio.create_task(make("coffee", 0.2))
    return [await toast, await eggs, "coffee"]


async def fast_breakfast_not_awaited():
    make("coffee", 0.2)
    return ["toast", "eggs", "coffee"]


CASES["03-3"] = (nb03.FAST, {}, fast_breakfast, [
    (fast_breakfast_coroutines, "one after another"), (fast_breakfast_coffee_forgotten, "never awaited them"),
    (fast_breakfast_not_awaited, "`make(\"coffee\", 0.2)` in fast_breakfast_not_awaited was called but never awaited"), (returns_none, "returned None")])


# -- notebook 02: the stock bug hunt -----------------------------------------------------------
async def fetch_stock(item):
    await asyncio.sleep(0.02)
    return {"tea": 12, "cake": 0}[item]


async def in_stock():
    return await fetch_stock("tea")


async def in_stock_buggy():
    count = fetch_stock("tea")
    return count


async def in_stock_hard_coded_wrong():
    await fetch_stock("tea")
    return 0


async def in_stock_key_error():
    return await fetch_stock("coffee")


CASES["02-2"] = (nb02.STOCK, {}, in_stock, [
    (in_stock_buggy, "returned the coroutine object fetch_stock"), (in_stock_hard_coded_wrong, "returned 0, expected 12"),
    (in_stock_key_error, "KeyError"), (returns_none, "returned None")])


# -- notebook 04 ----------------------------------------------------------------------------------
PARTS = {f"part{i}.zip": 0.05 for i in range(1, 6)}
PARTS_DONE = [f"{n}: done" for n in PARTS]


async def download(name, delay):
    await asyncio.sleep(delay)
    return f"{name}: done"


async def download_all():
    return await asyncio.gather(*(download(n, d) for n, d in PARTS.items()))


async def download_all_sequential():
    return [await download(n, d) for n, d in PARTS.items()]


async def download_all_list_to_gather():
    return await asyncio.gather([download(n, d) for n, d in PARTS.items()])


async def download_all_locked():
    lock = asyncio.Lock()

    async def one(n, d):
        async with lock:
            return await download(n, d)
    return await asyncio.gather(*(one(n, d) for n, d in PARTS.items()))


async def download_all_tasks_returned():
    return [asyncio.create_task(download(n, d)) for n, d in PARTS.items()]


CASES["04-1"] = (nb04.DOWNLOADS, {"result": PARTS_DONE}, download_all, [
    (download_all_sequential, "one after another"), (download_all_list_to_gather, "unpack the list with a star"),
    (download_all_locked, "queueing is not concurrency"), (download_all_tasks_returned, "returned a Task"),
    (returns_none, "returned None")])

USERS = ["ada", "grace", "linus", "guido"]
RECEIPTS = [f"sent to {u}" for u in USERS]


async def notify(user, receipts):
    await asyncio.sleep(0.1)
    receipts.append(f"sent to {user}")


async def notify_all():
    receipts = []
    async with asyncio.TaskGroup() as tg:
        for user in USERS:
            tg.create_task(notify(user, receipts))
    return receipts


async def notify_all_lost():
    receipts = []
    for user in USERS:
        asyncio.create_task(notify(user, receipts))
    return receipts


async def notify_all_then_sleep():
    receipts = []
    for user in USERS:
        asyncio.create_task(notify(user, receipts))
    await asyncio.sleep(0.3)
    return receipts


async def notify_all_first_only():
    receipts = []
    tasks = [asyncio.create_task(notify(user, receipts)) for user in USERS]
    await tasks[0]
    return receipts


async def notify_all_one_by_one():
    receipts = []
    for user in USERS:
        await notify(user, receipts)
    return receipts


CASES["04-2"] = (nb04.NO_LOST_TASKS, {"result": RECEIPTS}, notify_all, [
    (notify_all_lost, "still running when notify_all_lost returned"), (notify_all_then_sleep, "never awaited them"),
    (notify_all_first_only, "never awaited them"), (notify_all_one_by_one, "one after another"),
    (returns_none, "returned None")])

PAGES = {"home": 0.05, "about": 0.08, "missing": 0.02, "blog": 0.06}
PAGES_OUT = ["<h1>home</h1>", "<h1>about</h1>", None, "<h1>blog</h1>"]


async def fetch_page(name, delay):
    await asyncio.sleep(delay)
    if name == "missing":
        raise LookupError(f"{name}: 404 not found")
    return f"<h1>{name}</h1>"


async def fetch_or_none(name, delay):
    try:
        return await fetch_page(name, delay)
    except LookupError:
        return None


async def fetch_all():
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(fetch_or_none(n, d)) for n, d in PAGES.items()]
    return [t.result() for t in tasks]


async def fetch_all_group_fails():
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(fetch_page(n, d)) for n, d in PAGES.items()]
    return [t.result() for t in tasks]


async def fetch_all_except_star():
    try:
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(fetch_page(n, d)) for n, d in PAGES.items()]
    except* LookupError:
        pass
    return [t.result() for t in tasks]


async def fetch_all_exceptions_kept():
    return await asyncio.gather(*(fetch_page(n, d) for n, d in PAGES.items()), return_exceptions=True)


CASES["04-3"] = (nb04.FAILURE_ISOLATED, {"result": PAGES_OUT}, fetch_all, [
    (fetch_all_group_fails, "One failure cancelled the whole group"),
    (fetch_all_except_star, "A task the TaskGroup cancelled has no result"),
    (fetch_all_exceptions_kept, "the list holds the exception LookupError"), (returns_none, "returned None")])

SLOW = {"home": 0.05, "search": 2.0, "blog": 0.08}
SLOW_OUT = ["<h1>home</h1>", None, "<h1>blog</h1>"]


async def within(limit, name, delay):
    try:
        async with asyncio.timeout(limit):
            return await fetch_page(name, delay)
    except TimeoutError:
        return None


async def fetch_with_deadline():
    return await asyncio.gather(*(within(0.4, n, d) for n, d in SLOW.items()))


async def fetch_with_deadline_too_long():
    return await asyncio.gather(*(within(3, n, d) for n, d in {"home": 0.05, "search": 0.6, "blog": 0.08}.items()))


async def fetch_with_deadline_too_short():
    return await asyncio.gather(*(within(0.01, n, d) for n, d in SLOW.items()))


async def fetch_with_deadline_uncaught():
    async with asyncio.timeout(0.4):
        return await asyncio.gather(*(fetch_page(n, d) for n, d in SLOW.items()))


CASES["04-4"] = (nb04.DEADLINE, {"result": SLOW_OUT}, fetch_with_deadline, [
    (fetch_with_deadline_too_long, "the slow fetch was waited for"), (fetch_with_deadline_too_short, "every result is None"),
    (fetch_with_deadline_uncaught, "TimeoutError"), (returns_none, "returned None")])


# -- notebook 05: the secretly blocking crawl -------------------------------------------------
async def crawl_page(page, pause):
    await asyncio.sleep(0.05)
    await pause(page)
    return f"page {page}"


async def crawl():
    return await asyncio.gather(*(crawl_page(p, lambda p: asyncio.sleep(0.01 * p)) for p in range(1, 5)))


async def crawl_blocking():
    async def pause(p):
        time.sleep(0.06)
    return await asyncio.gather(*(crawl_page(p, pause) for p in range(1, 5)))


async def crawl_without_pause():
    async def pause(p):
        return None
    return await asyncio.gather(*(crawl_page(p, pause) for p in range(1, 5)))


async def crawl_one_by_one():
    return [await crawl_page(p, lambda p: asyncio.sleep(0.01)) for p in range(1, 5)]


def test_05_crawl_pause_in_a_thread_is_right(capsys):
    """The learner's `await asyncio.to_thread(back_off, page)`: the pause happens, off the loop."""
    def back_off(page):
        time.sleep(0.01 * page)

    async def crawl_page_in_thread(page):
        await asyncio.sleep(0.05)
        await asyncio.to_thread(back_off, page)
        return f"page {page}"

    async def crawl_in_threads():
        return await asyncio.gather(*(crawl_page_in_thread(p) for p in range(1, 5)))
    line = passed(capsys, judge(capsys, crawl_in_threads(), nb05.CRAWL, time_limit=3.0))
    assert "the loop stayed free, every page still paused politely" in line


CASES["05-3"] = (nb05.CRAWL, {}, crawl, [
    (crawl_blocking, "held the event loop"), (crawl_without_pause, "the polite pause is gone"),
    (crawl_one_by_one, "one after another"), (returns_none, "returned None")])


# -- notebook 06 ----------------------------------------------------------------------------------
PRICE = {"tea": 2.5, "bread": 1.8, "cheese": 6.0}


async def price(item):
    await asyncio.sleep({"tea": 0.08, "bread": 0.02, "cheese": 0.05}[item])
    return PRICE[item]


async def all_prices():
    return await asyncio.gather(*(price(i) for i in PRICE))


async def all_prices_as_completed():
    return [await c for c in asyncio.as_completed([price(i) for i in PRICE])]


async def all_prices_one_by_one():
    return [await price(i) for i in PRICE]


CASES["06-1"] = (nb06.in_order([2.5, 1.8, 6.0]), {}, all_prices, [
    (all_prices_as_completed, "in the wrong order"), (all_prices_one_by_one, "one after another"),
    (returns_none, "returned None")])

SIZE = {"home": 5120, "blog": 20480, "about": 1024}


async def page_size(name):
    await asyncio.sleep({"home": 0.08, "blog": 0.05, "about": 0.02}[name])
    return SIZE[name]


async def sizes_of():
    return dict(zip(SIZE, await asyncio.gather(*(page_size(n) for n in SIZE))))


async def sizes_of_as_completed():
    return dict(zip(SIZE, [await c for c in asyncio.as_completed([page_size(n) for n in SIZE])]))


CASES["06-2"] = (nb06.sizes({"home": 5120, "blog": 20480, "about": 1024}), {}, sizes_of, [
    (sizes_of_as_completed, "paired with the wrong page"), (returns_none, "returned None")])


async def ping(host):
    await asyncio.sleep(0.03)
    if host == "bravo":
        raise ConnectionError("refused")
    if host == "delta":
        raise TimeoutError()
    return f"pong from {host}"


HOSTS = ["alpha", "bravo", "charlie", "delta", "echo"]


async def survey(exceptions=True, test=lambda r: isinstance(r, BaseException)):
    results = await asyncio.gather(*(ping(h) for h in HOSTS), return_exceptions=exceptions)
    up, down = {}, {}
    for host, result in zip(HOSTS, results):
        if test(result):
            down[host] = type(result).__name__
        else:
            up[host] = result
    return up, down


CASES["06-3"] = (nb06.split({"alpha": "pong from alpha", "charlie": "pong from charlie", "echo": "pong from echo"},
                            {"bravo": "ConnectionError", "delta": "TimeoutError"}), {}, survey, [
    (lambda: survey(False), "the other results are lost"), (lambda: survey(True, lambda r: True), "holds hosts that answered"),
    (lambda: survey(True, lambda r: False), "`up` holds exceptions"), (returns_none, "should return two dicts")])


# -- notebook 09 ----------------------------------------------------------------------------------
SAVED: list = []


async def save(item):
    await asyncio.sleep(0.05)
    SAVED.append(item)


async def handle_order():
    async with asyncio.TaskGroup() as tg:
        for item in ["tea", "cake", "jam"]:
            tg.create_task(save(item))
    return "3 items accepted"


async def handle_order_lost():
    for item in ["tea", "cake", "jam"]:
        asyncio.create_task(save(item))
    return "3 items accepted"


async def handle_order_then_sleep():
    for item in ["tea", "cake", "jam"]:
        asyncio.create_task(save(item))
    await asyncio.sleep(0.2)
    return "3 items accepted"


async def handle_order_one_by_one():
    for item in ["tea", "cake", "jam"]:
        await save(item)
    return "3 items accepted"


async def handle_order_semaphore_1():
    gate = asyncio.Semaphore(1)

    async def one(item):
        async with gate:
            await save(item)
    await asyncio.gather(*(one(i) for i in ["tea", "cake", "jam"]))
    return "3 items accepted"


async def handle_order_without_return():  # the learner's: the solution with its `return` line dropped
    async with asyncio.TaskGroup() as tg:
        for item in ["tea", "cake", "jam"]:
            tg.create_task(save(item))


class _SavedRules(dict):
    """nb09.nothing_lost reads SAVED when the check runs; cleared before each attempt."""


CASES["09-2"] = (nb09.nothing_lost(SAVED, ["tea", "cake", "jam"]), {}, handle_order, [
    (handle_order_lost, "still running when handle_order_lost returned"), (handle_order_then_sleep, "never awaited them"),
    (handle_order_one_by_one, "one after another"), (handle_order_semaphore_1, "queueing is not concurrency"),
    (handle_order_without_return, "returned None, expected '3 items accepted'. Is the `return` line missing?"),
    (returns_none, "Is the `return` line missing?")])


# -- the tests -------------------------------------------------------------------------------------
def _cases():
    for key, (rules, more, right, wrong) in CASES.items():
        yield pytest.param(rules, more, right, None, id=f"{key}-solution")
        for work, phrase in list(wrong) + COMMON:
            yield pytest.param(rules, more, work, phrase, id=f"{key}-{getattr(work, '__name__', 'wrong')}")


@pytest.mark.parametrize("rules, more, work, phrase", list(_cases()))
def test_exercise(capsys, rules, more, work, phrase):
    SAVED.clear()
    verdict = judge(capsys, work(), rules, time_limit=1.0 if phrase else 3.0, **more)
    if phrase is None:
        passed(capsys, verdict)
    else:
        line = failed(capsys, verdict, phrase)
        assert "Traceback" not in line and "asynclab" not in line and "0x" not in line, line


@pytest.mark.parametrize("rules", [nb00.GET_READY, nb04.DOWNLOADS, nb09.UNBLOCKED])
def test_wrong_kinds_of_object_get_a_sentence(capsys, rules):
    async def main():
        verdicts = [check.expect(check.run(ready()), rules)]              # `await` forgotten before check.run
        for thing in (ready, None, [1, 2], "ready", ..., await check.run(ready())):
            verdicts.append(check.expect(await check.run(thing), rules) if thing is not ready
                            else check.expect(await check.run(thing), rules))
        verdicts.append(check.expect(None, rules))
        return verdicts
    verdicts = asyncio.run(main())
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(verdicts) and not any(verdicts)
    assert all(line.startswith("❌ Not yet:") for line in lines), lines
    assert "put `await` in front of check.run" in lines[0]
    assert "call it" in lines[1]
    assert "take the `await` away" in lines[3]
