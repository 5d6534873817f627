"""Unit tests of the timeline recorder and drawing: behaviour, never speed."""

from __future__ import annotations

import asyncio
import threading
import time

import matplotlib
import pytest

matplotlib.use("Agg")

from asynclab import timeline
from asynclab.timeline import Recording, draw, measure, merge, summary


async def pause(name: str, seconds: float = 0.05) -> str:
    await asyncio.sleep(seconds)
    return name


async def one_after_another() -> list[str]:
    return [await pause("a"), await pause("b"), await pause("c")]


async def all_at_once() -> list[str]:
    return list(await asyncio.gather(pause("a"), pause("b"), pause("c")))


async def blocks() -> str:
    time.sleep(timeline.BLOCKING_THRESHOLD * 2)
    await asyncio.sleep(0)
    return "done"


def run(coro):
    return asyncio.run(coro)


# -- recording ---------------------------------------------------------------
def test_sequential_awaits_in_one_task_get_their_own_lanes_in_order():
    rec = run(measure("sequential", one_after_another()))
    assert rec.result == ["a", "b", "c"]
    assert rec.lanes == ["pause('a', 0.05)", "pause('b', 0.05)", "pause('c', 0.05)"]
    assert rec.max_overlap() == 1
    # each lane starts no earlier than the previous one ended
    ends = [rec.extent(lane) for lane in rec.lanes]
    for (_, prev_end), (next_start, _) in zip(ends, ends[1:]):
        assert next_start >= prev_end - 1e-9


def test_gather_lanes_overlap_and_the_root_lane_is_kept_apart():
    rec = run(measure("gather", all_at_once()))
    assert rec.result == ["a", "b", "c"]
    assert rec.root_lane == "all_at_once"
    assert rec.lanes[0] == "all_at_once"  # the root appears first
    assert rec.worker_lanes == ["pause('a', 0.05)", "pause('b', 0.05)", "pause('c', 0.05)"]
    assert rec.max_overlap() == 3
    assert rec.max_overlap("wait") == 3


def test_every_lane_has_running_and_waiting_spans_within_the_wall_time():
    rec = run(measure("gather", all_at_once()))
    for lane in rec.worker_lanes:
        states = {s.state for s in rec.spans_of(lane)}
        assert states == {"run", "wait"}
    assert all(0 <= s.start <= s.end <= rec.wall + 1e-6 for s in rec.spans)
    assert rec.wall >= 0.05


def test_a_blocking_step_is_reported():
    async def main():
        await asyncio.gather(blocks(), pause("x"))

    rec = run(measure("blocked", main()))
    blocked = rec.blocking_spans()
    assert [s.lane for s in blocked] == ["blocks()"]
    assert blocked[0].state == "run"
    assert "loop blocked once, " in summary(rec)


def test_named_tasks_use_their_names_and_taskgroup_is_recorded():
    async def main():
        async with asyncio.TaskGroup() as tg:
            tg.create_task(pause("x"), name="first")
            tg.create_task(pause("y"))

    rec = run(measure("taskgroup", main()))
    assert "first" in rec.lanes
    assert "pause('y', 0.05)" in rec.lanes
    assert rec.max_overlap() == 2


def test_duplicate_labels_get_numbered():
    async def main():
        await asyncio.gather(pause("same"), pause("same"))

    rec = run(measure("twins", main()))
    assert rec.worker_lanes == ["pause('same', 0.05)", "pause('same', 0.05) #2"]


def test_errors_propagate_and_the_loop_is_restored():
    async def bad():
        await asyncio.sleep(0)
        raise KeyError("boom")

    async def main():
        loop = asyncio.get_running_loop()
        with pytest.raises(KeyError):
            await measure("bad", bad())
        assert loop.get_task_factory() is None
        rec = await measure("again", pause("ok"))  # a second measure works
        return rec.result

    assert run(main()) == "ok"


def test_cancellation_passes_through_the_recorder():
    async def sleeper():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return "cancelled cleanly"

    async def main():
        task = asyncio.create_task(sleeper())
        await asyncio.sleep(0.01)
        task.cancel()
        return await task

    assert run(measure("cancel", main())).result == "cancelled cleanly"


def test_unfinished_tasks_are_listed():
    async def main():
        main.task = asyncio.create_task(pause("late", 0.2))  # keep a reference
        await asyncio.sleep(0.01)

    async def outer():
        rec = await measure("leaky", main())
        main.task.cancel()
        return rec

    rec = run(outer())
    assert rec.unfinished == ["pause('late', 0.2)"]
    assert "1 still running" in summary(rec)


