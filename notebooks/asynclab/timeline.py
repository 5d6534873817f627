"""Record when asyncio code really runs and waits, and draw it as a timeline.

The recorder works on unmodified code.  ``measure()`` installs a task factory on
the running loop for as long as the measured coroutine runs.  Every task created
in that time (by ``gather``, ``create_task``, ``TaskGroup``...) has its
coroutine driven one *step* at a time by a thin wrapper, which notes the clock
before and after each step:

* a **step** (from resume to the next suspension) is time the task spent
  **running** Python code on the event loop's thread;
* the gap until the task is resumed again is time it spent **waiting**.

Within one task, the span is attributed to the innermost coroutine *of your
code* that is suspended (library frames from asyncio or site-packages are
skipped), so ``await fetch(1); await fetch(2)`` inside one task still shows two
lanes, one after the other.

A step that runs for longer than ``BLOCKING_THRESHOLD`` seconds kept every other
task from running: it is drawn as *blocked the loop*.  To stay truthful on a
busy machine, a long step counts as blocking only if the thread really did
something in it: used CPU time, or went to sleep by itself (``time.sleep``, a
blocking socket read).  A step that was merely pre-empted by the operating
system (other processes wanted the CPU) is not blamed on the code.

Recordings for threads or processes, which the loop cannot see, are built by
hand with :meth:`Recording.add` or :meth:`Recording.track`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import sysconfig
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Coroutine, Iterator, Literal, Sequence

__all__ = [
    "BLOCKING_THRESHOLD",
    "Recording",
    "Span",
    "draw",
    "measure",
    "show",
    "summary",
]

State = Literal["run", "wait"]

#: A single uninterrupted step longer than this (seconds) is reported as
#: blocking the event loop.  asyncio's own debug mode warns at 0.1 s; we flag
#: earlier because teaching examples use short waits.
BLOCKING_THRESHOLD = 0.05

clock = time.perf_counter  # CLOCK_MONOTONIC on Linux: comparable across processes


@dataclass(frozen=True)
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

    @property
    def duration(self) -> float:
        return self.end - self.start

    def blocks(self, threshold: float | None = None) -> bool:
        """True for a run span that held the loop longer than ``threshold``."""
        limit = BLOCKING_THRESHOLD if threshold is None else threshold
        if self.state != "run" or self.duration <= limit:
            return False
        if self.cpu is None or self.slept is None:
            return True
        return self.slept or self.cpu > limit / 2


@dataclass
class Recording:
    """Spans of several lanes, measured against one shared start time.

    ``title`` names the strategy ("sequential", "gather"...).  ``wall`` is the
    total wall-clock time of the measured code in seconds.  ``result`` holds the
    value the measured coroutine returned.  ``unfinished`` lists lanes whose
    tasks were still pending when the measured coroutine returned.
    """

    title: str
    t0: float = field(default_factory=clock)
    wall: float | None = None
    result: Any = None
    spans: list[Span] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)
    root_lane: str | None = None
    #: True when the lanes share one event loop's thread (what measure()
    #: records): only then can a long step "block the loop".  Set it to False
    #: for recordings of threads or processes, which have no loop to block.
    on_loop: bool = True
    error: BaseException | None = None
    pending: list[asyncio.Task] = field(default_factory=list, repr=False)
    #: Names of coroutines created but never awaited (filled by check.attempt).
    never_awaited: list[str] = field(default_factory=list)
    #: Every task the measured code created (not the measured task itself).
    tasks: list[asyncio.Task] = field(default_factory=list, repr=False)
    _lane_order: list[str] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- building ------------------------------------------------------------
    def add(self, lane: str, start: float, end: float, state: State = "run", *,
            cpu: float | None = None, slept: bool | None = None) -> Span:
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
        span = Span(lane, float(start), float(end), state, cpu, slept)
        with self._lock:
            if lane not in self._lane_order:
                self._lane_order.append(lane)
            self.spans.append(span)
        return span

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
        """Lane names in the order they first appeared."""
        return list(self._lane_order)

    @property
    def worker_lanes(self) -> list[str]:
        """Lanes other than the measured coroutine itself (if it has others)."""
        lanes = self.lanes
        others = [lane for lane in lanes if lane != self.root_lane]
        return others or lanes

    def spans_of(self, lane: str) -> list[Span]:
        return [s for s in self.spans if s.lane == lane]

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

    def max_overlap(self, state: State | None = None) -> int:
        """Most worker lanes that were active at the same instant.

        A lane is active from its first span to its last (``state=None``), or
        only inside spans of the given state.  Touching ends do not overlap.
        """
        events: list[tuple[float, int]] = []
        for lane in self.worker_lanes:
            if state is None:
                start, end = self.extent(lane)
                if end > start:
                    events += [(start, 1), (end, -1)]
            else:
                for s in merge(self.spans_of(lane), state):
                    events += [(s[0], 1), (s[1], -1)]
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

    def cancel_pending(self) -> int:
        """Cancel tasks that were still running when the measured code returned.

        Returns how many were cancelled.  Checks call this so that a learner's
        lost task never keeps running (or printing) after its cell."""
        count = 0
        for task in self.pending:
            if not task.done():
                task.cancel()
                count += 1
        return count

    def check_drawable(self) -> None:
        if not self.spans:
            raise ValueError(
                f"the recording {self.title!r} is empty: nothing ran inside it. "
                "Did the measured code create no tasks and await nothing?"
            )


def merge(spans: Sequence[Span], state: State) -> list[tuple[float, float]]:
    """Union of the intervals of ``spans`` in the given state, as sorted pairs."""
    out: list[list[float]] = []
    for s in sorted((s for s in spans if s.state == state), key=lambda s: s.start):
        if out and s.start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], s.end)
        else:
            out.append([s.start, s.end])
    return [(a, b) for a, b in out]


# --------------------------------------------------------------------------
# Recording asyncio tasks
# --------------------------------------------------------------------------
_LIBRARY_DIRS = tuple(
    {os.path.realpath(p) + os.sep for key in ("stdlib", "platstdlib", "purelib", "platlib")
     if (p := sysconfig.get_paths().get(key))}
)
_THIS_FILE = os.path.realpath(__file__)
# Checking machinery is not the learner's code either: a check that wraps the
# learner's coroutines must not take over their lanes.
_MACHINERY = (os.path.join(os.path.dirname(_THIS_FILE), "exercises") + os.sep,
              os.path.join(os.path.dirname(_THIS_FILE), "check.py"))
_DEFAULT_TASK_NAME = re.compile(r"^(Task-\d+|None)$")  # 3.13.0 may name tasks "None"


def _is_user_code(filename: str) -> bool:
    real = os.path.realpath(filename) if os.sep in filename else filename
    if real == _THIS_FILE or real.startswith(_MACHINERY):
        return False
    return not real.startswith(_LIBRARY_DIRS)


def _code_of(obj: Any):
    return getattr(obj, "cr_code", None) or getattr(obj, "gi_code", None) or getattr(obj, "ag_code", None)


def _awaiting(obj: Any) -> Any:
    for attr in ("cr_await", "gi_yieldfrom", "ag_await"):
        inner = getattr(obj, attr, None)
        if inner is not None:
            return inner
    return None


def _innermost_user(coro: Any) -> Any:
    """The innermost coroutine of user code in the chain ``coro`` is awaiting."""
    found = None
    node, depth = coro, 0
    while node is not None and depth < 100:
        code = _code_of(node)
        # comprehensions (<listcomp> on 3.11) are part of the function around them
        if code is not None and _is_user_code(code.co_filename) and not code.co_name.startswith("<"):
            found = node
        node, depth = _awaiting(node), depth + 1
    return found if found is not None else coro


class _Recorder:
    """Shared state of one ``measure()`` call."""

    def __init__(self, recording: Recording, root: Any) -> None:
        self.recording = recording
        self.root = root
        self.labels: dict[int, str] = {}
        self.keep: list[Any] = []  # keeps ids unique while recording
        self.counts: dict[str, int] = {}
        self.closed = False
        self.tasks: list[tuple[asyncio.Task, Any]] = []
        self.inner_of: dict[int, Any] = {}  # id(wrapper coroutine) -> learner's coroutine

    def label(self, coro: Any) -> str:
        key = id(coro)
        if key in self.labels:
            return self.labels[key]
        self.keep.append(coro)
        name = None
        if coro is self.root:
            name = getattr(coro, "__qualname__", "main")
        else:
            task = asyncio.current_task()
            if task is not None and not _DEFAULT_TASK_NAME.match(task.get_name()):
                if self.inner_of.get(id(task.get_coro())) is coro:
                    name = task.get_name()
            if name is None:
                name = _call_text(coro)
        base, n = name, 1
        taken = set(self.labels.values())
        while name in taken:
            n += 1
            name = f"{base} #{n}"
        self.labels[key] = name
        return name

    def add(self, coro: Any, start: float, end: float, state: State,
            usage: tuple[float, int] | None = None) -> None:
        if self.closed or end <= start:
            return
        extra = {}
        if usage is not None and _USAGE_BEFORE is not None:
            cpu0, switches0 = usage
            cpu1, switches1 = _thread_usage()
            extra = {"cpu": cpu1 - cpu0, "slept": switches1 > switches0}
        self.recording.add_absolute(self.label(coro), start, end, state, **extra)


def _call_text(coro: Any) -> str:
    """``fetch('a', 2)`` from a coroutine's name and arguments, if short."""
    name = getattr(coro, "__qualname__", None) or type(coro).__name__
    name = name.rsplit(".<locals>.", 1)[-1]
    code, frame = _code_of(coro), getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
    if code is None or frame is None:
        return name
    args = []
    for var in code.co_varnames[: code.co_argcount]:
        if var in ("self", "cls") or var not in frame.f_locals:
            continue
        value = frame.f_locals[var]
        text = repr(value) if isinstance(value, (int, float, str, bool)) or value is None else "…"
        args.append(text)
    call = f"{name}({', '.join(args)})"
    return call if len(call) <= 28 else name


