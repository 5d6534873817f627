"""The tiny generator event loop of notebook 05 (asynclab.tinyloop).

Checks assert behaviour (order of steps, requests, errors), never speed; the
only timing facts used are lower bounds that sleeping guarantees.
"""

from __future__ import annotations

import doctest
import time
import warnings

import pytest

from asynclab import tinyloop
from asynclab.timeline import Recording, summary
from asynclab.tinyloop import BadRequest, Sleep, TinyLoop


def test_module_doctest():
    assert doctest.testmod(tinyloop).failed == 0


def test_one_task_returns_its_value():
    def hello():
        yield Sleep(0.01)
        return "hi"

    tiny = TinyLoop()
    task = tiny.spawn(hello())
    assert tiny.run() == {"hello": "hi"}
    assert task.done and task.result == "hi"
    assert task.requests == [Sleep(0.01)]
    assert len(task.steps) == 2


def test_shorter_sleep_finishes_first_and_waits_overlap():
    log = []

    def job(name, wait):
        log.append(f"{name} start")
        yield Sleep(wait)
        log.append(f"{name} end")
        return name

    tiny = TinyLoop()
    tiny.spawn(job("slow", 0.15))
    tiny.spawn(job("fast", 0.05))
    started = time.perf_counter()
    assert tiny.run() == {"job": "slow", "job #2": "fast"}
    assert log == ["slow start", "fast start", "fast end", "slow end"]
    assert time.perf_counter() - started >= 0.15  # a sleep never ends early
    rec = tiny.recording("two jobs")
    assert rec.max_overlap("wait") == 2


def test_bare_yield_takes_turns_in_queue_order():
    log = []

    def chatty(name):
        for i in range(3):
            log.append(f"{name}{i}")
            yield

    tiny = TinyLoop()
    tiny.spawn(chatty("a"), name="a")
    tiny.spawn(chatty("b"), name="b")
    tiny.run()
    assert log == ["a0", "b0", "a1", "b1", "a2", "b2"]


def test_a_turn_runs_only_what_was_ready_when_it_began():
    log = []

    def yielder():
        log.append("yielder 1")
        yield
        log.append("yielder 2")

    def sleeper():
        log.append("sleeper 1")
        yield Sleep(0)
        log.append("sleeper 2")

    tiny = TinyLoop()
    tiny.spawn(yielder())
    tiny.spawn(sleeper())
    tiny.run()
    # the bare yield goes back to the ready queue; Sleep(0) passes through the timer heap
    assert log == ["yielder 1", "sleeper 1", "yielder 2", "sleeper 2"]


def test_trace_prints_steps_and_idle_waits(capsys):
    def napper():
        yield Sleep(0.05)
        return "rested"

    tiny = TinyLoop(trace=True)
    tiny.spawn(napper())
    tiny.run()
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("napper  runs → asks to sleep 0.05 s")
    assert "nothing ready: the loop sleeps" in out[1]
    assert out[2].endswith("napper  runs → finished, returned 'rested'")
    assert all(line.lstrip()[0].isdigit() and " s  " in line for line in out)


def test_blocking_step_is_reported():
    def blocker():
        time.sleep(0.08)
        yield

    def polite():
        yield Sleep(0.01)

    tiny = TinyLoop()
    tiny.spawn(blocker())
    tiny.spawn(polite())
    tiny.run()
    blocked = tiny.blocking_steps()
    assert [name for name, _ in blocked] == ["blocker"]
    assert blocked[0][1] >= 0.08
    assert tiny.recording().blocking_spans()[0].lane == "blocker"


def test_recording_has_run_and_wait_spans_per_task():
    def two_naps():
        yield Sleep(0.02)
        yield Sleep(0.02)

    tiny = TinyLoop()
    tiny.spawn(two_naps(), name="napper")
    tiny.run()
    rec = tiny.recording("naps")
    assert isinstance(rec, Recording) and rec.lanes == ["napper"]
    assert [s.state for s in rec.spans] == ["run", "wait", "run", "wait", "run"]
    assert rec.wall >= 0.04
    assert summary(rec).startswith("naps: 1 lane")


def test_spawn_explains_what_is_not_a_generator():
    def gen():
        yield

    async def coro_function():
        return 1

    def plain():
        return 3

    tiny = TinyLoop()
    with pytest.raises(TypeError, match=r"generator function gen itself"):
        tiny.spawn(gen)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a "never awaited" warning would fail here
        with pytest.raises(TypeError, match=r"coroutine"):
            tiny.spawn(coro_function())
    with pytest.raises(TypeError, match=r"contains `yield`"):
        tiny.spawn(plain())
    assert tiny.tasks == []


def test_same_names_are_numbered():
    def job():
        yield

    tiny = TinyLoop()
    names = [tiny.spawn(job()).name for _ in range(3)]
    assert names == ["job", "job #2", "job #3"]


@pytest.mark.parametrize("request_, words", [
    (0.3, "yielded 0.3, which the tiny loop does not understand"),
    (Sleep, "yielded the class Sleep itself"),
    ("later", "yielded 'later'"),
])
def test_bad_requests_are_explained(request_, words):
    def bad():
        yield request_

    tiny = TinyLoop()
    tiny.spawn(bad())
    with pytest.raises(BadRequest, match=words):
        tiny.run()


def test_yielding_a_generator_is_explained():
    def inner():
        yield

    def outer():
        yield inner()

    tiny = TinyLoop()
    tiny.spawn(outer())
    with pytest.raises(BadRequest, match="does not run nested tasks"):
        tiny.run()


def test_an_error_in_a_task_stops_the_run():
    def broken():
        yield
        raise ValueError("boom")

    tiny = TinyLoop()
    task = tiny.spawn(broken())
    with pytest.raises(ValueError, match="boom"):
        tiny.run()
    assert not task.done and len(task.steps) == 2


@pytest.mark.parametrize("value, error", [(-1, ValueError), (float("inf"), ValueError),
                                          ("1", TypeError), (True, TypeError), (None, TypeError)])
def test_sleep_validates_its_seconds(value, error):
    with pytest.raises(error):
        Sleep(value)


def test_sleep_requests_compare_by_value():
    assert Sleep(0.3) == Sleep(0.3) and Sleep(0.3) != Sleep(0.2)