def test_an_existing_task_factory_is_chained_and_restored():
    seen = []

    def factory(loop, coro, **kwargs):
        seen.append(coro)
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def main():
        loop = asyncio.get_running_loop()
        loop.set_task_factory(factory)
        rec = await measure("chained", all_at_once())
        assert loop.get_task_factory() is factory
        return rec

    rec = run(main())
    assert len(seen) >= 4  # the measured task and three children went through it
    assert rec.max_overlap() == 3


# -- wrong use -----------------------------------------------------------------
def test_measure_rejects_a_coroutine_function_with_advice():
    with pytest.raises(TypeError, match=r"call it to get a coroutine"):
        run(measure("oops", one_after_another))


def test_measure_rejects_nested_use():
    async def main():
        inner = pause("x")
        await measure("inner", inner)

    async def outer():
        await measure("outer", main())

    with pytest.raises(RuntimeError, match="already recording"):
        run(outer())


def test_span_ending_before_it_starts_is_refused():
    rec = Recording("manual")
    with pytest.raises(ValueError, match="ends before it starts"):
        rec.add("lane", 2.0, 1.0)
    with pytest.raises(ValueError, match="state must be"):
        rec.add("lane", 0.0, 1.0, "sleeping")


def test_empty_recording_and_plotting_nothing_are_explained():
    with pytest.raises(ValueError, match="is empty"):
        draw(Recording("nothing"))
    with pytest.raises(ValueError, match="at least one Recording"):
        draw()
    with pytest.raises(TypeError, match="forget `await`"):
        coro = pause("x")
        draw(coro)
    with pytest.raises(TypeError, match="takes Recording objects"):
        draw("gather")


# -- manual recordings (threads, processes) -------------------------------------
def test_track_records_threads_with_overlap():
    rec = Recording("threads")
    barrier = threading.Barrier(3)

    def work(i: int) -> None:
        with rec.track(f"thread {i}"):
            barrier.wait(timeout=10)  # all three are inside at once

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rec.finish()
    assert sorted(rec.lanes) == ["thread 0", "thread 1", "thread 2"]
    assert rec.max_overlap() == 3


def test_overlap_counts_and_merge():
    rec = Recording("hand made")
    rec.add("a", 0.0, 1.0, "wait")
    rec.add("b", 1.0, 2.0, "wait")  # touches a: not overlapping
    rec.add("c", 0.5, 1.5, "run")
    rec.finish(2.0)
    assert rec.max_overlap() == 2
    assert rec.max_overlap("wait") == 1
    assert merge(rec.spans, "wait") == [(0.0, 2.0)]
    assert rec.busy() == pytest.approx(1.0)


# -- drawing and text ------------------------------------------------------------
def test_draw_stacks_panels_with_lanes_in_order_and_totals_in_titles():
    seq = run(measure("sequential", one_after_another()))
    con = run(measure("gather", all_at_once()))
    fig = draw(seq, con)
    top, bottom = fig.axes
    assert [t.get_text() for t in top.get_yticklabels()] == seq.lanes
    assert [t.get_text() for t in bottom.get_yticklabels()] == [con.root_lane] + con.worker_lanes
    assert top.get_title(loc="left") == f"sequential — total {timeline.seconds(seq.wall)}"
    assert bottom.get_title(loc="left").startswith("gather — total ")
    # running bars are solid, waiting bars hatched
    hatches = {p.get_hatch() for p in top.patches}
    assert "///" in hatches and None in hatches
    assert top.get_xlim() == bottom.get_xlim()  # one shared time axis
    matplotlib.pyplot.close(fig)


def test_summary_lines_say_what_happened(capsys):
    seq = run(measure("sequential", one_after_another()))
    con = run(measure("gather", all_at_once()))
    assert summary(seq).startswith("sequential: 3 lanes, wall ")
    assert summary(con).startswith("gather: 3 lanes + all_at_once, wall ")
    assert summary(seq).endswith("one at a time")
    assert summary(con).endswith("up to 3 at once")
    timeline.show(seq, con)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == summary(seq) and out[1] == summary(con)
    assert out[2].startswith("gather took ") and ": speed-up " in out[2]


