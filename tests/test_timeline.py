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
from programs import leaves_a_task_running, pause


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
def test_sequential_awaits_in_one_task_are_segments_of_one_lane():
    rec = run(measure("sequential", one_after_another()))
    assert rec.result == ["a", "b", "c"]
    assert rec.lanes == ["measure"] or rec.lanes == [rec.root_lane]  # one task: the measured coroutine's
    assert rec.segments(rec.root_lane) == ["pause('a', 0.05)", "pause('b', 0.05)", "pause('c', 0.05)",
                                           rec.root_lane]  # its own last step, after the three
    assert rec.jobs == ["pause('a', 0.05)", "pause('b', 0.05)", "pause('c', 0.05)"]
    assert rec.max_overlap() == 1
    spans = {label: [s for s in rec.spans if s.label == label] for label in rec.jobs}
    ends = [(min(s.start for s in v), max(s.end for s in v)) for v in spans.values()]
    for (_, prev_end), (next_start, _) in zip(ends, ends[1:]):
        assert next_start >= prev_end - 1e-9


def test_a_task_awaiting_a_helper_between_sleeps_is_still_one_task():
    async def nap():
        await asyncio.sleep(0.02)

    async def worker():
        await asyncio.sleep(0.02)
        await nap()
        await asyncio.sleep(0.02)

    async def main():
        await asyncio.gather(worker())

    rec = run(measure("one task", main()))
    assert rec.worker_lanes == ["worker()"]
    assert rec.max_overlap() == 1


def test_gather_lanes_overlap_and_the_root_lane_is_kept_apart():
    rec = run(measure("gather", all_at_once()))
    assert rec.result == ["a", "b", "c"]
    assert rec.root_lane == "all_at_once"
    assert rec.lanes[0] == "all_at_once"  # the root appears first
    assert rec.worker_lanes == ["pause('a', 0.05)", "pause('b', 0.05)", "pause('c', 0.05)"]
    assert rec.max_overlap() == 3
    assert rec.max_overlap("wait") == 3
    assert {rec.outcome(lane) for lane in rec.worker_lanes} == {"returned"}


def test_every_lane_has_running_and_waiting_spans_within_the_wall_time():
    rec = run(measure("gather", all_at_once()))
    for lane in rec.worker_lanes:
        states = {s.state for s in rec.spans_of(lane)}
        assert states == {"run", "wait"}
        assert {s.reason for s in rec.spans_of(lane) if s.state == "wait"} == {"timer"}
    assert all(0 <= s.start <= s.end <= rec.wall + 1e-6 for s in rec.spans)
    assert rec.wall >= 0.05


def test_a_blocking_step_is_blamed_on_the_line_that_ran():
    async def say_after(delay, what):
        await asyncio.sleep(delay)
        return what

    async def main():
        await say_after(0.02, "hello")
        time.sleep(0.2)
        await say_after(0.02, "world")

    rec = run(measure("blocked", main()))
    blocked = rec.blocking_spans()
    assert len(blocked) == 1 and blocked[0].slept is True
    assert blocked[0].where is not None and blocked[0].where.startswith("main, test_timeline.py line ")
    assert blocked[0].where.endswith(": time.sleep(0.2)")
    assert blocked[0].segment is None  # drawn on main's own row, not on say_after('world')
    assert "loop blocked once, " in summary(rec) and "time.sleep(0.2)" in summary(rec)


def test_named_tasks_use_their_names_and_taskgroup_is_recorded():
    async def main():
        async with asyncio.TaskGroup() as tg:
            tg.create_task(pause("x"), name="first")
            tg.create_task(pause("y"))

    rec = run(measure("taskgroup", main()))
    assert "first" in rec.lanes
    assert "pause('y', 0.05)" in rec.lanes
    assert rec.max_overlap() == 2
    assert rec.info["first"].task_name == "first"


def test_duplicate_labels_get_numbered():
    async def main():
        await asyncio.gather(pause("same"), pause("same"))

    rec = run(measure("twins", main()))
    assert rec.worker_lanes == ["pause('same', 0.05)", "pause('same', 0.05) #2"]


def test_errors_propagate_and_nothing_is_left_behind():
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


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit, asyncio.CancelledError])
def test_base_exceptions_propagate_unchanged_and_the_next_measure_works(error):
    async def interrupted():
        await asyncio.sleep(0)
        raise error()

    async def main():
        with pytest.raises(error):
            await measure("interrupted", interrupted())
        rec = await measure("again", pause("ok"))
        assert rec.result == "ok" and rec.worker_lanes == [rec.root_lane]
        return asyncio.get_running_loop().get_task_factory()

    assert run(main()) is None


