"""Exercises that need more than check.run + check.expect: values, the tiny loop, the process
pool, cancellation, a capped downloader, the retry rule.  Right answers written here literally."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from asynclab.exercises import nb01, nb02, nb03, nb05, nb07, nb08, nb09, nb11
from asynclab.tinyloop import Sleep
from asynclab.workloads import count_primes
from verdicts import failed, passed

QUIZ_RIGHT = {"fetch": "coroutine function", "fetch()": "coroutine", "make": "function", "make()": "coroutine",
              "ticks": "async generator function"}


def test_02_quiz(capsys):
    passed(capsys, nb02.check_quiz(dict(QUIZ_RIGHT)))
    for key, wrong in [("fetch", "coroutine"), ("make", "coroutine function"), ("ticks", "coroutine function"),
                       ("fetch()", "function"), ("make()", "function")]:
        failed(capsys, nb02.check_quiz({**QUIZ_RIGHT, key: wrong}), f"quiz[{key!r}]")
    failed(capsys, nb02.check_quiz({**QUIZ_RIGHT, "fetch": "a spoon"}), "not one of the four answers")
    failed(capsys, nb02.check_quiz(None), "`quiz` should be a dict with an answer for each question")


async def double(x):
    return 2 * x


async def double_42(x):
    return 42


async def double_hangs(x):
    while True:
        pass


async def double_interrupts(x):
    raise KeyboardInterrupt


async def double_none(x):
    x * 2


async def double_forgets_await(x):
    asyncio.sleep(0)
    return 2 * x


def plain_double(x):
    return 2 * x


@pytest.mark.parametrize("func, answer, phrase", [
    (double_42, 42, "whatever x is"), (double_hangs, 42, "still running after 2 s"),
    (double_interrupts, 42, "KeyboardInterrupt"), (double_none, 42, "gives None"),
    (double_forgets_await, 42, "`asyncio.sleep(0)` in double_forgets_await was called"), (plain_double, 42, "normal function"),
    (double, 41, "answer is 41"), (double, ..., "still `...`")])
def test_02_double_wrong(capsys, func, answer, phrase):
    failed(capsys, asyncio.run(nb02.check_double(func, answer)), phrase)


def test_02_double_right(capsys):
    assert asyncio.run(nb02.check_double(double, 42))
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["✅ answer is 42. Correct!"]


@pytest.mark.parametrize("seq, con, phrase", [(math.nan, 0.5, "NaN"), (1.0, math.inf, "infinite"),
                                              (-1.0, 0.5, "negative"), (1.0, 1.0, "That is the sum"),
                                              (0.5, 0.5, "the sum of the waits"), ("1", 0.5, "should be a number")])
def test_01_predictions(capsys, seq, con, phrase):
    failed(capsys, nb01.predicted_times(seq, con, [0.3, 0.5, 0.2]), phrase)


def test_01_prediction_right(capsys):
    passed(capsys, nb01.predicted_times(1.0, 0.5, [0.3, 0.5, 0.2]))


@pytest.mark.parametrize("guess, phrase", [(math.nan, "NaN"), (0.4, "the longest single step"), (-0.9, "negative"),
                                           (0.5, "each step starts only after")])
def test_03_breakfast_prediction(capsys, guess, phrase):
    failed(capsys, nb03.check_breakfast(guess, None), phrase)


async def pong_program():
    async def pong():
        print("pong")
    task = asyncio.create_task(pong())
    print("main")
    await task


def test_03_prediction(capsys):
    passed(capsys, asyncio.run(nb03.check_prediction(["main", "pong"], pong_program())))
    failed(capsys, asyncio.run(nb03.check_prediction(["pong", "main"], pong_program())), "line 1")
    failed(capsys, asyncio.run(nb03.check_prediction(..., pong_program())), "still `...`")


def kettle():
    print("kettle: filling")
    yield Sleep(0.1)
    print("kettle: heating")
    yield Sleep(0.3)
    print("kettle: boiled")


def toaster():
    print("toaster: bread in")
    yield Sleep(0.25)
    print("toaster: toast up")


def kettle_forever():
    while True:
        yield None


def kettle_interrupts():
    raise KeyboardInterrupt
    yield


def kettle_blocks():
    print("kettle: filling")
    time.sleep(0.2)
    yield Sleep(0.1)


def test_05_tiny_loop(capsys):
    assert nb05.check_breakfast(kettle, toaster)
    assert capsys.readouterr().out.splitlines()[-1].startswith("✅")
    for wrong, phrase in [(kettle_forever, "still running after 3 s"), (kettle_interrupts, "KeyboardInterrupt"),
                          (kettle_blocks, "held the loop"), (lambda: None, "no `yield`"), (..., "still `...`")]:
        assert not nb05.check_breakfast(wrong, toaster)
        last = capsys.readouterr().out.splitlines()[-1]
        assert last.startswith("❌ Not yet:") and phrase in last, last


LOOP_RIGHT = ("loop", "error", "loop", "error")


def predict(*answers):
    return asyncio.run(nb05.check_loop_predictions(*answers))


def test_05_loop_predictions_right_show_the_table(capsys):
    assert predict(*LOOP_RIGHT) and predict(" LOOP", "Error", "loop ", "ERROR")
    out = capsys.readouterr().out
    assert "where get_running_loop() is called" in out and out.count("✔") == 8 and "✘" not in out
    assert out.strip().splitlines()[-1].startswith("✅ all four right")


@pytest.mark.parametrize("answers, phrase", [
    (("loop", ..., "loop", "error"), "`script_top` is still `...`. Replace it with \"loop\" or \"error\"."),
    (("loop", "error", "yes", "error"), "`script_in_main` is 'yes': answer with the string \"loop\""),
    ((1, "error", "loop", "error"), "`in_a_cell` is 1: answer with the string"),
])
def test_05_loop_predictions_blank_or_not_an_answer_show_no_table(capsys, answers, phrase):
    failed(capsys, predict(*answers), phrase)  # one line: the table would give the answers away


@pytest.mark.parametrize("index, name, words", [
    (0, "in_a_cell", "the kernel runs an event loop all the time and runs your cell inside it"),
    (1, "script_top", "a script starts with no loop at all"),
    (2, "script_in_main", "asyncio.run() creates a loop and runs main() inside it"),
    (3, "in_a_thread", "a loop runs in one thread only"),
])
def test_05_each_wrong_loop_prediction_is_explained(capsys, index, name, words):
    answers = list(LOOP_RIGHT)
    answers[index] = {"loop": "error", "error": "loop"}[answers[index]]
    assert not predict(*answers)
    out = capsys.readouterr().out
    assert out.count("✘") == 1
    line = out.strip().splitlines()[-1]
    assert line.startswith("❌ Not yet: 1 of 4 predictions differ from what really happened.")
    assert f"`{name}`: {words}" in line


TOOLS_RIGHT = {"A": "asyncio", "B": "processes", "C": "threads"}


def test_08_tools_right_with_a_reason_each(capsys):
    assert nb08.check_tools(TOOLS_RIGHT) and nb08.check_tools({"A": "Async", "B": " multiprocessing ", "C": "Thread"})
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 6 and all(line.startswith("✅") for line in out)
    assert out[1].startswith("✅ B: processes. Right: pure-Python computing needs several interpreters")


@pytest.mark.parametrize("choices, phrase", [
    ({"A": ..., "B": ..., "C": ...}, "A, B and C are still `...`. Replace each `...` with"),
    ({**TOOLS_RIGHT, "B": ...}, "B is still `...`."),
    (..., "`choices` should be a dict with an answer for each question"), (["asyncio"], "not list ['asyncio']"),
    ({"A": "asyncio", "B": "processes"}, "`choices` has no answer for 'C'"),
    ({**TOOLS_RIGHT, "A": "greenlets"}, "A: 'greenlets' is not one of \"asyncio\", \"threads\", \"processes\"."),
    ({**TOOLS_RIGHT, "A": "threads"}, "A: with threads, threads would work, but thousands of waits need thousands"),
    ({**TOOLS_RIGHT, "A": "processes"}, "A: with processes, processes are for computing; this program only waits."),
    ({**TOOLS_RIGHT, "B": "asyncio"}, "B: with asyncio, a simulation never awaits, so each run would block the event loop"),
    ({**TOOLS_RIGHT, "B": "threads"}, "B: with threads, the GIL lets only one thread run Python code at a time"),
    ({**TOOLS_RIGHT, "C": "asyncio"}, "C: with asyncio, the SDK's calls block"),
    ({**TOOLS_RIGHT, "C": "processes"}, "C: with processes, it would work, but every process is a whole interpreter"),
])
def test_08_tools_each_wrong_answer_gets_its_reason(capsys, choices, phrase):
    assert not nb08.check_tools(choices)
    wrong = [line for line in capsys.readouterr().out.splitlines() if line.startswith("❌ Not yet:")]
    assert len(wrong) == 1 and phrase in wrong[0], wrong


def retry_right(status):
    return status in (408, 429, 500, 502, 503, 504)


def test_07_should_retry_408_and_501(capsys):
    """The expert's note: 408 Request Timeout may be retried; 501 Not Implemented never fixes itself."""
    failed(capsys, nb07.check_should_retry(lambda status: status == 429 or status >= 500),
           "should_retry(408) is False, but 408 Request Timeout")
    failed(capsys, nb07.check_should_retry(lambda status: status in (408, 429) or status >= 500),
           "should_retry(501) is True, but 501 Not Implemented", "will not fix itself")


