"""The checks of notebook 08 accept right answers and explain each typical wrong one."""

from __future__ import annotations

import asyncio

import pytest

from asynclab.exercises import nb08
from asynclab.workloads import count_primes

RIGHT = {"A": "asyncio", "B": "processes", "C": "threads"}


def lines(capsys) -> list[str]:
    return capsys.readouterr().out.strip().splitlines()


# -- exercise 1: choose the tool ---------------------------------------------------
def test_right_choices_pass_with_a_reason_each(capsys):
    assert nb08.check_tools(RIGHT)
    out = lines(capsys)
    assert len(out) == 3 and all(line.startswith("✅") for line in out)
    assert "GIL" in out[1]


def test_synonyms_and_case_are_accepted(capsys):
    assert nb08.check_tools({"A": "Async", "B": " multiprocessing ", "C": "Thread"})


def test_all_blank_gets_one_plain_message(capsys):
    verdict = nb08.check_tools({"A": ..., "B": ..., "C": ...})
    assert not verdict
    out = lines(capsys)
    assert len(out) == 1 and out[0].startswith("❌ Not yet:") and "still `...`" in out[0]


def test_one_blank_is_named(capsys):
    assert not nb08.check_tools({**RIGHT, "B": ...})
    out = lines(capsys)
    assert "❌ Not yet: B is still `...`." in out


@pytest.mark.parametrize("value", [..., ["asyncio"], "asyncio"])
def test_not_a_dict(capsys, value):
    assert not nb08.check_tools(value)
    assert "should be a dict" in capsys.readouterr().out


def test_missing_key(capsys):
    assert not nb08.check_tools({"A": "asyncio", "B": "processes"})
    assert "no answer for C" in capsys.readouterr().out


def test_unknown_tool_name(capsys):
    assert not nb08.check_tools({**RIGHT, "A": "greenlets"})
    assert "'greenlets' is not one of" in capsys.readouterr().out


@pytest.mark.parametrize("key", ["A", "B", "C"])
@pytest.mark.parametrize("tool", nb08.TOOLS)
def test_each_wrong_tool_gets_its_own_reason(capsys, key, tool):
    if tool == RIGHT[key]:
        pytest.skip("the right answer")
    assert not nb08.check_tools({**RIGHT, key: tool})
    wrong = [line for line in lines(capsys) if line.startswith("❌")]
    assert wrong == [f"❌ Not yet: {key}: with {tool}, {nb08.WORKLOADS[key][tool]}"]


def test_wrong_reasons_say_what_would_happen():
    assert "one after another" in nb08.WORKLOADS["B"]["asyncio"]
    assert "GIL" in nb08.WORKLOADS["B"]["threads"]
    assert "block" in nb08.WORKLOADS["C"]["asyncio"]


# -- exercise 2: keep the loop free ----------------------------------------------
SMALL = 10_000  # fast right answers; a blocking answer uses BIG to exceed 50 ms
BIG = 100_000


async def right(pool, limit):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, count_primes, limit)


async def blank(pool, limit):
    loop = asyncio.get_running_loop()
    return ...


async def blocking(pool, limit):
    return count_primes(limit)


async def missing_await(pool, limit):
    loop = asyncio.get_running_loop()
    return loop.run_in_executor(pool, count_primes, limit)


async def called_too_early(pool, limit):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, count_primes(limit))


async def in_a_thread(pool, limit):
    return await asyncio.to_thread(count_primes, limit)


async def default_executor(pool, limit):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, count_primes, limit)


async def with_lambda(pool, limit):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, lambda: count_primes(limit))


async def wrong_argument(pool, limit):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, count_primes, 1000)


async def awaits_submit(pool, limit):
    return await pool.submit(count_primes, limit)


async def blank_executor(pool, limit):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(..., count_primes, limit)


def not_async(pool, limit):
    return count_primes(limit)


def offload(crunch, limit=SMALL) -> tuple[bool, str]:
    verdict = asyncio.run(nb08.check_offload(crunch, limit))
    return bool(verdict), str(verdict.message)


def test_right_answer_passes(capsys):
    ok, message = offload(right)
    out = capsys.readouterr().out
    assert ok, out
    assert "✅ no step held the event loop" in out
    assert f"crunch(pool, {SMALL}) is 1229. Correct!" in message


def test_right_answer_with_the_notebooks_size_and_timeline(capsys):
    import matplotlib

    matplotlib.use("Agg")
    verdict = asyncio.run(nb08.check_offload(right, show_timeline=True))
    assert verdict, capsys.readouterr().out
    assert "your crunch:" in capsys.readouterr().out


def test_blank_body():
    ok, message = offload(blank)
    assert not ok and "still returns `...`" in message


def test_blank_function(capsys):
    ok, message = offload(...)
    assert not ok and "`crunch` is still `...`" in message


def test_blocking_call_is_named():
    ok, message = offload(blocking, BIG)
    assert not ok
    assert "crunch(pool, 100000) held the event loop" in message


def test_missing_await():
    ok, message = offload(missing_await)
    assert not ok and "returned a Future" in message and "await" in message


def test_called_before_handing_over():
    ok, message = offload(called_too_early)
    assert not ok and "called count_primes(limit) yourself" in message


@pytest.mark.parametrize("crunch", [in_a_thread, default_executor])
def test_threads_instead_of_the_pool(crunch):
    ok, message = offload(crunch)
    assert not ok and "did not go through `pool`" in message


def test_lambda_cannot_travel_to_a_process():
    ok, message = offload(with_lambda)
    assert not ok and "sends functions by name" in message


def test_wrong_value():
    ok, message = offload(wrong_argument)
    assert not ok and "is 168, expected 1229" in message


def test_awaiting_a_concurrent_future():
    ok, message = offload(awaits_submit)
    assert not ok and "cannot be awaited" in message


def test_executor_left_blank():
    ok, message = offload(blank_executor)
    assert not ok and "first argument of run_in_executor is the executor" in message


def test_plain_function():
    ok, message = offload(not_async)
    assert not ok and "async def" in message


@pytest.mark.parametrize("wording", [
    "object Future can't be used in 'await' expression",  # Python 3.11-3.13
    "'Future' object can't be awaited",                   # Python 3.14+
])
def test_awaiting_pool_submit_is_explained_in_either_pythons_wording(wording):
    message = nb08._explain_error(TypeError(wording))
    assert "cannot be awaited" in message and "run_in_executor" in message