def test_measured_code_runs_in_the_callers_task_and_context():
    import contextvars

    var = contextvars.ContextVar("var", default="unset")

    async def sets():
        var.set("set inside")
        return asyncio.current_task()

    async def main():
        rec = await measure("context", sets())
        return rec.result is asyncio.current_task(), var.get()

    assert run(main()) == (True, "set inside")


def test_the_one_trace_is_a_context_variable_seen_only_during_the_measurement():
    import contextvars
    import threading

    def ours():
        return [v.name for v in contextvars.copy_context() if v.name.startswith("asynclab")]

    async def inside():
        return ours(), threading.active_count()

    async def main():
        before = (ours(), threading.active_count())
        rec = await measure("trace", inside())
        return before, rec.result, (ours(), threading.active_count())

    before, during, after = run(main())
    assert before == after == ([], before[1])
    assert during == (["asynclab_measure"], before[1])  # the sampler thread is not a threading.Thread


def test_task_names_and_stacks_are_the_codes_own():
    async def child():
        await asyncio.sleep(0.01)

    async def main():
        task = asyncio.create_task(child())
        await asyncio.sleep(0)
        names = [f.f_code.co_name for f in task.get_stack()]
        text = repr(task)
        await task
        return task.get_name(), names, text

    plain = run(main())
    measured = run(measure("stacks", main())).result
    assert plain[1] == measured[1] == ["child"]
    assert "coro=<main.<locals>.child()" in measured[2] or "child()" in measured[2]
    assert plain[0].startswith("Task-") and measured[0].startswith("Task-")


def test_a_lost_task_is_still_destroyed_by_the_garbage_collector():
    import gc
    import weakref

    async def forever():
        await asyncio.get_running_loop().create_future()  # nobody will ever set it

    async def main():
        ref = weakref.ref(asyncio.create_task(forever()))  # no strong reference kept
        await asyncio.sleep(0.01)
        gc.collect()
        return ref() is None

    async def measured():
        rec = await measure("lost", main(), grace=0)
        return rec.result

    assert run(main()) is True
    assert run(measured()) is True


def test_a_task_cancelled_before_its_first_step_warns_nothing():
    import warnings

    async def main():
        task = asyncio.create_task(pause("never"))
        task.cancel()
        await asyncio.sleep(0)
        return task.cancelled()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rec = run(measure("early cancel", main()))
    assert rec.result is True
    assert rec.outcome("pause('never', 0.05)") == "cancelled"  # named from its arguments, never run


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


def test_unfinished_tasks_are_listed_and_watched_a_little_longer():
    async def outer():
        kept = []
        rec = await measure("leaky", leaves_a_task_running(kept))
        await kept[0]
        rec.refresh()
        return rec

    rec = run(outer())
    assert rec.unfinished == ["pause('late', 0.1)"]
    assert rec.outcome("pause('late', 0.1)") == "running"
    assert "still running at the return" in summary(rec)
    # the grace period saw it finish after the return (drawing brings that in)
    rec.refresh()
    assert rec.info["pause('late', 0.1)"].later == "returned"
    assert rec.extent("pause('late', 0.1)")[1] > rec.wall


def test_a_recording_read_later_sees_the_grace_period_and_outlives_its_watch():
    async def outer():
        kept = []
        rec = await measure("read later", leaves_a_task_running(kept))
        await kept[0]  # finishes inside the grace period (0.25 s)
        other = await measure("another", all_at_once(), grace=0)  # a measurement opened and closed since
        return rec, other

    rec, other = run(outer())
    # read for the first time only now, after the loop has closed
    assert rec.outcome("pause('late', 0.1)") == "running"  # at the return
    assert rec.info["pause('late', 0.1)"].later == "returned"
    assert rec.extent("pause('late', 0.1)")[1] > rec.wall
    assert other.max_overlap() == 3 and len(other.worker_lanes) == 3


def test_outcomes_of_a_taskgroup_with_a_failing_child():
    from programs import taskgroup_with_a_failure

    rec = run(measure("taskgroup", taskgroup_with_a_failure(0.2)))
    assert rec.result == "caught"
    assert rec.outcome("b") == "raised" and rec.info["b"].error == "ValueError: b"
    assert rec.outcome("a") == rec.outcome("c") == "cancelled"
    text = summary(rec)
    assert "b raised ValueError at " in text and "a, c cancelled" in text


