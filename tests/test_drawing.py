"""What the timeline pictures draw: marks, lines, rows and colours (never pixels or speed)."""

from __future__ import annotations

import asyncio

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from asynclab import timeline  # noqa: E402
from asynclab.timeline import Recording, draw, measure, profile, summary  # noqa: E402
from programs import leaves_a_task_running, pause, taskgroup_with_a_failure  # noqa: E402


def run(coro):
    return asyncio.run(coro)


def markers(ax, marker: str) -> list[tuple[float, float]]:
    """(x, row) of every point drawn with ``marker`` in ``ax``."""
    out = []
    for line in ax.lines:
        if line.get_marker() == marker:
            out += list(zip(line.get_xdata(), line.get_ydata()))
    return out


def rows(ax) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


def legend_texts(fig) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def test_outcomes_are_marked_on_their_lanes():
    rec = run(measure("taskgroup", taskgroup_with_a_failure()))
    fig = draw(rec)
    ax = fig.axes[0]
    names = rows(ax)
    raised = markers(ax, "X")
    assert [names[int(row)] for _, row in raised] == ["b"]
    assert raised[0][0] == pytest.approx(rec.info["b"].ended)
    cancelled = sorted(names[int(row)] for _, row in markers(ax, "s"))
    assert cancelled == ["a", "c"]
    assert "ValueError" in [t.get_text() for t in ax.texts]
    assert {"raised an exception", "cancelled"} <= set(legend_texts(fig))
    plt.close(fig)
    assert "b raised ValueError at " in summary(rec) and "a, c cancelled" in summary(rec)


def test_a_deadline_is_a_vertical_line_at_its_time():
    async def main():
        try:
            async with asyncio.timeout(0.05):
                await asyncio.gather(pause("slow", 1.0), pause("fast", 0.01))
        except TimeoutError:
            pass

    rec = run(measure("deadline", main()))
    fig = draw(rec)
    lines = [line for line in fig.axes[0].lines if line.get_linestyle() == "-."]
    assert len(lines) == 1
    assert lines[0].get_xdata()[0] == pytest.approx(rec.deadlines[0][0])
    assert "timeout deadline" in legend_texts(fig)
    plt.close(fig)


def test_tasks_still_running_at_the_return_are_marked_there():
    async def outer():
        kept = []
        rec = await measure("lost", leaves_a_task_running(kept))
        await kept[0]
        return rec

    rec = run(outer())
    fig = draw(rec)
    ax = fig.axes[0]
    still = markers(ax, ">")
    assert [rows(ax)[int(row)] for _, row in still] == ["pause('late', 0.1)"]
    assert still[0][0] == pytest.approx(rec.wall)
    # the lane goes on past the dotted "returned" line: the grace period saw it
    assert rec.extent("pause('late', 0.1)")[1] > rec.wall
    plt.close(fig)


def test_waits_are_hatched_by_what_they_wait_for_and_the_legend_shows_only_those():
    async def main():
        sem = asyncio.Semaphore(1)

        async def limited():
            async with sem:
                await asyncio.sleep(0.02)

        await asyncio.gather(limited(), limited())

    rec = run(measure("semaphore", main()))
    fig = draw(rec)
    hatches = {p.get_hatch() for p in fig.axes[0].patches}
    assert {"///", "..."} <= hatches  # a timer, and queueing for the Semaphore
    texts = legend_texts(fig)
    assert "waiting: lock, semaphore, queue or event" in texts
    assert "blocked the loop (> 50 ms)" not in texts and "raised an exception" not in texts
    plt.close(fig)
    assert "up to 1 at once (2 started, the rest queued)" in summary(rec)


def test_every_legend_entry_for_a_wait_has_its_own_pattern():
    async def both():
        await asyncio.gather(pause("a", 0.02), pause("b", 0.02))

    measured = run(measure("timer", both()))
    by_hand = Recording("threads", on_loop=False)
    by_hand.add("worker", 0.0, 0.01, "wait")  # a hand-made wait: no reason known
    by_hand.add("worker", 0.01, 0.02, "run")
    by_hand.finish(0.02)
    fig = draw(measured, by_hand)
    waits = {h.get_label(): h.get_hatch() for legend in fig.legends for h in legend.legend_handles
             if h.get_label().startswith("waiting")}
    assert {"waiting (not running)", "waiting: I/O or a timer"} <= set(waits)
    assert len(set(waits.values())) == len(waits), waits
    plt.close(fig)


def test_the_same_job_keeps_its_colour_and_order_in_every_panel():
    async def one_after_another():
        return [await pause("a"), await pause("b")]

    async def together():
        return await asyncio.gather(pause("b"), pause("a"))  # started in the other order

    seq = run(measure("sequential", one_after_another()))
    con = run(measure("gather", together()))
    fig = draw(seq, con)
    top, bottom = fig.axes
    assert rows(top)[1:] == ["  ↳ pause('a', 0.05)", "  ↳ pause('b', 0.05)"]
    assert rows(bottom)[1:] == ["pause('a', 0.05)", "pause('b', 0.05)"]

    def colour_of(ax, row):
        for p in ax.patches:
            y = p.get_y() + p.get_height() / 2
            if abs(y - row) < 0.01 and p.get_hatch() is None:
                return p.get_facecolor()

    assert colour_of(top, 1) == colour_of(bottom, 1)
    assert colour_of(top, 2) == colour_of(bottom, 2)
    assert colour_of(top, 1) != colour_of(top, 2)
    plt.close(fig)


def test_many_tasks_are_drawn_as_a_profile_whose_counts_match_the_recording():
    async def main():
        sem = asyncio.Semaphore(10)

        async def one(i):
            async with sem:
                await asyncio.sleep(0.01)

        await asyncio.gather(*(one(i) for i in range(200)))

    rec = run(measure("200 tasks", main()))
    edges, counts = profile(rec)
    width = edges[1] - edges[0]
    lanes = set(rec.worker_lanes)
    for state, group in (("world", "world"), ("sync", "sync")):
        recorded = sum(s.duration for s in rec.spans
                       if s.lane in lanes and s.state == "wait" and timeline.wait_group(s.reason) == group)
        assert sum(counts[state]) * width == pytest.approx(recorded, rel=1e-6)
    fig = draw(rec)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "tasks (of 200)" and len(ax.get_yticklabels()) < 30
    assert fig.get_figheight() * fig.dpi <= 2400
    plt.close(fig)


def test_no_figure_is_taller_than_about_2400_pixels():
    rec = Recording("many", t0=0.0)
    for i in range(25):
        rec.add(f"lane {i}", 0.0, 1.0, "wait", reason="io")
    rec.finish(1.0)
    fig = draw(rec, rec, rec, rec)
    assert fig.get_figheight() * fig.dpi <= 2400
    plt.close(fig)


def test_a_window_zooms_into_a_stretch_of_time():
    async def both():
        return await measure("gather", asyncio.gather(pause("a"), pause("b")))  # a Future is measured too

    rec = run(both())
    assert rec.result == ["a", "b"]
    fig = draw(rec, window=(0.0, 0.01))
    assert fig.axes[0].get_xlim() == (0.0, 0.01)
    plt.close(fig)
    with pytest.raises(ValueError, match="window must be"):
        draw(rec, window=(0.2, 0.1))
