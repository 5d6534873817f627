"""asynclab.explore: controls that re-run a measured demo (debounced, cancelling, tidy)."""

from __future__ import annotations

import asyncio
import threading
import time

import matplotlib
import pytest

matplotlib.use("Agg")

pytest.importorskip("ipywidgets")

import importlib  # noqa: E402

explore_module = importlib.import_module("asynclab.explore")
from asynclab.explore import ExploreError, explore, in_thread  # noqa: E402
from asynclab.timeline import measure  # noqa: E402


def run(coro):
    return asyncio.run(coro)


def make_demo(log: list, cleaned: list | None = None):
    async def demo(n, wait=0.01):
        async def job(i):
            await asyncio.sleep(wait)
            return i

        async def main():
            return await asyncio.gather(*(job(i) for i in range(n)))

        log.append(("start", n, wait))
        try:
            rec = await measure(f"{n} jobs", main())
        finally:
            if cleaned is not None:
                cleaned.append(n)
        log.append(("end", n, wait))
        return rec, f"{n} jobs done"
    return demo


def test_first_call_runs_the_default_once_and_prints_a_stable_summary(capsys):
    log = []

    async def main():
        ex = await explore(make_demo(log), n=(1, 6, 3), wait=(0.01, 0.1, 0.02), debounce=0.01)
        await ex.aclose()
        return ex

    ex = run(main())
    out = capsys.readouterr().out
    assert log == [("start", 3, 0.02), ("end", 3, 0.02)]
    assert "[controls: n 1–6, wait 0.01–0.1; run the notebook in JupyterLab to move them]" in out
    assert "n=3, wait=0.02\n3 jobs: 3 tasks + main" in out and "3 jobs done" in out
    assert ex.started == ex.shown == 1 and ex.cancelled == 0
    assert ex.output.outputs[0]["text"].startswith("n=3, wait=0.02")
    assert "image/png" in ex.output.outputs[1]["data"]


def test_quick_changes_are_debounced_into_one_run():
    log = []

    async def main():
        ex = await explore(make_demo(log), n=(1, 6, 2), debounce=0.1)
        for n in (3, 4, 5):
            ex.set(n=n)
            await asyncio.sleep(0.01)
        await ex.wait()
        await ex.aclose()
        return ex

    ex = run(main())
    assert [entry[1] for entry in log if entry[0] == "start"] == [2, 5]
    assert ex.started == 2 and ex.shown == 2 and ex.cancelled == 0
    assert ex.last_text.startswith("n=5")


def test_a_change_cancels_the_run_in_progress_and_its_summary_never_appears():
    log, cleaned = [], []

    async def main():
        ex = await explore(make_demo(log, cleaned), n=(1, 6, 1), wait=(0.01, 1.0, 0.01), debounce=0.02)
        ex.set(wait=0.8)                      # a slow run...
        await asyncio.sleep(0.2)              # ...now in progress
        assert ex.started == 2 and ex.shown == 1
        ex.set(n=4, wait=0.05)                # moved again: cancel it
        await ex.wait()
        await ex.aclose()
        return ex

    ex = run(main())
    starts = [e[1:] for e in log if e[0] == "start"]
    ends = [e[1:] for e in log if e[0] == "end"]
    assert (1, 0.8) in starts and (1, 0.8) not in ends     # begun, never finished
    assert cleaned.count(1) == 2                          # its finally ran (default run + cancelled one)
    assert ex.cancelled == 1 and ex.shown == 2
    assert "wait=0.8" not in ex.last_text and ex.last_text.startswith("n=4, wait=0.05")


def test_next_run_starts_only_after_the_cancelled_one_has_ended():
    events = []

    async def demo(n):
        events.append(f"start {n}")
        try:
            rec = await measure("sleep", asyncio.sleep(0.5 if n == 2 else 0.01))
        except asyncio.CancelledError:
            await asyncio.sleep(0.05)             # slow cleanup
            events.append(f"cleaned {n}")
            raise
        events.append(f"end {n}")
        return rec

    async def main():
        ex = await explore(demo, n=(1, 5, 1), debounce=0.0)
        ex.set(n=2)
        await asyncio.sleep(0.1)
        ex.set(n=3)
        await ex.wait()
        await ex.aclose()

    run(main())
    assert events == ["start 1", "end 1", "start 2", "cleaned 2", "start 3", "end 3"]