@pytest.mark.parametrize("rule, phrase", [
    (lambda s: s >= 429, "should_retry(431) is True"), (lambda s: s >= 500, "should_retry(429) is False"),
    (lambda s: True, "should_retry(404) is True"), (lambda s: None, "return True or False"),
    (lambda s: 1 / 0, "ZeroDivisionError")])
def test_07_should_retry(capsys, rule, phrase):
    failed(capsys, nb07.check_should_retry(rule), phrase)


def test_07_should_retry_right_and_stuck(capsys):
    passed(capsys, nb07.check_should_retry(retry_right))

    def forever(status):
        while True:
            pass
    failed(capsys, nb07.check_should_retry(forever), "still running after 2 s")


def test_08_offload(capsys):
    async def crunch(pool, limit):
        return await asyncio.get_running_loop().run_in_executor(pool, count_primes, limit)

    async def hard_coded(pool, limit):
        await asyncio.sleep(0.01)
        return 13848

    async def in_a_thread(pool, limit):
        return await asyncio.to_thread(count_primes, limit)

    async def submitted(pool, limit):
        return await pool.submit(count_primes, limit)

    async def on_the_loop(pool, limit):
        return count_primes(limit)

    assert asyncio.run(nb08.check_offload(crunch))
    assert capsys.readouterr().out.startswith("✅")
    for wrong, phrase in [(hard_coded, "did not go through `pool`"), (in_a_thread, "did not go through `pool`"),
                          (submitted, "cannot be awaited"), (on_the_loop, "held the event loop")]:
        failed(capsys, asyncio.run(nb08.check_offload(wrong)), phrase)