def test_seconds_format_is_the_one_the_sanitizer_knows():
    assert timeline.seconds(1.234) == "1.23 s"
    assert timeline.seconds(0) == "0.00 s"


def test_errors_can_be_kept_with_the_recording():
    async def fails():
        await pause("before")
        raise ValueError("late")

    rec = run(measure("kept", fails(), raise_errors=False))
    assert isinstance(rec.error, ValueError) and rec.result is None
    assert rec.lanes[0] == "pause('before', 0.05)"  # the timeline up to the error is kept


def test_pending_tasks_can_be_cancelled():
    async def main():
        asyncio.get_running_loop().create_task(pause("left", 5))  # no reference kept on purpose
        await asyncio.sleep(0)

    async def outer():
        rec = await measure("leaky", main())
        assert rec.unfinished == ["pause('left', 5)"]
        assert rec.cancel_pending() == 1
        await asyncio.sleep(0)
        return rec

    rec = run(outer())
    assert all(t.cancelled() for t in rec.pending)


def test_show_can_leave_out_the_comparison(capsys):
    a = run(measure("a", all_at_once()))
    b = run(measure("b", all_at_once()))
    timeline.show(a, b, compare=False)
    assert "speed-up" not in capsys.readouterr().out


def test_preemption_is_not_blamed_on_the_code():
    Span = timeline.Span
    assert not Span("pre-empted", 0, 0.2, "run", cpu=0.001, slept=False).blocks()
    assert Span("time.sleep", 0, 0.2, "run", cpu=0.001, slept=True).blocks()
    assert Span("computing", 0, 0.2, "run", cpu=0.19, slept=False).blocks()
    assert Span("hand made", 0, 0.2, "run").blocks()  # not measured: judged by its length
    assert not Span("short", 0, 0.01, "run", cpu=0.01, slept=True).blocks()
    assert not Span("waiting", 0, 0.2, "wait").blocks()


def test_computing_and_sleeping_steps_are_measured_as_blocking():
    async def computes():
        end = time.perf_counter() + timeline.BLOCKING_THRESHOLD * 2
        while time.perf_counter() < end:
            pass

    async def main():
        await asyncio.gather(computes(), blocks())

    rec = run(measure("both kinds", main()))
    blocked = {s.lane: s for s in rec.blocking_spans()}
    assert set(blocked) == {"computes()", "blocks()"}
    assert blocked["computes()"].cpu > timeline.BLOCKING_THRESHOLD / 2
    assert blocked["blocks()"].slept is True


def test_library_tasks_get_no_lane_and_hand_made_recordings_never_block():
    async def main():
        # a task whose coroutine is asyncio's own code, as libraries create
        await asyncio.gather(asyncio.ensure_future(asyncio.sleep(0.01)), pause("mine"))

    rec = run(measure("mixed", main()))
    assert rec.worker_lanes == ["pause('mine', 0.05)"]

    threads = Recording("threads", on_loop=False)
    threads.add("worker 1", 0.0, 1.0, "run")
    threads.finish(1.0)
    assert threads.blocking_spans() == []
    fig = draw(threads)
    assert all(p.get_hatch() != "xx" for p in fig.axes[0].patches)
    matplotlib.pyplot.close(fig)


def test_the_tasks_the_code_created_are_listed():
    rec = run(measure("gather", all_at_once()))
    assert len(rec.tasks) == 3 and all(t.done() for t in rec.tasks)
    assert rec.pending == [] and rec.unfinished == []


def test_a_comprehension_is_not_a_lane_of_its_own():
    async def main():
        tasks = [asyncio.create_task(pause(name)) for name in "ab"]
        return [await t for t in tasks]  # a <listcomp> coroutine on 3.11

    rec = run(measure("comprehension", main()))
    assert rec.result == ["a", "b"]
    assert not any(lane.startswith("<") for lane in rec.lanes)
    assert rec.worker_lanes == ["pause('a', 0.05)", "pause('b', 0.05)"]


def test_the_grey_root_lane_is_drawn_on_top_even_if_it_appeared_later():
    rec = Recording("late root")
    rec.add("helper()", 0.0, 0.01, "run")
    rec.add("main", 0.01, 0.2, "wait")
    rec.add("job(1)", 0.01, 0.2, "wait")
    rec.root_lane = "main"
    rec.finish(0.2)
    fig = draw(rec)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["main", "helper()", "job(1)"]
    matplotlib.pyplot.close(fig)
