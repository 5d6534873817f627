"""The vocabulary of asynclab.check: run() never raises and never hangs, expect() names the first rule broken."""

from __future__ import annotations

import asyncio
import gc
import math
import time

import pytest

from asynclab import check
from verdicts import failed, passed


async def job(i, delay=0.03):
    await asyncio.sleep(delay)
    return i


async def together():
    return list(await asyncio.gather(*(job(i) for i in range(3))))


def test_equal_values_nan_inf_and_types(capsys):
    assert check.equal(3, 3, "total")
    assert capsys.readouterr().out == "✅ total is 3. Correct!\n"
    for bad, phrase in [(math.nan, "not a usable number"), (math.inf, "not a usable number"), ("3", "should be a int"),
                        (..., "still `...`"), (4, "expected 3")]:
        assert not check.equal(bad, 3, "total")
        failed(capsys, False, phrase)


@pytest.mark.parametrize("value, phrase", [(math.nan, "NaN"), (-1.0, "negative"), (math.inf, "infinite"),
                                           ("1.5", "should be a number"), (True, "should be a number"), (..., "`...`")])
def test_number_refuses_what_is_not_a_duration(value, phrase):
    assert phrase in check.number(value, "guess")


def test_number_accepts_durations():
    assert check.number(0, "guess") is None and check.number(1.5, "guess") is None


def test_time_limit_stops_a_busy_loop():
    t0 = time.perf_counter()
    with pytest.raises(check.TimeLimit):
        with check.time_limit(0.3):
            while True:
                pass
    assert time.perf_counter() - t0 < 3


def test_time_limit_does_not_fire_after_the_block():
    with check.time_limit(0.2):
        pass
    time.sleep(0.4)  # nothing is raised here


def test_earlier_coroutines_never_awaited_do_not_count(capsys, recwarn):
    async def main():
        leftover = [job(99)]  # an earlier cell's mistake, in a cycle: destroyed by the next attempt's gc
        leftover.append(leftover)
        del leftover
        run = await check.run(together(), time_limit=2)
        return check.expect(run, result=[0, 1, 2], overlap=3)
    gc.disable()  # so that the cycle is still there when the check starts (not collected by chance before)
    try:
        passed(capsys, asyncio.run(main()))
    finally:
        gc.enable()
    assert not [w for w in recwarn if "never awaited" in str(w.message)]


def test_lost_tasks_are_named_by_which_task_they_are_not_by_their_name(capsys):
    async def save(item):
        await asyncio.sleep(0.5)

    async def handle_order(items):
        for item in items:  # the same name for all: Python 3.12-3.13 name a factory's tasks "None"
            asyncio.create_task(save(item), name="saver")
        return "accepted"

    async def main():
        run = await check.run(handle_order(["tea", "cake", "jam"]), time_limit=2)
        return check.expect(run, result="accepted")
    message = failed(capsys, asyncio.run(main()))
    assert "(saver, saver #2, saver #3)" in message  # each lost task once, not the last one three times


def test_earlier_tasks_do_not_count(capsys):
    async def main():
        earlier = asyncio.create_task(job(1, 0.5))  # started before the attempt, still running after it
        run = await check.run(together(), time_limit=2)
        verdict = check.expect(run, result=[0, 1, 2], overlap=3)
        assert not earlier.cancelled()
        earlier.cancel()
        return verdict
    passed(capsys, asyncio.run(main()))


def test_run_cancels_everything_after_the_time_limit_and_names_the_line(capsys):
    async def stuck():
        asyncio.create_task(asyncio.sleep(30))
        await asyncio.sleep(30)

    async def main():
        run = await check.run(stuck(), time_limit=0.3)
        left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return check.expect(run), left
    verdict, left = asyncio.run(main())
    failed(capsys, verdict, "still running after 0.3 s", "line 3 of stuck", "await asyncio.sleep(30)")
    assert left == []


def test_a_thread_that_cannot_be_cancelled_is_named(capsys):
    async def in_thread():
        await asyncio.to_thread(time.sleep, 1)

    async def main():
        return check.expect(await check.run(in_thread(), time_limit=0.2))
    failed(capsys, asyncio.run(main()), "A thread cannot be cancelled", "to_thread")


def test_a_function_and_a_result_and_a_recording_get_sentences(capsys):
    async def main():
        out = [check.expect(await check.run(together)), check.expect(await check.run(None)),
               check.expect(await check.run([1]))]
        run = await check.run(together(), time_limit=2)
        out.append(check.expect(await check.run(run.rec)))
        out.append(check.expect(run.rec))
        return out
    verdicts = asyncio.run(main())
    lines = capsys.readouterr().out.splitlines()
    assert not any(verdicts) and len(lines) == 5
    assert "call it" in lines[0] and "take the `await` away" in lines[1] and "recording" in lines[3]


def test_a_forgotten_await_before_check_run_is_explained_without_warning(capsys, recwarn):
    async def main():
        return check.expect(check.run(together()))
    verdict = asyncio.run(main())
    gc.collect()
    failed(capsys, verdict, "put `await` in front of check.run")
    assert not [w for w in recwarn if "never awaited" in str(w.message)]


