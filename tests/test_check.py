"""The generic exercise checks explain wrong answers in plain words."""

from __future__ import annotations

import asyncio
import time
import warnings

import pytest

from asynclab import check
from asynclab.timeline import Recording, measure


async def pause(i: int) -> int:
    await asyncio.sleep(0.03)
    return i


async def sequential() -> list[int]:
    return [await pause(i) for i in range(3)]


async def concurrent() -> list[int]:
    return list(await asyncio.gather(*(pause(i) for i in range(3))))


async def blocking(i: int) -> int:
    time.sleep(0.12)
    return i


async def blocked() -> list[int]:
    return list(await asyncio.gather(*(blocking(i) for i in range(3))))


def record(coro) -> Recording:
    return asyncio.run(measure("answer", coro))


def test_equal_right_and_wrong(capsys):
    assert check.equal(3, 3, "total")
    assert capsys.readouterr().out == "✅ total is 3. Correct!\n"
    assert not check.equal(4, 3, "total", hint="Add the waits.")
    assert capsys.readouterr().out == "❌ Not yet: total is 4, expected 3. Add the waits.\n"


def test_equal_explains_blanks_coroutines_functions_and_types(capsys):
    assert not check.equal(..., 3, "delay")
    assert "still `...`" in capsys.readouterr().out

    coro = pause(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the check closes the coroutine: no warning
        assert not check.equal(coro, 1, "result")
    assert "Put `await` in front" in capsys.readouterr().out

    assert not check.equal(pause, 1, "result")
    assert "is the function itself" in capsys.readouterr().out

    assert not check.equal("3", 3, "count")
    assert "should be a int, but it is a str" in capsys.readouterr().out


def test_equal_accepts_int_for_float_and_close_floats(capsys):
    assert check.equal(2, 2.0)
    assert check.equal(0.1 + 0.2, 0.3)
    assert not check.equal(True, 1, "flag")


def test_overlapped_passes_for_gather_and_explains_sequential(capsys):
    assert check.overlapped(record(concurrent()), at_least=3, expected_result=[0, 1, 2])
    assert capsys.readouterr().out.startswith("✅ 3 waits overlapped")
    assert not check.overlapped(record(sequential()), at_least=3)
    assert "ran one after another" in capsys.readouterr().out


def test_overlapped_names_the_blocking_call(capsys):
    assert not check.overlapped(record(blocked()), at_least=3)
    out = capsys.readouterr().out
    assert "blocked the event loop" in out and "time.sleep" in out


def test_overlapped_checks_the_result_and_the_count(capsys):
    assert not check.overlapped(record(concurrent()), at_least=3, expected_result=[2, 1, 0])
    assert "expected [2, 1, 0]" in capsys.readouterr().out
    assert not check.overlapped(record(concurrent()), at_least=5)
    assert "only 3 piece(s) of work" in capsys.readouterr().out


def test_overlapped_explains_a_forgotten_await_and_blank(capsys):
    coro = measure("x", concurrent())
    assert not check.overlapped(coro)
    assert "write `await measure(...)`" in capsys.readouterr().out
    assert not check.overlapped(...)
    assert "still `...`" in capsys.readouterr().out


def test_author_mistakes_raise():
    with pytest.raises(TypeError, match="needs a Recording"):
        check.overlapped([1, 2, 3])
    with pytest.raises(ValueError, match="at_least"):
        check.overlapped(Recording("x"), at_least=0)


def test_sequential_and_not_blocking(capsys):
    assert check.sequential(record(sequential()))
    assert not check.sequential(record(concurrent()))
    capsys.readouterr()
    assert check.not_blocking(record(concurrent()))
    assert not check.not_blocking(record(blocked()))
    assert "held the event loop" in capsys.readouterr().out


def test_raises(capsys):
    assert check.raises(lambda: 1 / 0, ZeroDivisionError)
    assert not check.raises(lambda: None, ZeroDivisionError)
    assert "finished without raising" in capsys.readouterr().out
    assert not check.raises(lambda: [][1], ZeroDivisionError)
    assert "raised IndexError" in capsys.readouterr().out


def test_verdict_is_silent_in_ipython():
    verdict = check.report(True, "good", "bad")
    assert verdict and verdict._ipython_display_() is None


def test_attempt_keeps_the_error_and_cancels_what_was_left_running():
    async def forever():
        await asyncio.sleep(10)

    async def sloppy():
        asyncio.get_running_loop().create_task(forever())  # lost on purpose
        await asyncio.sleep(0.01)
        raise ValueError("learner's bug")

    async def main():
        rec = await check.attempt("sloppy", sloppy())
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return rec, others

    rec, others = asyncio.run(main())
    assert isinstance(rec.error, ValueError)
    assert len(rec.unfinished) == 1 and all(t.cancelled() for t in rec.pending)
    assert others == []


def test_attempt_cancels_a_future_returned_unawaited():
    async def returns_task():
        return asyncio.get_running_loop().create_task(asyncio.sleep(10))

    rec = asyncio.run(check.attempt("future", returns_task()))
    assert rec.error is None and rec.result.cancelled()


def test_attempt_with_grace_does_not_wait_forever_for_a_stubborn_task():
    async def stubborn():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            await asyncio.sleep(0.5)  # ignores the cancellation for a while

    async def leaves_it():
        asyncio.get_running_loop().create_task(stubborn())
        await asyncio.sleep(0.01)

    async def main():
        rec = await check.attempt("stubborn", leaves_it(), grace=0.05)
        still = [t for t in rec.pending if not t.done()]
        await asyncio.gather(*rec.pending)
        return rec, still

    rec, still = asyncio.run(main())
    assert rec.unfinished and len(still) == 1


# -- the usual async mistakes, run through check.attempt -------------------------
async def make(item: str) -> str:
    await asyncio.sleep(0.03)
    return item


def attempt(coro) -> Recording:
    return asyncio.run(check.attempt("answer", coro))


def test_gather_without_await_is_explained_not_raised(capsys):
    async def answer():
        a, b = asyncio.gather(make("a"), make("b"))  # noqa: the mistake
        return [a, b]

    assert not check.overlapped(attempt(answer()), at_least=2)
    out = capsys.readouterr().out
    assert "stopped with RuntimeError" in out and "put `await` in front" in out


def test_returning_gather_unawaited_says_await(capsys):
    async def answer():
        return asyncio.gather(make("a"), make("b"))

    assert not check.overlapped(attempt(answer()), at_least=2, expected_result=["a", "b"])
    assert "something was not awaited" in capsys.readouterr().out


def test_a_coroutine_in_the_result_says_await(capsys):
    async def answer():
        return [make("a"), await make("b")]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not check.overlapped(attempt(answer()), at_least=2, expected_result=["a", "b"])
    out = capsys.readouterr().out
    assert "never awaited" in out or "a coroutine object" in out


def test_sleep_never_awaited_is_named_and_not_warned(capsys):
    async def job(item):
        asyncio.sleep(0.03)  # the mistake: no await
        return item

    async def answer():
        return list(await asyncio.gather(job("a"), job("b")))

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may reach the learner as a warning
        assert not check.overlapped(attempt(answer()), at_least=2, expected_result=["a", "b"])
    assert "sleep(...) was called but never awaited" in capsys.readouterr().out


def test_tasks_left_running_are_reported_and_cancelled(capsys):
    async def answer():
        return [asyncio.create_task(make(x)) for x in "ab"] and []

    rec = attempt(answer())
    assert not check.overlapped(rec, at_least=2)
    assert "2 task(s) were still running" in capsys.readouterr().out
    assert all(t.cancelled() for t in rec.pending)


def test_a_job_that_never_waits_is_named(capsys):
    async def quick(item):
        return item

    async def answer():
        return list(await asyncio.gather(quick("a"), quick("b")))

    assert not check.overlapped(attempt(answer()), at_least=2, expected_result=["a", "b"])
    assert "never waited at an `await`" in capsys.readouterr().out


def test_the_right_answer_still_passes_through_attempt(capsys):
    async def answer():
        return list(await asyncio.gather(make("a"), make("b")))

    assert check.overlapped(attempt(answer()), at_least=2, expected_result=["a", "b"])