def _thread_usage() -> tuple[float, int]:
    """(CPU seconds, voluntary context switches) of the calling thread."""
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime + usage.ru_stime, usage.ru_nvcsw


try:  # Linux: per-thread accounting, to tell real blocking from pre-emption
    import resource

    _USAGE_BEFORE: Any = _thread_usage
    _thread_usage()
except (ImportError, AttributeError, OSError):  # pragma: no cover - other systems
    _USAGE_BEFORE = None


def _before() -> tuple[float, int] | None:
    return _USAGE_BEFORE() if _USAGE_BEFORE is not None else None


def _drive(coro: Coroutine, rec: _Recorder):
    """Generator used as ``__await__``: run ``coro`` step by step, recording."""
    send_value: Any = None
    error: BaseException | None = None
    while True:
        before = _innermost_user(coro)
        if not rec.closed:
            rec.label(before)  # name it now, while its arguments can still be read
        usage = _before()
        start = clock()
        try:
            yielded = coro.send(send_value) if error is None else coro.throw(error)
        except StopIteration as stop:
            rec.add(before, start, clock(), "run", usage)
            return stop.value
        except BaseException:
            rec.add(before, start, clock(), "run", usage)
            raise
        paused = clock()
        owner = _innermost_user(coro)
        rec.add(owner, start, paused, "run", usage)
        try:
            send_value, error = (yield yielded), None
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # cancellation, or an error thrown in
            send_value, error = None, exc
        rec.add(owner, paused, clock(), "wait")