def test_close_cancels_everything_and_leaves_no_tasks():
    log = []

    async def main():
        before = asyncio.all_tasks()
        ex = await explore(make_demo(log), n=(1, 6, 1), wait=(0.01, 2.0, 0.01), debounce=0.0)
        ex.set(wait=1.5)
        await asyncio.sleep(0.1)
        await ex.aclose()
        await asyncio.sleep(0)
        left = asyncio.all_tasks() - before
        ex.set(n=3)                            # a closed explorer ignores its controls
        await asyncio.sleep(0.05)
        return ex, left, asyncio.all_tasks() - before

    ex, left, later = run(main())
    assert ex.closed and ex.cancelled == 1
    assert not left and not later
    assert ("end", 1, 1.5) not in log


def test_running_the_cell_again_closes_the_previous_explorer():
    log = []

    async def main():
        demo = make_demo(log)
        first = await explore(demo, n=(1, 6, 1), debounce=0.0)
        second = await explore(demo, n=(1, 6, 2), debounce=0.0)
        assert first.closed and not second.closed
        await second.aclose()
        assert explore_module.close_all() == 0

    run(main())


def test_in_thread_waits_for_the_thread_when_cancelled():
    finished = threading.Event()

    def slow():
        time.sleep(0.3)
        finished.set()

    async def main():
        task = asyncio.create_task(in_thread(slow))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return finished.is_set()

    assert run(main()) is True


def test_a_failing_later_run_is_shown_not_raised():
    async def demo(n):
        if n == 3:
            raise ValueError("three is bad")
        return await measure("ok", asyncio.sleep(0.01))

    async def main():
        ex = await explore(demo, n=(1, 5, 1), debounce=0.0)
        ex.set(n=3)
        await ex.wait()
        await ex.aclose()
        return ex

    ex = run(main())
    assert ex.failed == 1
    assert "ValueError: three is bad" in ex.output.outputs[0]["text"]


# -- wrong use: named errors -------------------------------------------------------------

async def good(n, wait=0.1):
    return await measure("x", asyncio.sleep(0))


@pytest.mark.parametrize("controls, words", [
    ({"n": (5, 1, 2)}, "min must be less than max"),
    ({"n": (1, 5, 9)}, "outside"),
    ({"n": (1, 5)}, "(min, max, default)"),
    ({"n": ("a", 5, 2)}, "(min, max, default)"),
    ({"n": (1, 5, 2, 0)}, "step must be > 0"),
    ({"n": []}, "list of choices"),
    ({"n": (1, 5, 2), "size": (1, 3, 2)}, "no parameter 'size'"),
    ({"wait": (0.1, 1.0, 0.2)}, "needs 'n'"),
    ({}, "at least one control"),
])
def test_bad_controls_raise_explore_error(controls, words):
    with pytest.raises(ExploreError, match=None) as info:
        run(explore(good, **controls))
    assert words in str(info.value)
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)


def test_a_demo_that_is_not_async_raises_explore_error():
    def plain(n):
        return n * 2

    with pytest.raises(ExploreError, match="not a coroutine: make it an `async def`"):
        run(explore(plain, n=(1, 5, 2)))


def test_a_called_demo_or_a_wrong_result_raises_explore_error():
    coro = good(1)
    with pytest.raises(ExploreError, match="the demo function itself"):
        run(explore(coro, n=(1, 5, 2)))

    async def returns_number(n):
        return 42

    with pytest.raises(ExploreError, match="must return a Recording"):
        run(explore(returns_number, n=(1, 5, 2)))


def test_an_error_of_the_default_run_propagates_and_closes():
    async def broken(n):
        raise KeyError("nope")

    with pytest.raises(KeyError):
        run(explore(broken, n=(1, 5, 2)))
    assert all(e.closed for e in list(explore_module._ALL))


def test_float_and_choice_controls():
    seen = []

    async def demo(latency, how):
        seen.append((latency, how))
        return await measure(how, asyncio.sleep(0))

    async def main():
        ex = await explore(demo, latency=(0.01, 0.3, 0.1), how=["threads", "processes"], debounce=0.0)
        ex.set(latency=0.1 + 0.2, how="processes")
        await ex.wait()
        await ex.aclose()
        return ex

    ex = run(main())
    assert seen[0] == (0.1, "threads") and seen[-1] == (0.3, "processes")
    assert ex.widgets["latency"].step == 0.01
    with pytest.raises(ExploreError, match="no control called 'size'"):
        ex.set(size=3)
