"""The checks of notebook 03 accept right answers and explain each typical wrong one."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest

from asynclab import measure
from asynclab.exercises import nb03


def _line(capsys) -> str:
    out = capsys.readouterr().out.strip()
    assert "\n" not in out, f"a check should print one line, got: {out!r}"
    return out


# -- exercise 1: predict the order ---------------------------------------------
async def ping():
    print("ping 1")
    await asyncio.sleep(0)
    print("ping 2")


async def pong():
    print("pong 1")
    await asyncio.sleep(0)
    print("pong 2")


async def main():
    task = asyncio.create_task(pong())
    print("main 1")
    await ping()
    print("main 2")
    await task


RIGHT_ORDER = ["main 1", "ping 1", "pong 1", "ping 2", "main 2", "pong 2"]


def test_printed_lines_captures_in_order():
    assert asyncio.run(nb03.printed_lines(main())) == RIGHT_ORDER


def test_prediction_right(capsys):
    assert asyncio.run(nb03.check_prediction(list(RIGHT_ORDER), main()))
    out = _line(capsys)
    assert out.startswith("✅") and "main 1 → ping 1" in out


def test_prediction_tolerates_spaces(capsys):
    assert asyncio.run(nb03.check_prediction([f" {x} " for x in RIGHT_ORDER], main()))


def test_prediction_blank_does_not_run_or_warn(capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert not asyncio.run(nb03.check_prediction(..., main()))
        gc.collect()
    out = _line(capsys)
    assert "`prediction` is still `...`" in out and "ping" not in out
    assert not [w for w in caught if "never awaited" in str(w.message)]


def test_prediction_as_if_task_ran_first(capsys):
    # the typical mistake: thinking the new task starts before main continues
    wrong = ["pong 1", "main 1", "ping 1", "pong 2", "ping 2", "main 2"]
    assert not asyncio.run(nb03.check_prediction(wrong, main()))
    out = _line(capsys)
    assert "line 1 of your prediction is 'pong 1', expected 'main 1'" in out
    assert "waits in line" in out  # the hint


def test_prediction_as_if_await_ran_to_the_end(capsys):
    # the other typical mistake: thinking `await ping()` keeps the others out until ping ends
    wrong = ["main 1", "ping 1", "ping 2", "main 2", "pong 1", "pong 2"]
    assert not asyncio.run(nb03.check_prediction(wrong, main()))
    out = _line(capsys)
    assert "line 3" in out and "'ping 2'" in out
    assert "ping 2', 'main 2" not in out  # the rest of the answer is not given away


def test_prediction_too_short(capsys):
    assert not asyncio.run(nb03.check_prediction(RIGHT_ORDER[:4], main()))
    assert "first 4 lines are right" in _line(capsys)


def test_prediction_too_long(capsys):
    assert not asyncio.run(nb03.check_prediction(RIGHT_ORDER + ["main 3"], main()))
    assert "only 6 lines" in _line(capsys)


def test_prediction_not_a_list(capsys):
    assert not asyncio.run(nb03.check_prediction("main 1, ping 1", main()))
    assert "list of strings" in _line(capsys)


# -- exercise 2: sum of waits --------------------------------------------------
WAITS = (0.03, 0.04, 0.02)
NAMES = ["toast", "eggs", "coffee"]


async def step(name, duration):
    await asyncio.sleep(duration)
    return name


async def one_after_another():
    return [await step(n, w) for n, w in zip(NAMES, WAITS)]


async def all_at_once():
    return list(await asyncio.gather(*(step(n, w) for n, w in zip(NAMES, WAITS))))


def _measured(coro_fn, title="breakfast"):
    async def run():
        return await measure(title, coro_fn())
    return asyncio.run(run())


def _check(predicted, rec):
    return nb03.check_sum_of_waits(predicted, rec, WAITS, NAMES)


def test_sum_right(capsys):
    assert _check(sum(WAITS), _measured(one_after_another))
    out = _line(capsys)
    assert out.startswith("✅") and "add up" in out


def test_breakfast_uses_the_notebook_steps(capsys):
    assert not nb03.check_breakfast(0.4, ...)
    assert "the longest single step" in _line(capsys)
    assert not nb03.check_breakfast(0.9, ...)
    assert "`rec` is still `...`" in _line(capsys)


def test_prediction_of_longest_step(capsys):
    assert not _check(max(WAITS), _measured(one_after_another))
    assert "the longest single step" in _line(capsys)


def test_prediction_other_wrong_number(capsys):
    assert not _check(1, _measured(one_after_another))
    assert "each step starts only after" in _line(capsys)


def test_prediction_blank(capsys):
    assert not _check(..., ...)
    assert "`predicted_seconds` is still `...`" in _line(capsys)


def test_prediction_not_a_number(capsys):
    assert not _check("0.09", ...)
    assert "should be a number" in _line(capsys)


def test_rec_blank(capsys):
    assert not _check(sum(WAITS), ...)
    assert "`rec` is still `...`" in _line(capsys)


def test_rec_missing_await(capsys):
    async def run():
        coro = measure("breakfast", one_after_another())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            verdict = _check(sum(WAITS), coro)
            gc.collect()
        return verdict, caught
    verdict, caught = asyncio.run(run())
    assert not verdict
    assert "put `await` in front of measure" in _line(capsys)
    assert not [w for w in caught if "never awaited" in str(w.message) and "measure" in str(w.message)]


def test_rec_without_measure(capsys):
    assert not _check(sum(WAITS), asyncio.run(one_after_another()))
    assert "is a list, not a recording" in _line(capsys)


def test_rec_concurrent_instead_of_sequential(capsys):
    assert not _check(sum(WAITS), _measured(all_at_once))
    assert "overlapped" in _line(capsys)


def test_rec_wrong_coroutine(capsys):
    async def other():
        await asyncio.sleep(0.01)
        return ["toast"]
    assert not _check(sum(WAITS), _measured(other))
    assert "returned ['toast']" in _line(capsys)


@pytest.mark.parametrize("bad", [True, None, [0.3]])
def test_prediction_odd_types(capsys, bad):
    assert not _check(bad, ...)
    assert "should be a number" in _line(capsys)