class _Traced:
    def __init__(self, coro: Coroutine, rec: _Recorder) -> None:
        self.coro, self.rec = coro, rec

    def __await__(self):
        return (yield from _drive(self.coro, self.rec))


def _wrap(coro: Coroutine, rec: _Recorder) -> Coroutine:
    async def traced():
        return await _Traced(coro, rec)

    wrapper = traced()
    # Task reprs show the learner's coroutine name, not "traced".
    wrapper_name = getattr(coro, "__qualname__", None)
    if wrapper_name:
        wrapper.__qualname__ = wrapper_name
        wrapper.__name__ = getattr(coro, "__name__", wrapper_name)
    rec.inner_of[id(wrapper)] = coro
    rec.keep.append(wrapper)
    return wrapper


_active: dict[int, _Recorder] = {}


async def measure(title: str, awaitable: Awaitable[Any], *, raise_errors: bool = True) -> Recording:
    """Run ``awaitable`` as a task and record every task it starts.

    >>> rec = await measure("gather", main())    # doctest: +SKIP
    >>> rec.result, rec.wall, rec.max_overlap()  # doctest: +SKIP

    Returns a :class:`Recording`.  If the measured code raises, the error is
    raised here, after recording has stopped and the loop is restored; with
    ``raise_errors=False`` it is kept in ``rec.error`` instead, so a check can
    explain it and still read the timeline.  Tasks still running at the end are
    in ``rec.pending`` (their lanes in ``rec.unfinished``).
    """
    if not isinstance(title, str):
        raise TypeError(f"measure() takes a title first, then a coroutine; got {type(title).__name__} as title")
    if asyncio.iscoroutinefunction(awaitable):
        raise TypeError(
            f"measure() got the coroutine function {awaitable.__qualname__!r} itself; "
            f"call it to get a coroutine: measure({title!r}, {awaitable.__name__}(...))"
        )
    if not asyncio.iscoroutine(awaitable):
        raise TypeError(
            f"measure() needs a coroutine object such as main(); got {type(awaitable).__name__}"
        )
    loop = asyncio.get_running_loop()
    if id(loop) in _active:
        awaitable.close()
        raise RuntimeError("measure() is already recording on this loop; measure one thing at a time")

    recording = Recording(title)
    recorder = _Recorder(recording, awaitable)
    previous = loop.get_task_factory()

    def factory(loop: asyncio.AbstractEventLoop, coro: Coroutine, **kwargs: Any) -> asyncio.Future:
        if recorder.closed or not asyncio.iscoroutine(coro):
            wrapped = coro
        elif coro is not recorder.root and not _is_user_code(_code_of(coro).co_filename if _code_of(coro) else ""):
            wrapped = coro  # a library's own task (e.g. aiohttp closing a connection): not a lane
        else:
            wrapped = _wrap(coro, recorder)
        if previous is not None:
            task = previous(loop, wrapped, **kwargs)
        else:
            task = asyncio.Task(wrapped, loop=loop, **kwargs)
        if wrapped is not coro:
            recorder.tasks.append((task, coro))
        return task

    _active[id(loop)] = recorder
    loop.set_task_factory(factory)
    try:
        recording.root_lane = recorder.label(awaitable)
        task = loop.create_task(awaitable)
        try:
            recording.result = await task
        except asyncio.CancelledError:
            task.cancel()
            raise
        except Exception as exc:
            if raise_errors:
                raise
            recording.error = exc
    finally:
        recording.finish()
        recorder.closed = True
        loop.set_task_factory(previous)
        del _active[id(loop)]
        recording.tasks = [t for t, _ in recorder.tasks[1:]]  # [0] is the measured task
        still = [(t, c) for t, c in recorder.tasks[1:] if not t.done()]
        recording.pending = [t for t, _ in still]
        recording.unfinished = [recorder.labels.get(id(c), _call_text(c)) for _, c in still]
    return recording


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------
def seconds(x: float) -> str:
    """The one format every timing in the course is printed in."""
    return f"{x:.2f} s"


