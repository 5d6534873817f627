"""What a timeline is made of: spans on lanes, and what is known about each lane.

A :class:`Recording` is plain data.  :func:`asynclab.recorder.measure` fills one
from a real run of asyncio code; recordings of threads or processes, which no
event loop can see, are built by hand with :meth:`Recording.add` or
:meth:`Recording.track`.  Drawing lives in :mod:`asynclab.timeline`.

Vocabulary
----------
* A **lane** is one asyncio *task* (or one thread / process in a hand-made
  recording): the unit that can overlap with others.
* A **span** is one interval on a lane: ``"run"`` (Python code of that task was
  executing on the loop's thread) or ``"wait"`` (the task was suspended at an
  ``await``).  A wait span says what it waited for (:data:`WAIT_REASONS`).
* A **segment** is the innermost coroutine *of the learner's code* that a span
  belongs to, so ``await job(1); await job(2)`` inside one task shows as two
  labelled segments of one lane: sequence, never concurrency.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Literal, Sequence

__all__ = ["BLOCKING_THRESHOLD", "LaneInfo", "Recording", "Span", "WAIT_REASONS", "merge", "seconds"]

State = Literal["run", "wait"]

#: A single uninterrupted step longer than this (seconds) is reported as
#: blocking the event loop.  asyncio's own debug mode warns at 0.1 s; we flag
#: earlier because teaching examples use short waits.
BLOCKING_THRESHOLD = 0.05

#: What a wait span can be waiting for, with the words the summaries use.
WAIT_REASONS = {
    "timer": "a timer (asyncio.sleep)",
    "io": "I/O (network, pipe, subprocess)",
    "thread": "a thread or process pool",
    "task": "another task",
    "lock": "a Lock",
    "semaphore": "a Semaphore",
    "event": "an Event",
    "condition": "a Condition",
    "barrier": "a Barrier",
    "queue": "a Queue",
    "future": "a Future",
    "yield": "its turn on the loop (sleep(0), or not started yet)",
}
#: Waits for a synchronisation primitive: the task is queueing for its turn,
#: not doing I/O.  ``max_overlap(..., reasons=...)`` can leave them out.
SYNC_REASONS = frozenset({"lock", "semaphore", "event", "condition", "barrier", "queue"})

clock = time.perf_counter  # CLOCK_MONOTONIC on Linux: comparable across processes


def seconds(x: float) -> str:
    """The one format every timing in the course is printed in."""
    return f"{x:.2f} s"


@dataclass(slots=True)
class Span:
    """One interval on one lane, in seconds since the recording started."""

    lane: str
    start: float
    end: float
    state: State
    #: CPU seconds the thread used in this step (None: not measured).
    cpu: float | None = None
    #: Whether the thread gave up the CPU by itself during the step, as
    #: ``time.sleep`` or a blocking read do (None: not measured).
    slept: bool | None = None
    #: The learner's coroutine this span belongs to (None: the lane's own).
    segment: str | None = None
    #: For a wait: what it waited for, a key of :data:`WAIT_REASONS`.
    reason: str | None = None
    #: For a long run span: the function and line that were executing,
    #: e.g. ``"main, line 3: time.sleep(0.3)"``.
    where: str | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def label(self) -> str:
        """The segment's name, or the lane's when the span is the lane's own."""
        return self.segment or self.lane

    def blocks(self, threshold: float | None = None) -> bool:
        """True for a run span that held the loop longer than ``threshold``."""
        limit = BLOCKING_THRESHOLD if threshold is None else threshold
        if self.state != "run" or self.duration <= limit:
            return False
        if self.cpu is None or self.slept is None:
            return True
        return self.slept or self.cpu > limit / 2


@dataclass
class LaneInfo:
    """What is known about one lane (one task) besides its spans."""

    name: str
    #: "root" (the measured coroutine), "task", or "thread" / "process" for
    #: hand-made lanes.
    kind: str = "task"
    #: What the task runs, e.g. ``"fetch"`` or ``"to_thread"``.
    runs: str = ""
    #: asyncio's name for the task (``Task-7`` unless the code named it).
    task_name: str | None = None
    #: "returned", "raised", "cancelled", "running" (still pending when the
    #: measured coroutine returned), or "destroyed" (garbage-collected while
    #: still pending).
    outcome: str = "returned"
    #: For "raised": the exception as ``"ValueError: bad"``.
    error: str | None = None
    #: Seconds since the start when the task finished (None: not finished).
    ended: float | None = None
    #: For a task still running at the return: how it ended in the grace
    #: period watched after it (None: still running then too).
    later: str | None = None
    #: A weak reference to the task (None for hand-made lanes): which lane is
    #: which task, even when two tasks carry the same name.
    ref: Any = field(default=None, repr=False, compare=False)