def test_cancelled_error_raised_by_the_code_is_explained(capsys):
    async def cancels():
        raise asyncio.CancelledError

    async def main():
        return check.expect(await check.run(cancels(), time_limit=1))
    failed(capsys, asyncio.run(main()), "CancelledError")


def test_blank_in_a_helper_is_found_before_running(capsys):
    async def helper():
        return ...

    async def main_():
        return await helper()

    async def main():
        return check.expect(await check.run(main_(), time_limit=1))
    failed(capsys, asyncio.run(main()), "still returns `...`")


def test_rules_dict_and_keywords_combine(capsys):
    rules = dict(overlap=3, done="all good")

    async def main():
        return check.expect(await check.run(together(), time_limit=2), rules, result=[0, 1, 2])
    assert passed(capsys, asyncio.run(main())) == "✅ all good"


def test_verdict_shows_nothing_but_is_truthy(capsys):
    verdict = check.report(True, "fine", "")
    assert capsys.readouterr().out == "✅ fine\n"
    assert verdict and repr(verdict).startswith("Verdict(True")


def test_a_task_factory_that_raises_is_the_attempts_error_and_is_kept(capsys):
    def interrupting(loop, coro, **kwargs):
        raise KeyboardInterrupt

    async def main():
        loop = asyncio.get_running_loop()
        loop.set_task_factory(interrupting)
        try:
            run = await check.run(together(), time_limit=2)
            kept = loop.get_task_factory()
        finally:
            loop.set_task_factory(None)
        return check.expect(run), kept
    verdict, kept = asyncio.run(main())
    failed(capsys, verdict, "raised KeyboardInterrupt", "line 2 of interrupting: `raise KeyboardInterrupt`")
    assert kept is interrupting


def test_a_call_that_sleeps_past_the_limit_is_named_when_it_returns(capsys):
    async def sleepy():
        time.sleep(2.5)

    async def main():
        return check.expect(await check.run(sleepy(), time_limit=0.2))
    failed(capsys, asyncio.run(main()), "still running after 0.2 s", "line 2 of sleepy: `time.sleep(2.5)`",
           "held the event loop", "cannot be interrupted")


def test_a_busy_loop_is_stopped_and_named(capsys):
    async def busy():
        while True:
            pass

    async def main():
        return check.expect(await check.run(busy(), time_limit=0.2))
    t0 = time.perf_counter()
    line = failed(capsys, asyncio.run(main()), "still running after 0.2 s", "of busy", "held the event loop")
    assert "cannot be interrupted" not in line and time.perf_counter() - t0 < 3


def test_a_task_that_swallows_cancellation_is_named_and_the_run_ends(capsys):
    async def stubborn():  # swallows its cancellation, then goes on for 0.5 s
        for _ in range(10):
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                pass

    async def main():
        return check.expect(await check.run(stubborn(), time_limit=0.2), hang="It hangs.")
    t0 = time.perf_counter()
    failed(capsys, asyncio.run(main()), "still running after 0.2 s", "line 4 of stubborn", "It hangs.")
    assert time.perf_counter() - t0 < 3


def test_call_explains_a_plain_function(capsys):
    def loops():
        while True:
            pass

    def interrupts(x):
        raise KeyboardInterrupt

    async def coroutine_function():
        pass

    assert check.call(lambda x: x + 1, 1) == (2, None)
    assert check.call(loops, limit=0.2) == (None, "loops(...) was still running after 0.2 s: it never returns.")
    value, problem = check.call(interrupts, 1, who="interrupts(1)")
    assert value is None and problem.startswith("interrupts(1) raised KeyboardInterrupt, at line 2 of interrupts: `raise")
    assert "returned a coroutine" in check.call(coroutine_function)[1]


def test_done_none_prints_only_a_failure(capsys):
    async def main():
        run = await check.run(together(), time_limit=2)
        return check.expect(run, result=[0, 1, 2], done=None), check.expect(run, result=[9], done=None)
    right, wrong = asyncio.run(main())
    assert right and not wrong
    assert capsys.readouterr().out == "❌ Not yet: together returned [0, 1, 2], expected [9].\n"


def test_returning_none_asks_for_the_return_line(capsys):
    async def main():
        return check.expect(await check.run(job(None), time_limit=2), result=3)
    failed(capsys, asyncio.run(main()), "job returned None, expected 3. Is the `return` line missing?")


def test_a_blocking_line_in_a_cell_is_counted_from_the_def(capsys):
    """The learner's report: "line 7 of fetch" counted the lines of the cell.  Here fetch's `def` is line 3 of
    the cell, so its time.sleep, line 5 of the cell, is line 3 of fetch (as check.where counts)."""
    import linecache

    cell = ("import asyncio, time\n"
            "\n"
            "async def fetch():\n"
            "    await asyncio.sleep(0.01)\n"
            "    time.sleep(0.2)\n"
            "    return 1\n")
    name = "/tmp/ipykernel_4242/1234567.py"  # how ipykernel names a cell's file
    linecache.cache[name] = (len(cell), None, cell.splitlines(True), name)
    scope: dict = {}
    exec(compile(cell, name, "exec"), scope)

    async def main():
        return check.expect(await check.run(scope["fetch"](), time_limit=2), result=1)
    line = failed(capsys, asyncio.run(main()), "line 3 of fetch, `time.sleep(0.2)`, held the event loop")
    assert "line 5" not in line