def _root_drawn(rec: Recording) -> bool:
    """Whether the measured coroutine has a lane of its own next to its jobs."""
    lanes = rec.lanes
    return rec.root_lane in lanes and len(lanes) > 1


def summary(rec: Recording) -> str:
    """One line that says what the panel shows."""
    if not isinstance(rec, Recording):
        raise TypeError(f"summary() takes a Recording, got {type(rec).__name__}")
    rec.check_drawable()
    lanes = rec.worker_lanes
    overlap = rec.max_overlap()
    head = f"{rec.title}: {len(lanes)} lane{'s' if len(lanes) != 1 else ''}"
    if _root_drawn(rec):
        head += f" + {rec.root_lane}"  # the grey lane: the coroutine that started them
    parts = [head, f"wall {seconds(rec.total_wall)}"]
    if overlap <= 1:
        parts.append("one at a time")
    else:
        parts.append(f"up to {overlap} at once")
    blocked = rec.blocking_spans()
    if blocked:
        times = "once" if len(blocked) == 1 else f"{len(blocked)} times"
        parts.append(f"loop blocked {times}, {seconds(sum(s.duration for s in blocked))} in all")
    if rec.unfinished:
        parts.append(f"{len(rec.unfinished)} still running at the end")
    return ", ".join(parts)


def _check_recordings(recordings: Sequence[Any], who: str) -> list[Recording]:
    if not recordings:
        raise ValueError(f"{who}() needs at least one Recording (from `await measure(...)`), got none")
    out = []
    for r in recordings:
        if asyncio.iscoroutine(r):
            r.close()
            raise TypeError(f"{who}() got a coroutine, not a Recording: did you forget `await` before measure(...)?")
        if not isinstance(r, Recording):
            raise TypeError(f"{who}() takes Recording objects from measure(); got {type(r).__name__}")
        r.check_drawable()
        out.append(r)
    return out


# Okabe–Ito palette: distinguishable with the common colour-vision deficiencies.
LANE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442"]  # black is the legend's
BLOCKED_COLOUR = "#D55E00"
ROOT_COLOUR = "#888888"
LEGEND_COLOUR = "#333333"