_BUILT_LATER = ("spans", "info", "deadlines", "deadlines_not_reached", "left_out", "_lane_order", "_tasks")


@dataclass
class Recording:
    """Spans of several lanes, measured against one shared start time.

    ``title`` names the strategy ("sequential", "gather"...).  ``wall`` is the
    total wall-clock time of the measured code in seconds.  ``result`` holds the
    value the measured coroutine returned, ``error`` the exception it raised
    (with ``measure(..., raise_errors=False)``).
    """

    title: str
    t0: float = field(default_factory=clock)
    wall: float | None = None
    result: Any = None
    spans: list[Span] = field(default_factory=list)
    root_lane: str | None = None
    #: True when the lanes share one event loop's thread (what measure()
    #: records): only then can a long step "block the loop".  Set it to False
    #: for recordings of threads or processes, which have no loop to block.
    on_loop: bool = True
    error: BaseException | None = None
    #: Names of coroutines created but never awaited (filled by check.attempt).
    never_awaited: list[str] = field(default_factory=list)
    #: Lane name -> what is known about it.
    info: dict[str, LaneInfo] = field(default_factory=dict)
    #: ``asyncio.timeout`` deadlines that expired: (seconds since start, lane).
    deadlines: list[tuple[float, str]] = field(default_factory=list)
    #: ``asyncio.timeout`` deadlines the block finished before (or that were moved
    #: with ``reschedule``): (seconds since start the deadline was at, lane).
    deadlines_not_reached: list[tuple[float, str]] = field(default_factory=list)
    #: Tasks of third-party libraries (e.g. aiohttp's own) that ran during the
    #: measurement and get no lane: what they ran -> how many.
    left_out: dict[str, int] = field(default_factory=dict)
    _lane_order: dict[str, list[Span]] = field(default_factory=dict, repr=False)  # lane -> its spans, in order
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _tasks: list[Any] = field(default_factory=list, repr=False)  # weak references
    _refresh: Any = field(default=None, repr=False)  # brings in the grace period (measure)

    # -- built when first read (measure() hands the spans over lazily) ---------
    def _build_later(self, build: Any) -> None:
        """The spans, lane facts and deadlines come from ``build()`` when one of
        them is first read: ``measure()`` returns at once, and the building is
        paid by the first drawing or check, outside the measured time."""
        for name in _BUILT_LATER:
            self.__dict__.pop(name, None)
        self.__dict__["_builder"] = build

    def _build_pending(self) -> bool:
        return "_builder" in self.__dict__

    def __getattr__(self, name: str) -> Any:  # only called for attributes not set
        state = self.__dict__
        builder = state.get("_builder")
        if builder is not None and name in _BUILT_LATER:
            del state["_builder"]
            state.update(spans=[], info={}, deadlines=[], deadlines_not_reached=[], left_out={}, _lane_order={},
                         _tasks=[])
            builder()
            return state[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def refresh(self) -> "Recording":
        """Add what tasks still running at the return did since (drawing calls this)."""
        if self._refresh is not None:
            self._refresh()
        return self

    # -- building ------------------------------------------------------------
    def add(self, lane: str, start: float, end: float, state: State = "run", **extra: Any) -> Span:
        """Add a span given in seconds *since* ``t0`` and return it.

        Raises ``ValueError`` when the span ends before it starts, or when the
        state is neither ``"run"`` nor ``"wait"``.
        """
        if state not in ("run", "wait"):
            raise ValueError(f"state must be 'run' or 'wait', not {state!r}")
        if not isinstance(lane, str) or not lane:
            raise ValueError(f"lane must be a non-empty string, not {lane!r}")
        if not (math.isfinite(start) and math.isfinite(end)):
            raise ValueError(f"span {lane!r} has a start or end that is not a finite number: {start}, {end}")
        if end < start:
            raise ValueError(
                f"span {lane!r} ends before it starts (start={start:.3f} s, end={end:.3f} s); "
                "pass times in seconds since the recording's t0, start first"
            )
        reason = extra.get("reason")
        if reason is not None and reason not in WAIT_REASONS:
            raise ValueError(f"reason must be one of {sorted(WAIT_REASONS)}, not {reason!r}")
        span = Span(lane, float(start), float(end), state, **extra)
        with self._lock:
            self._lane_order.setdefault(lane, []).append(span)
            self.spans.append(span)
        return span

    def _extend(self, lane: str, spans: list[Span]) -> None:
        """Add many spans of one lane, already checked (the recorder's fast path)."""
        with self._lock:
            self._lane_order.setdefault(lane, []).extend(spans)
            self.spans.extend(spans)

    def add_absolute(self, lane: str, start: float, end: float, state: State = "run", **extra: Any) -> Span:
        """Add a span given as raw ``time.perf_counter()`` readings."""
        return self.add(lane, start - self.t0, end - self.t0, state, **extra)

    @contextlib.contextmanager
    def track(self, lane: str, state: State = "run") -> Iterator[None]:
        """Record the body of a ``with`` block as one span (usable from any thread).

        ``with rec.track("worker-1"): time.sleep(0.2)`` adds a 0.2 s span.
        """
        start = clock()
        try:
            yield
        finally:
            self.add_absolute(lane, start, clock(), state)

    def finish(self, wall: float | None = None) -> "Recording":
        """Fix the wall time (default: now minus ``t0``) and return ``self``."""
        self.wall = (clock() - self.t0) if wall is None else wall
        return self

    # -- reading -------------------------------------------------------------
    @property
    def lanes(self) -> list[str]:
        """Lane names in the order they first appeared (the measured coroutine first)."""
        return list(self._lane_order)

    @property
    def worker_lanes(self) -> list[str]:
        """Lanes other than the measured coroutine itself (if it has others)."""
        lanes = self.lanes
        others = [lane for lane in lanes if lane != self.root_lane]
        return others or lanes

    @property
    def jobs(self) -> list[str]:
        """The pieces of work: the worker tasks, or, when the measured coroutine
        did everything itself, the coroutines it awaited one after another."""
        others = [lane for lane in self.lanes if lane != self.root_lane]
        if others:
            return others
        segments = self.segments(self.root_lane) if self.root_lane in self.lanes else []
        return [label for label in segments if label != self.root_lane] or self.lanes

    def segments(self, lane: str) -> list[str]:
        """Labels of the segments of one lane, in order of first appearance."""
        seen: dict[str, None] = {}
        for s in self.spans_of(lane):
            seen.setdefault(s.label, None)
        return list(seen)

    def rows(self) -> list[tuple[str, str]]:
        """(lane, label) pairs, one per row of a drawing: a lane whose time
        went to coroutines it awaited one after another gets one row each."""
        out: list[tuple[str, str]] = []
        for lane in self.lanes:
            labels = self.segments(lane)
            inner = [label for label in labels if label != lane]
            if inner and lane == self.root_lane:
                out.append((lane, lane))
                out += [(lane, label) for label in inner]
            else:
                out.append((lane, lane))
        return out

    def spans_of(self, lane: str) -> list[Span]:
        return list(self._lane_order.get(lane, ()))

    def _clear(self) -> None:
        with self._lock:
            self.spans.clear()
            self._lane_order.clear()

    def extent(self, lane: str) -> tuple[float, float]:
        """(first start, last end) of a lane."""
        spans = self.spans_of(lane)
        if not spans:
            raise KeyError(f"no lane called {lane!r}; lanes are {self.lanes}")
        return min(s.start for s in spans), max(s.end for s in spans)

    @property
    def total_wall(self) -> float:
        if self.wall is not None:
            return self.wall
        return max((s.end for s in self.spans), default=0.0)

    def outcome(self, lane: str) -> str:
        """How the lane's task ended (see :class:`LaneInfo`)."""
        info = self.info.get(lane)
        if info is not None:
            return info.outcome
        if lane not in self._lane_order:
            raise KeyError(f"no lane called {lane!r}; lanes are {self.lanes}")
        return "returned"

    @property
    def unfinished(self) -> list[str]:
        """Lanes whose tasks were still pending when the measured coroutine returned."""
        return [lane for lane in self.lanes if self.outcome(lane) in ("running", "destroyed")
                and lane != self.root_lane]

    @unfinished.setter
    def unfinished(self, lanes: Sequence[str]) -> None:
        """For hand-made recordings: mark these lanes as still running at the end."""
        for lane in self.lanes:
            info = self.info.get(lane)
            if lane in lanes:
                if info is None:
                    self.info[lane] = LaneInfo(lane, outcome="running")
                else:
                    info.outcome = "running"
            elif info is not None and info.outcome == "running":
                info.outcome = "returned"

    @property
    def tasks(self) -> list[Any]:
        """The tasks the measured code created that still exist (not the measured
        coroutine's own).  Only weak references are kept, so a recording never
        keeps a task alive."""
        return [t for t in (ref() for ref in self._tasks) if t is not None]

    def lane_of(self, task: Any) -> str | None:
        """The lane of ``task`` (None if it has none): matched by identity, not by name."""
        for lane, info in self.info.items():
            if info.ref is not None and info.ref() is task:
                return lane
        return None

    @property
    def pending(self) -> list[Any]:
        """Those of :attr:`tasks` that are not done yet."""
        return [t for t in self.tasks if not t.done()]

    def max_overlap(self, state: State | None = None, *, reasons: Sequence[str] | None = None,
                    exclude: Sequence[str] = ()) -> int:
        """Most worker lanes that were active at the same instant.

        A lane is active from its first span to its last (``state=None``), or
        only inside spans of the given state; ``reasons`` keeps only waits for
        those reasons, ``exclude`` drops waits for these (e.g.
        :data:`SYNC_REASONS`: queueing for a Semaphore is not concurrent I/O).
        Touching ends do not overlap.
        """
        events: list[tuple[float, int]] = []
        for lane in self.worker_lanes:
            if state is None and reasons is None and not exclude:
                start, end = self.extent(lane)
                if end > start:
                    events += [(start, 1), (end, -1)]
            else:
                spans = [s for s in self.spans_of(lane)
                         if (state is None or s.state == state)
                         and (reasons is None or s.reason in reasons)
                         and s.reason not in exclude]
                for a, b in merge(spans, state):
                    events += [(a, 1), (b, -1)]
        best = current = 0
        for _, delta in sorted(events):  # at equal times, -1 sorts before +1
            current += delta
            best = max(best, current)
        return best

    def busy(self) -> float:
        """Seconds during which some lane was running (union of run spans)."""
        return sum(end - start for start, end in merge(self.spans, "run"))

    def longest_step(self) -> float:
        return max((s.duration for s in self.spans if s.state == "run"), default=0.0)

    def blocking_spans(self, threshold: float | None = None) -> list[Span]:
        """Run spans longer than ``threshold`` (default ``BLOCKING_THRESHOLD``)."""
        if not self.on_loop:
            return []
        limit = BLOCKING_THRESHOLD if threshold is None else threshold
        return [s for s in self.spans if s.blocks(limit)]

    def waits_for(self, lane: str | None = None) -> dict[str, float]:
        """Seconds of waiting per reason, for one lane or all worker lanes."""
        lanes = [lane] if lane is not None else self.worker_lanes
        out: dict[str, float] = {}
        for name in lanes:
            for s in self.spans_of(name):
                if s.state == "wait" and s.reason:
                    out[s.reason] = out.get(s.reason, 0.0) + s.duration
        return out

    def subset(self, lanes: Sequence[str], *, title: str | None = None,
               rename: Any = None) -> "Recording":
        """A copy holding only ``lanes`` (in that order), with the same wall
        time, result, outcomes and deadlines; ``rename(lane) -> str`` may give
        lanes new names (lanes renamed alike are merged).  For pictures of a
        few lanes out of many, or lanes named by what they worked on."""
        new = rename or (lambda lane: lane)
        copy = Recording(self.title if title is None else title, t0=self.t0, wall=self.wall, result=self.result,
                         on_loop=self.on_loop, error=self.error, never_awaited=list(self.never_awaited),
                         left_out=dict(self.left_out))
        keep = [lane for lane in lanes if lane in self._lane_order]
        copy.root_lane = new(self.root_lane) if self.root_lane in keep else None
        for lane in keep:
            name = new(lane)
            spans = [Span(name, s.start, s.end, s.state, s.cpu, s.slept,
                          s.segment if s.segment is None or rename is None else new(s.segment), s.reason, s.where)
                     for s in self._lane_order[lane]]
            copy._extend(name, spans)
            if lane in self.info:
                info = self.info[lane]
                copy.info[name] = LaneInfo(name, info.kind, info.runs, info.task_name, info.outcome,
                                           info.error, info.ended, info.later, info.ref)
        copy.deadlines = [(t, new(lane)) for t, lane in self.deadlines]
        copy.deadlines_not_reached = [(t, new(lane)) for t, lane in self.deadlines_not_reached]
        copy._tasks = list(self._tasks)
        return copy

    def cancel_pending(self) -> int:
        """Cancel tasks that were still running when the measured code returned.

        Returns how many were cancelled."""
        count = 0
        for task in self.pending:
            task.cancel()
            count += 1
        return count

    def check_drawable(self) -> None:
        if not self.spans:
            raise ValueError(
                f"the recording {self.title!r} is empty: nothing ran inside it. "
                "Did the measured code create no tasks and await nothing?"
            )


def merge(spans: Sequence[Span], state: State | None) -> list[tuple[float, float]]:
    """Union of the intervals of ``spans`` in the given state (None: any), as sorted pairs."""
    out: list[list[float]] = []
    for s in sorted((s for s in spans if state is None or s.state == state), key=lambda s: s.start):
        if out and s.start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], s.end)
        else:
            out.append([s.start, s.end])
    return [(a, b) for a, b in out]