def test_waits_know_what_they_wait_for():
    async def holds(lock):
        async with lock:
            await asyncio.sleep(0.02)

    async def main():
        lock = asyncio.Lock()
        queue = asyncio.Queue()
        sem = asyncio.Semaphore(1)

        async def consumer():
            await queue.get()

        async def limited():
            async with sem:
                await asyncio.sleep(0.02)

        c = asyncio.create_task(consumer())
        await asyncio.gather(holds(lock), holds(lock), limited(), limited(),
                             asyncio.to_thread(time.sleep, 0.02))
        queue.put_nowait(1)
        await c

    rec = run(measure("reasons", main()))
    reasons = set(rec.waits_for())
    assert {"lock", "queue", "semaphore", "timer", "thread"} <= reasons
    assert "task" in rec.waits_for(rec.root_lane)
    # two holders of one lock never did I/O at the same time
    holders = [lane for lane in rec.worker_lanes if lane.startswith("holds")]
    sub = Recording("holders")
    for s in rec.spans:
        if s.lane in holders:
            sub.add(s.lane, s.start, s.end, s.state, reason=s.reason)
    assert sub.max_overlap("wait") == 2 and sub.max_overlap("wait", exclude=timeline.SYNC_REASONS) == 1


def test_library_coroutines_run_as_tasks_get_lanes_named_for_what_they_run():
    def blocking_io():
        time.sleep(0.05)

    async def main():
        await asyncio.gather(asyncio.to_thread(blocking_io), asyncio.sleep(0.1))

    rec = run(measure("to_thread", main()))
    assert rec.worker_lanes == ["to_thread(blocking_io)", "sleep(0.1)"]
    assert rec.max_overlap() == 2


def test_an_expired_timeout_is_a_deadline():
    async def main():
        try:
            async with asyncio.timeout(0.05):
                await asyncio.gather(pause("slow", 1))
        except TimeoutError:
            return "timed out"

    rec = run(measure("deadline", main()))
    assert rec.result == "timed out"
    assert len(rec.deadlines) == 1 and 0.04 <= rec.deadlines[0][0] <= rec.wall
    assert rec.outcome("pause('slow', 1)") == "cancelled"
    assert rec.deadlines_not_reached == []


def test_a_task_cancelled_before_it_ever_ran_waited_for_its_first_turn():
    async def send(to):
        await asyncio.sleep(0.3)

    async def signup():
        asyncio.create_task(send("ana"), name="mail")  # fire and forget
        return "welcome!"

    async def main():
        rec = await measure("fire and forget", signup())
        strays = [t for t in asyncio.all_tasks() if t.get_name() == "mail"]
        for task in strays:
            task.cancel()  # before its first step
        await asyncio.gather(*strays, return_exceptions=True)
        return rec

    rec = run(main())
    waits = [s for s in rec.spans if s.lane == "mail" and s.state == "wait"]
    assert [s.reason for s in waits] == ["yield"], waits
    assert rec.outcome("mail") == "running" and "still running at the return" in summary(rec)


def test_a_deadline_the_block_beats_is_recorded_as_not_reached():
    async def within(limit):
        async with asyncio.timeout(limit):
            await asyncio.sleep(0.02)
        return limit

    async def main():
        loop = asyncio.get_running_loop()
        inner = asyncio.create_task(within(0.3), name="beats it")
        moved = asyncio.timeout(5)
        async with moved:
            moved.reschedule(loop.time() + 0.4)  # the 5 s deadline moved: not reached either
            await inner
        return "_timer_handle_cancelled" in vars(loop)

    rec = run(measure("deadlines", main()))
    assert rec.result is True  # shadowed while the measurement was open...
    assert rec.deadlines == []
    by_lane = sorted(rec.deadlines_not_reached, key=lambda d: d[0])
    assert [lane for _, lane in by_lane] == ["beats it", "main", "main"], by_lane
    assert 0.25 <= by_lane[0][0] <= 0.35 and 0.35 <= by_lane[1][0] <= 0.45 and 4.9 <= by_lane[2][0] <= 5.1

    async def after():
        await measure("again", asyncio.sleep(0))
        return "_timer_handle_cancelled" in vars(asyncio.get_running_loop())

    assert run(after()) is False  # ...and the loop's own method again once it closed


@pytest.mark.skipif(not hasattr(asyncio, "eager_task_factory"), reason="eager tasks are Python 3.12+")
def test_an_eager_task_factory_is_recorded_through_and_stays_installed():
    async def main():
        loop = asyncio.get_running_loop()
        loop.set_task_factory(asyncio.eager_task_factory)
        await asyncio.gather(pause("a"), pause("b"), pause("c"))

    async def outer():
        rec = await measure("eager", main())
        factory = asyncio.get_running_loop().get_task_factory()
        return rec, factory

    rec, factory = run(outer())
    assert factory is asyncio.eager_task_factory
    assert rec.max_overlap() == 3 and len(rec.worker_lanes) == 3