def draw(*recordings: Recording, min_width: float = 0.004):
    """Draw recordings as stacked panels on a shared time axis; return the Figure.

    Running is solid, waiting is hatched and pale, a step that blocked the loop
    is vermilion with a cross-hatch.  Run spans narrower than ``min_width`` of
    the axis are widened to stay visible.
    """
    recs = _check_recordings(recordings, "draw")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    # at least a tenth of a second, so a run that took almost nothing looks like it
    longest = max(max(r.total_wall for r in recs), 0.1)
    heights = [max(len(r.lanes), 1) + 1.2 for r in recs]
    fig, axes = plt.subplots(
        len(recs), 1, sharex=True, squeeze=False,
        figsize=(9, 0.45 * sum(heights) + 0.9),
        gridspec_kw={"height_ratios": heights},
    )
    axis_min = longest * min_width
    for ax, rec in zip(axes[:, 0], recs):
        lanes, workers = rec.lanes, rec.worker_lanes
        if _root_drawn(rec):  # the grey lane on top, then the jobs in order of appearance
            lanes = [rec.root_lane] + [lane for lane in lanes if lane != rec.root_lane]
        for row, lane in enumerate(lanes):
            if lane in workers:  # the n-th job has the same colour in every panel
                colour = LANE_COLOURS[workers.index(lane) % len(LANE_COLOURS)]
            else:
                colour = ROOT_COLOUR  # the coroutine that started the others
            for s in rec.spans_of(lane):
                if s.state == "wait":
                    ax.barh(row, s.duration, left=s.start, height=0.6, color="white",
                            edgecolor=colour, hatch="///", linewidth=0.8)
            for s in rec.spans_of(lane):
                if s.state == "run":
                    blocked = rec.on_loop and s.blocks()
                    ax.barh(row, max(s.duration, axis_min), left=s.start, height=0.6,
                            color=BLOCKED_COLOUR if blocked else colour,
                            hatch="xx" if blocked else None, edgecolor="black" if blocked else colour,
                            linewidth=0.6)
        ax.set_yticks(range(len(lanes)), lanes)
        ax.set_ylim(len(lanes) - 0.4, -0.6)
        ax.set_title(f"{rec.title} — total {seconds(rec.total_wall)}", loc="left", fontsize=11)
        ax.axvline(rec.total_wall, color="grey", linestyle=":", linewidth=1)
        ax.grid(axis="x", alpha=0.3)
    last = axes[-1, 0]
    last.set_xlim(0, longest * 1.03)
    last.set_xlabel("seconds since start")
    # Legend swatches are neutral: the colour of a lane only says which job it is.
    handles = [
        Patch(facecolor=LEGEND_COLOUR, edgecolor=LEGEND_COLOUR, label="running Python code"),
        Patch(facecolor="white", edgecolor=LEGEND_COLOUR, hatch="///", label="waiting at an await"),
    ]
    if any(_root_drawn(r) for r in recs):
        handles.append(Patch(facecolor="white", edgecolor=ROOT_COLOUR, hatch="///",
                             label="grey: the coroutine that started the others"))
    if any(r.blocking_spans() for r in recs):
        handles.append(Patch(facecolor=BLOCKED_COLOUR, edgecolor="black", hatch="xx",
                             label=f"blocked the loop (> {BLOCKING_THRESHOLD * 1000:.0f} ms)"))
    columns = len(handles) if len(handles) <= 3 else 2
    rows = math.ceil(len(handles) / columns)
    fig.legend(handles=handles, loc="upper center", ncol=columns, frameon=False,
               bbox_to_anchor=(0.5, 1.0), fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 1 - (0.15 + 0.25 * rows) / fig.get_figheight()))  # room for the legend
    return fig


def show(*recordings: Recording, save: str | os.PathLike | None = None, compare: bool = True) -> None:
    """Print one summary line per panel, then draw and display the figure.

    With two or more recordings (and ``compare=True``), also prints each one's
    time relative to the first.  Pass ``compare=False`` when a shorter run is
    not a faster one (it gave up, or did less).  ``save`` writes a PNG too.
    """
    recs = _check_recordings(recordings, "show")
    import matplotlib.pyplot as plt

    for rec in recs:
        print(summary(rec))
    if compare and len(recs) > 1:
        base = recs[0]
        for rec in recs[1:]:
            if rec.total_wall > 0 and base.total_wall > 0:
                # one wording whichever is faster, so the text is the same on every run
                print(f"{rec.title} took {rec.total_wall / base.total_wall:.0%} of the time of {base.title}: "
                      f"speed-up {base.total_wall / rec.total_wall:.1f}×")
    fig = draw(*recs)
    if save is not None:
        fig.savefig(save, dpi=110)
    plt.show()