async def keep_polling(log):
    try:
        for _ in range(20):
            try:
                await asyncio.sleep(0.05)
                log.append("poll")
            except Exception:
                log.append("error ignored")
    finally:
        log.append("closed")


async def polling_swallows(log):
    try:
        for _ in range(20):
            try:
                await asyncio.sleep(0.05)
            except:  # noqa: E722
                log.append("error ignored")
    finally:
        log.append("closed")


async def polling_without_error_handling(log):
    try:
        for _ in range(20):
            await asyncio.sleep(0.05)
    finally:
        log.append("closed")


async def polling_without_cleanup(log):
    for _ in range(20):
        try:
            await asyncio.sleep(0.05)
        except Exception:
            pass


async def polling_forever(log):
    for _ in range(80):  # swallows every cancellation for 4 s (bounded, so the test ends)
        try:
            await asyncio.sleep(0.05)
        except BaseException:
            pass


async def polling_stops_at_once(log):
    log.append("closed")


async def polling_reraises_then_bare_except(log):  # Hint 2's alternative: a right answer
    try:
        for _ in range(20):
            try:
                await asyncio.sleep(0.05)
                log.append("poll")
            except asyncio.CancelledError:
                raise
            except:  # noqa: E722
                log.append("error ignored")
    finally:
        log.append("closed")