def test_nested_measurements_each_see_their_own_work():
    async def inner():
        return await measure("inner", all_at_once())

    async def main():
        rec = await inner()
        await pause("after")
        return rec

    outer = run(measure("outer", main()))
    inner_rec = outer.result
    assert inner_rec.worker_lanes == ["pause('a', 0.05)", "pause('b', 0.05)", "pause('c', 0.05)"]
    assert set(inner_rec.worker_lanes) <= set(outer.worker_lanes)
    assert "pause('after', 0.05)" in outer.segments(outer.root_lane)


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
    assert [c.__qualname__ for c in seen].count("pause") == 3  # the three children went through it
    assert rec.max_overlap() == 3


# -- wrong use -----------------------------------------------------------------
def test_measure_rejects_a_coroutine_function_with_advice():
    with pytest.raises(TypeError, match=r"call it to get a coroutine"):
        run(measure("oops", one_after_another))


def test_measure_rejects_what_cannot_be_awaited():
    with pytest.raises(TypeError, match="needs something to await"):
        run(measure("oops", 42))
    with pytest.raises(TypeError, match="title first"):
        run(measure(pause("x"), "oops"))  # type: ignore[arg-type]


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
    # one task awaiting three coroutines in turn: its lane, then one row per coroutine
    assert [t.get_text() for t in top.get_yticklabels()] == [seq.root_lane] + [f"  ↳ {j}" for j in seq.jobs]
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
    assert summary(seq).startswith("sequential: one_after_another alone (awaiting pause('a', 0.05), "
                                   "pause('b', 0.05), pause('c', 0.05) in turn), wall ")
    assert summary(con).startswith("gather: 3 tasks + all_at_once, wall ")
    assert "one at a time" in summary(seq)
    assert "up to 3 at once" in summary(con)
    assert summary(con).endswith("waiting for a timer (asyncio.sleep)")
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
    assert rec.segments(rec.root_lane)[0] == "pause('before', 0.05)"  # the timeline up to the error is kept
    assert rec.outcome(rec.root_lane) == "raised" and rec.info[rec.root_lane].error == "ValueError: late"


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
    assert rec.pending == []  # cancelled, finished and gone: a recording keeps no task alive


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
        # CPU time, not wall time: on a busy machine the step still computes for 0.1 s
        end = time.thread_time() + timeline.BLOCKING_THRESHOLD * 2
        while time.thread_time() < end:
            pass

    async def main():
        await asyncio.gather(computes(), blocks())

    rec = run(measure("both kinds", main()))
    blocked = {s.lane: s for s in rec.blocking_spans()}
    assert set(blocked) == {"computes()", "blocks()"}
    assert blocked["computes()"].cpu > timeline.BLOCKING_THRESHOLD / 2
    assert blocked["blocks()"].slept is True


def test_third_party_library_tasks_get_no_lane_but_are_named_and_hand_made_recordings_never_block():
    anyio = pytest.importorskip("anyio")

    async def main():
        # a task whose coroutine is a library's own code, as libraries create
        await asyncio.gather(asyncio.ensure_future(anyio.sleep(0.01)), pause("mine"))

    rec = run(measure("mixed", main()))
    assert rec.worker_lanes == ["pause('mine', 0.05)"]
    assert rec.left_out == {"sleep": 1}
    assert "1 library task not drawn (sleep)" in summary(rec)

    threads = Recording("threads", on_loop=False)
    threads.add("worker 1", 0.0, 1.0, "run")
    threads.finish(1.0)
    assert threads.blocking_spans() == []
    fig = draw(threads)
    assert all(p.get_hatch() != "xx" for p in fig.axes[0].patches)
    matplotlib.pyplot.close(fig)


def test_the_tasks_the_code_created_are_listed_while_they_exist():
    async def main():
        return [asyncio.create_task(pause(n)) for n in "ab"]

    async def outer():
        rec = await measure("kept", main(), grace=0)
        assert set(rec.tasks) == set(rec.result) and rec.pending == rec.tasks
        assert rec.unfinished == ["pause('a', 0.05)", "pause('b', 0.05)"]
        await asyncio.gather(*rec.result)
        return rec

    rec = run(outer())
    assert rec.pending == []


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