async def polling_breaks_on_cancel(log):
    try:
        for _ in range(20):
            try:
                await asyncio.sleep(0.05)
                log.append("poll")
            except asyncio.CancelledError:
                break
            except Exception:
                log.append("error ignored")
    finally:
        log.append("closed")


async def polling_with_time_sleep(log):
    try:
        for _ in range(20):
            try:
                time.sleep(0.05)
                log.append("poll")
            except Exception:
                log.append("error ignored")
    finally:
        log.append("closed")


async def polling_bare_except_forever(log):
    for _ in range(140):  # the learner's `while True`, bounded so the test ends (7 s)
        try:
            await asyncio.sleep(0.05)
        except:  # noqa: E722
            pass


def test_09_cancellable_reraise_before_bare_except_is_right(capsys):
    passed(capsys, asyncio.run(nb09.check_cancellable(polling_reraises_then_bare_except)))


def test_09_cancellable_break_swallows_the_cancellation(capsys):
    line = failed(capsys, asyncio.run(nb09.check_cancellable(polling_breaks_on_cancel)),
                  "swallowed the cancellation", "ended normally instead of re-raising it",
                  "so the caller thinks it finished")
    assert "went on working" not in line


def test_09_cancellable_time_sleep_is_named_as_blocking(capsys):
    failed(capsys, asyncio.run(nb09.check_cancellable(polling_with_time_sleep)),
           "finished before it could be cancelled", "`time.sleep(0.05)`", "held the event loop",
           "time.sleep blocks the loop")


def test_09_cancellable_bare_except_forever_in_plain_words(capsys):
    line = failed(capsys, asyncio.run(nb09.check_cancellable(polling_bare_except_forever)),
                  "still running after 3 s", "swallows every cancellation", "Use `except Exception:`",
                  "A task caught the cancellation and went on running")
    assert "(measure)" not in line


def test_09_cancellable(capsys):
    passed(capsys, asyncio.run(nb09.check_cancellable(keep_polling)))
    for wrong, phrase in [(polling_swallows, "went on working"), (polling_without_error_handling, "no longer catches"),
                          (polling_without_cleanup, "clean-up did not run"), (polling_forever, "still running after 3 s"),
                          (polling_stops_at_once, "finished before it was cancelled")]:
        failed(capsys, asyncio.run(nb09.check_cancellable(wrong)), phrase)


def test_09_capped(capsys):
    async def right(session, urls, limit):
        sem = asyncio.Semaphore(limit)

        async def one(url):
            async with sem:
                async with session.get(url) as response:
                    return await response.read()
        return await asyncio.gather(*(one(u) for u in urls))

    async def five(session, urls, limit):
        sem = asyncio.Semaphore(5)

        async def one(url):
            async with sem:
                async with session.get(url) as response:
                    return await response.read()
        return await asyncio.gather(*(one(u) for u in urls))

    async def only_get(session, urls, limit):
        sem = asyncio.Semaphore(limit)

        async def one(url):
            async with sem:
                response = await session.get(url)
            return await response.read()
        return await asyncio.gather(*(one(u) for u in urls))

    async def body_outside(session, urls, limit):  # the learner's: `async with response:` after the semaphore
        sem = asyncio.Semaphore(limit)

        async def one(url):
            async with sem:
                response = await session.get(url)
            async with response:
                return await response.read()
        return await asyncio.gather(*(one(u) for u in urls))

    async def with_a_lock(session, urls, limit):
        lock = asyncio.Lock()

        async def one(url):
            async with lock:
                async with session.get(url) as response:
                    return await response.read()
        return await asyncio.gather(*(one(u) for u in urls))

    async def one_at_a_time(session, urls, limit):
        out = []
        for url in urls:
            async with session.get(url) as response:
                out.append(await response.read())
        return out

    passed(capsys, asyncio.run(nb09.check_capped(right, n=12)))
    for wrong, phrase in [(five, "more than the limit of 3"), (only_get, "read after the semaphore"),
                          (one_at_a_time, "only one request at a time")]:
        failed(capsys, asyncio.run(nb09.check_capped(wrong, n=12)), phrase)
    failed(capsys, asyncio.run(nb09.check_capped(body_outside, n=12)), "the semaphore must be held for the whole "
           "request, reading the body included")
    line = failed(capsys, asyncio.run(nb09.check_capped(with_a_lock, n=12)),
                  "an asyncio.Lock lets only one holder in at a time", "asyncio.Semaphore(limit)")
    assert "Start them all with asyncio.gather" not in line


def test_10_quiz(capsys):
    right = {1: "D", 2: "B", 3: "E", 4: "C", 5: "F", 6: "A"}
    passed(capsys, nb11.check_quiz(right))
    failed(capsys, nb11.check_quiz({str(k): v for k, v in right.items()}), "`answers` has no answer for 1 (its keys are '1', '2', '3')")
    failed(capsys, nb11.check_quiz({**right, 1: "A"}), "snippet 1: not A")
    failed(capsys, nb11.check_quiz({n: ... for n in right}), "every answer is still")


# -- notebook 07, with a real local server ----------------------------------------------------------
import urllib.request  # noqa: E402

import aiohttp  # noqa: E402

from asynclab import check  # noqa: E402
from asynclab.server import LocalServer  # noqa: E402


@pytest.fixture(scope="module")
def server():
    with LocalServer(files=12, size=2048, latency=0.05, name="probes-07") as s:
        yield s


def read_url(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def test_07_really_concurrent(capsys, server):
    six = server.files[:6]
    urls = [f"{server.url}/files/{f.name}" for f in six]

    async def threads():
        return await asyncio.gather(*(asyncio.to_thread(read_url, u) for u in urls))

    async def blocking():
        async def one(u):
            return read_url(u)
        return await asyncio.gather(*(one(u) for u in urls))

    async def session_per_file():
        async def one(u):
            async with aiohttp.ClientSession() as session, session.get(u) as response:
                return await response.read()
        return await asyncio.gather(*(one(u) for u in urls))

    async def called_too_soon():
        return await asyncio.gather(*(asyncio.to_thread(read_url(u)) for u in urls))

    async def not_awaited():
        async def one(u):
            return asyncio.to_thread(read_url, u)
        return await asyncio.gather(*(one(u) for u in urls))

    async def main(work):
        return nb07.check_really_concurrent(await check.run(work(), time_limit=10), six)

    passed(capsys, asyncio.run(main(threads)))
    for wrong, phrase in [(blocking, "held the event loop"), (session_per_file, "ClientSessions made the requests"),
                          (called_too_soon, "asyncio.to_thread(read_url, url)"), (not_awaited, "instead of values"),
                          (returns_nothing, "returned NoneType")]:
        failed(capsys, asyncio.run(main(wrong)), phrase)


async def returns_nothing():
    await asyncio.sleep(0.01)


def test_07_bounded(capsys, server):
    async def fetch(session, name):
        async with session.get(f"/files/{name}") as response:
            return await response.read()

    async def right(session, names, limit):
        gate = asyncio.Semaphore(limit)

        async def one(name):
            async with gate:
                return await fetch(session, name)
        return await asyncio.gather(*(one(n) for n in names))

    async def gate_per_download(session, names, limit):
        async def one(name):
            async with asyncio.Semaphore(limit):
                return await fetch(session, name)
        return await asyncio.gather(*(one(n) for n in names))

    async def one_by_one(session, names, limit):
        return [await fetch(session, n) for n in names]

    async def hangs(session, names, limit):
        await asyncio.Event().wait()

    passed(capsys, asyncio.run(nb07.check_bounded(right, server, 3)))
    for wrong, limit, phrase in [(gate_per_download, 3, "more than the limit of 3"), (one_by_one, 3, "only one request at a time"),
                                 (right, ..., "still `...`"), (right, 99, "pick a whole number"),
                                 (hangs, 3, "still running after 10 s")]:
        failed(capsys, asyncio.run(nb07.check_bounded(wrong, server, limit)), phrase)
