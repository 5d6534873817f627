"""Record what asyncio code really does, without changing what it does.

``rec = await measure("gather", main())`` behaves as ``await main()``: the
coroutine runs *in the caller's own task*, unwrapped, so its output, return
value, exceptions (``KeyboardInterrupt`` and ``SystemExit`` included),
context-variable changes, warnings, task names, tracebacks, ``get_stack()``
and the garbage-collection fate of its tasks are the ones it would have had.

How it observes instead of wrapping
-----------------------------------
Everything an event loop runs is a :class:`asyncio.Handle`: each *step* of a
task (from one resume to the next suspension) is one ``Handle._run()`` call
whose callback is bound to the task.  asyncio's own debug mode times these
calls to find slow callbacks; the recorder does the same, for as long as a
measurement is open, by swapping ``Handle._run`` for a function that reads the
clock around the original.  It does not touch the task, its coroutine or the
value passing through, so nothing the code can see changes.  After each step
it reads, without calling anything of the code's:

* which task ran (the handle's callback is bound to it) and whether it belongs
  to this measurement (a context variable set in the caller's context is
  inherited by every task the measured code creates, and only by those);
* where the task is suspended: it follows the ``cr_await`` chain from the
  task's coroutine down to what it awaits.  The innermost coroutine of the
  learner's code names the *segment* (``await job(1); await job(2)`` in one
  task: two segments of one lane, never two lanes), and the innermost
  awaitable says what the wait is for (a timer, a Lock, a Queue, another task,
  a thread pool, I/O...);
* how a finished task ended (returned, raised, cancelled), from its state,
  without retrieving its exception (so "exception was never retrieved" still
  appears exactly when it would).

Tasks are held only through weak references, so a task the code loses is
still destroyed ("Task was destroyed but it is pending!") as it would be.

A step longer than ``BLOCKING_THRESHOLD`` blocked the loop.  To blame the line
that ran and not the coroutine that happened to pause next, a sampling thread
looks at the loop thread's stack (``sys._current_frames()``) while a step is
long, and reads that thread's CPU clock and context-switch count: a long step
counts as blocking only if the thread used the CPU or went to sleep by itself
(``time.sleep``), not when the operating system merely pre-empted it.  The
sampler only runs while a measurement is open and only reads.

The observer exists twice, with one set of rules.  ``_observed_run`` below is
the rules, in Python.  ``_fastrun.c`` is the same observer compiled (``python -m
asynclab.accelerate``; ``course.py setup`` and Binder's postBuild run it): it
does exactly what ``_observed_run`` does for the common cases (asyncio's own
trivial callbacks, a loop nobody measures, a measured task's step that ends
waiting in one of asyncio's coroutines, only yields or returns, the record of
a task labelled by its function alone, the look at each cancelled timer) and
calls the Python helpers here for every other case, so nothing is decided in
two places.  It is
used when it was built from the ``_fastrun.c`` beside it (a stale build is
ignored) and ``ASYNCLAB_PURE_PYTHON`` is not set; ``tests/test_observers.py``
checks that both record the same, and the corpus runs under both.  Being C, it
adds no frame to a task's stack.

Costs and limits, honestly: one call per loop callback while recording (see
``benchmarks/recorder_overhead.py``: for 10,000 tasks, about a fifth more
machine instructions than the program itself with the compiled observer, two
fifths more with the Python one); the log is turned into spans only
when the recording is first read (a drawing, a check, ``max_overlap()``), so
that work is never inside the measured time; a learner's own task factory (e.g.
``asyncio.eager_task_factory``) stays in charge, wrapped for the duration only
so that eager first steps are seen, and whatever factory the code installs is
what stays installed; the sampler thread exists (in ``sys._current_frames()``,
not in ``threading.enumerate()``) while a measurement runs; the one context
variable that marks the measurement's tasks is visible to ``copy_context()``
inside the measured code (and gone afterwards); to see the ``asyncio.timeout``
deadlines a block beats (their timers are cancelled, never run), the loop's
``_timer_handle_cancelled`` (which asyncio calls whenever a timer is cancelled)
is shadowed by an instance attribute that notes a timeout's deadline and calls
the loop's own, while the watch is open; with the Python observer, a thread's full stack
(``traceback.print_stack()``) shows the one ``_observed_run`` frame under the loop's own
frames (the compiled one shows none); tracebacks
in IPython hide ``measure``'s frame (``__tracebackhide__``), while
``asyncio.capture_call_graph()`` (3.14) from inside the measured coroutine
lists ``measure`` among the frames awaiting it, as the cell did await it.  Only loops that
run ``asyncio.Handle`` objects are observed (uvloop is not).
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import functools
import gc
import inspect
import linecache
import os
import sys
import sysconfig
import _thread
import threading
import time
import types
import weakref
from typing import Any, Awaitable

from .recording import BLOCKING_THRESHOLD, LaneInfo, Recording, Span, clock

__all__ = ["measure"]

_ORIGINAL_RUN = asyncio.events.Handle._run
_OWNER: contextvars.ContextVar = contextvars.ContextVar("asynclab_measure")
_SAMPLE_EVERY = 0.005  # seconds between looks at a long step
_IDLE_EVERY = 0.02  # between looks while no step has been long: each look takes the GIL from the loop

# --------------------------------------------------------------------------
# Whose code is it?
# --------------------------------------------------------------------------
_ASYNCIO_DIR = os.path.dirname(os.path.realpath(asyncio.__file__)) + os.sep
_LIBRARY_DIRS = tuple(
    {os.path.realpath(p) + os.sep for key in ("stdlib", "platstdlib", "purelib", "platlib")
     if (p := sysconfig.get_paths().get(key))}
)
_HERE = os.path.dirname(os.path.realpath(__file__)) + os.sep
# The course's machinery is not the learner's code: a check that drives the
# learner's coroutines must not take over their segments.
_MACHINERY = tuple(_HERE + name for name in ("recorder.py", "recording.py", "timeline.py", "check.py", "exercises" + os.sep))
# What the recorder knows of each code object, looked up by ``id(code)``: hashing
# a code object hashes its bytecode and constants (about 0.2 µs, every time),
# an id is free.  The entry holds the code object itself, so its id stays its own.
_CODES: dict[int, "_CodeInfo"] = {}


class _CodeInfo:
    __slots__ = ("code", "origin", "user", "segment", "named", "reasons", "runs", "fixed", "profile")

    def __init__(self, code: Any) -> None:
        self.code = code
        name = code.co_filename
        real = os.path.realpath(name) if os.sep in name else name
        if real.startswith(_ASYNCIO_DIR):
            origin = "asyncio"
        elif name.startswith("<frozen"):  # the standard library's frozen modules (runpy, importlib)
            origin = "library"
        elif real.startswith(_MACHINERY):
            origin = "course"
        elif real.startswith(_LIBRARY_DIRS):
            origin = "library"
        else:
            origin = "user"
        self.origin = origin  # "user" | "asyncio" | "library" | "course"
        self.user = origin == "user"  # written by the learner?
        # can it name a segment? the learner's, not a comprehension (<listcomp> on 3.11)
        self.segment = self.user and code.co_name[:1] != "<"
        self.named = _named_reason(code, origin)  # the reason its name gives (asyncio's own code)
        self.reasons: dict[type, str] = {}  # type of the awaited future -> what a task paused here waits for
        self.runs = code.co_qualname.rsplit(".<locals>.", 1)[-1]
        self.profile = self.runs + "(…)"  # the label of a task beyond the first few of its function
        # asyncio's own code that says by its name what a task paused in it waits for, whatever it awaits
        self.fixed = _BY_NAME.get(code.co_qualname) if origin == "asyncio" else None


def _code_info(code: Any) -> _CodeInfo:
    info = _CODES.get(id(code))
    if info is None:
        info = _CODES[id(code)] = _CodeInfo(code)
    return info


def _origin(code: Any) -> str:
    return _code_info(code).origin


def _is_user(code: Any) -> bool:
    return _code_info(code).user


def _code_of(obj: Any) -> Any:
    return getattr(obj, "cr_code", None) or getattr(obj, "gi_code", None) or getattr(obj, "ag_code", None)


# --------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------


def _short(value: Any) -> str:
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 16 else repr(value[:13] + "...")
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    if isinstance(name, str) and callable(value):
        return name.rsplit(".<locals>.", 1)[-1]
    return "…"


def _call_text(coro: Any) -> str:
    """``fetch('a', 2)`` from a coroutine's name and arguments, if short."""
    code = _code_of(coro)
    name = getattr(coro, "__qualname__", None) or (code.co_qualname if code else type(coro).__name__)
    name = name.rsplit(".<locals>.", 1)[-1]
    frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
    if code is None:
        return name
    if frame is None:  # finished or closed: its arguments are gone
        return f"{name}()" if code.co_argcount == 0 else name
    try:
        local = frame.f_locals
    except Exception:  # pragma: no cover - a frame we cannot read
        return name
    args = [_short(local[var]) for var in code.co_varnames[: code.co_argcount]
            if var not in ("self", "cls") and var in local]
    while args and args[-1] == "None":  # sleep(0.1), not sleep(0.1, None)
        args.pop()
    call = f"{name}({', '.join(args)})"
    return call if len(call) <= 32 else name


# --------------------------------------------------------------------------
# What is a suspended task waiting for?
# --------------------------------------------------------------------------
_BY_NAME = {
    "sleep": "timer",
    "Lock.acquire": "lock",
    "Semaphore.acquire": "semaphore",
    "BoundedSemaphore.acquire": "semaphore",
    "Event.wait": "event",
    "Condition.wait": "condition",
    "Condition.wait_for": "condition",
    "Barrier.wait": "barrier", "Barrier._block": "barrier", "Barrier._wait": "barrier",
    "Barrier.__aenter__": "barrier",
    "Queue.get": "queue", "Queue.put": "queue", "Queue.join": "queue",
    "to_thread": "thread",
    "wait": "task", "_wait": "task", "wait_for": "task", "shield": "task",
    "TaskGroup.__aexit__": "task", "TaskGroup._aexit": "task",
    "as_completed.<locals>._wait_for_one": "task",
    "_AsCompletedIterator._wait_for_one": "task",
}
_IO_PREFIXES = ("StreamReader.", "StreamWriter.", "FlowControlMixin.", "Process.", "BaseEventLoop.",
                "BaseSelectorEventLoop.", "_UnixSelectorEventLoop.", "open_connection", "start_server",
                "create_subprocess", "staggered_race")


def _named_reason(code: Any, origin: str) -> str | None:
    if origin != "asyncio":
        return None
    name = code.co_qualname
    if name in _BY_NAME:
        return _BY_NAME[name]
    return "io" if name.startswith(_IO_PREFIXES) else None


def _reason(info: "_CodeInfo | None", fut: Any) -> str:
    """What a task paused in the code of ``info``, with ``fut`` as its waiter, waits for."""
    if fut is None:
        return "yield"
    kind = type(fut)
    if info is not None:
        found = info.reasons.get(kind)
        if found is not None:
            return found
    cacheable = True
    origin = info.origin if info is not None else "user"
    name = info.code.co_qualname if info is not None else ""
    if origin == "asyncio" and name in _BY_NAME:
        found = _BY_NAME[name]
    elif origin == "asyncio" and name.startswith(_IO_PREFIXES):
        found = "io"
    elif isinstance(fut, asyncio.Task) or kind.__name__ == "_GatheringFuture":
        found = "task"
    elif origin in ("library", "course"):
        found = "io"  # a third-party client (aiohttp...) waiting on its socket
    else:
        cacheable = False  # a plain Future: who completes it decides
        callbacks = getattr(fut, "_callbacks", None) or ()
        found = "future"
        for callback in callbacks:
            func = callback[0] if isinstance(callback, tuple) else callback
            if getattr(func, "__name__", "") == "_call_check_cancel":  # futures.wrap_future
                found = "thread"
                break
    if cacheable and info is not None:
        info.reasons[kind] = found
    return found


# --------------------------------------------------------------------------
# Per-task and per-measurement state
# --------------------------------------------------------------------------
_LABELS_WITH_ARGUMENTS = 64  # per coroutine function and measurement; beyond, named by function only


def _gone(_ref: Any) -> None:
    pass


class _TaskRecord:
    """What the recorder knows about one task; holds it only weakly."""

    __slots__ = ("ref", "base", "runs", "task_name", "origin", "seg_ref", "seg_label", "index",
                 "done_at", "done_state", "error", "owner", "__weakref__")

    def __init__(self, task: Any, labelled: dict, owner: "_Session | None" = None) -> None:
        # a task found dead, never seen done, was destroyed.  The callback does
        # nothing, but without one a lost task outlived gc.collect() on 3.15 in
        # most runs of test_a_lost_task_is_still_destroyed_by_the_garbage_collector
        self.ref = weakref.ref(task, _gone)
        self.index = -1  # its number in the watch's rec_list
        self.owner = owner  # the measurement whose code created it (None: outside any)
        coro = task._coro if type(task) is _C_TASK else task.get_coro()  # a subclass may show another
        code = coro.cr_code if type(coro) is _CORO else _code_of(coro)
        info = _CODES.get(id(code))
        if info is None and code is not None:
            info = _code_info(code)
        name = task.get_name()
        self.task_name = name
        runs = getattr(coro, "__qualname__", None)
        if info is not None:
            self.origin = info.origin
            # the function's name, unless a decorator gave the coroutine another
            same = runs is None or runs is info.code.co_qualname or runs == info.code.co_qualname
            self.runs = runs = info.runs if same else runs.rsplit(".<locals>.", 1)[-1]
        else:
            self.origin = "asyncio"
            self.runs = runs = (runs or type(coro).__name__).rsplit(".<locals>.", 1)[-1]
            same = False
        if not (name.startswith("Task-") or name == "None"):  # a name the code gave it
            self.base = name
        else:
            seen = labelled.get(id(code), 0)
            if seen < _LABELS_WITH_ARGUMENTS:
                labelled[id(code)] = seen + 1
                self.base = _call_text(coro)
            else:  # thousands of tasks are drawn as a profile: reading their arguments would cost more than it tells
                self.base = info.profile if same else runs + "(…)"
        self.seg_ref: Any = None
        self.seg_label: str | None = None
        self.done_at: float | None = None
        self.done_state: str | None = None
        self.error: str | None = None

    def note_done(self, task: Any, when: float) -> None:
        self.done_at = when
        if task.cancelled():
            self.done_state = "cancelled"
        else:
            exc = getattr(task, "_exception", None)  # read, not retrieved
            if exc is not None:
                self.done_state = "raised"
                text = str(exc)
                self.error = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
            else:
                self.done_state = "returned"


class _Session:
    """One open ``measure()``."""

    __slots__ = ("parent", "title", "start", "stop", "until", "root", "root_label", "first", "last_step",
                 "failure", "measured", "late", "final_t0", "index", "open_in")

    def __init__(self, title: str, parent: "_Session | None") -> None:
        self.parent, self.title = parent, title
        self.start = clock()
        self.stop: float | None = None
        self.until = float("inf")  # keep observing its tasks until then
        self.open_in: "_Watch | None" = None  # its watch, until it stops (or the watch closes)
        self.root: _TaskRecord | None = None
        self.root_label = "main"
        self.first = 0  # index of its first entry in the watch's log
        self.index = -1  # its number in the watch's session_list
        self.last_step: int | None = None  # the step the measured coroutine returned in
        self.measured: str | None = None  # the measured coroutine's own label: not a segment
        self.late: list[_TaskRecord] | None = None  # created in its last step, not started by the return
        self.final_t0: float | None = None  # when the step the measured coroutine returned in began
        self.failure: tuple[str, str | None] = ("returned", None)  # text only: holds no frames

    def owns(self, owner: "_Session | None") -> bool:
        while owner is not None:
            if owner is self:
                return True
            owner = owner.parent
        return False


_TASK_TYPES: tuple[type, ...] = tuple({asyncio.Task, getattr(asyncio.tasks, "_PyTask", asyncio.Task)})
_C_TASK = asyncio.Task  # the C Task where there is one: tried first
_TIMEOUT_FIRE = getattr(getattr(asyncio, "timeouts", None), "Timeout", None)
_TIMEOUT_FIRE = getattr(_TIMEOUT_FIRE, "_on_timeout", None)
_CORO = types.CoroutineType
_METHOD = types.MethodType
_FUNCTION = types.FunctionType


def _trivial_codes() -> frozenset:
    """Code of asyncio's own short callbacks: a timer setting a sleep's result,
    gather/wait collecting a child's end.  They are run without a look."""
    found = {asyncio.futures._set_result_unless_cancelled.__code__}
    for outer in (asyncio.tasks.gather, asyncio.tasks._wait, getattr(asyncio.tasks, "as_completed", None),
                  asyncio.tasks._release_waiter if hasattr(asyncio.tasks, "_release_waiter") else None):
        code = getattr(outer, "__code__", None)
        if code is None:
            continue
        if outer is getattr(asyncio.tasks, "_release_waiter", None):
            found.add(code)
        found.update(c for c in code.co_consts if isinstance(c, types.CodeType)
                     and c.co_name in ("_done_callback", "_on_completion"))
    return frozenset(found)


_TRIVIAL_CODES = _trivial_codes()  # kept alive here, so their ids stay theirs
_TRIVIAL = frozenset(map(id, _TRIVIAL_CODES))  # by id: hashing a code object costs 0.2 µs
_GEN = types.GeneratorType
_CHAIN = (_CORO, _GEN)  # what an await chain goes on through

try:  # Linux: the CPU clock and context switches of another thread
    _pthread_cpu = time.pthread_getcpuclockid
except AttributeError:  # pragma: no cover - other systems
    _pthread_cpu = None


def _asleep(native_id: int) -> bool | None:
    """Whether a thread of this process is asleep in a system call right now
    (``time.sleep``, a blocking read), from /proc; None where that is unknown."""
    try:
        with open(f"/proc/self/task/{native_id}/stat", "rb") as f:
            text = f.read()
    except OSError:
        return None
    state = text[text.rindex(b")") + 2:][:1]
    return state in (b"S", b"D")


def _code_text(line: str) -> str:
    """A source line without its trailing comment (when that is easy to tell)."""
    if "#" in line:
        code, _, _comment = line.partition("  #")
        if code and code.count("'") % 2 == 0 and code.count('"') % 2 == 0:
            return code.rstrip()
    return line


_ASYNC_FLAGS = inspect.CO_COROUTINE | inspect.CO_ITERABLE_COROUTINE | inspect.CO_ASYNC_GENERATOR


def _in_cell(filename: str) -> bool:
    """A notebook cell's code (ipykernel names its files after itself)."""
    return "ipykernel" in filename or filename.startswith("<ipython-input")


def _where(frame: Any) -> str | None:
    """``main, line 3: time.sleep(0.3)``: the innermost line of the learner's code.

    The line of the learner's coroutine that was running wins over lines in the
    plain functions it called (``compute, line 8: busy_for(0.2)`` rather than a
    line of the loop inside ``busy_for``, which varies from sample to sample),
    then a line in a notebook cell over lines in modules; lines of a notebook cell are
    numbered from the function's ``def`` (line 1), as the checks number them, a line in a module
    file names the file and its line in the file (``is_prime, workloads.py line 68``)."""
    first = cell = None
    probe = frame
    while probe is not None:
        code = probe.f_code
        if _is_user(code):
            if code.co_flags & _ASYNC_FLAGS:  # the coroutine that was running: its line is the call made
                frame = probe
                break
            if cell is None and _in_cell(code.co_filename):
                cell = probe
            if first is None:
                first = probe
        probe = probe.f_back
    else:
        frame = cell or first
    while frame is not None:
        code = frame.f_code
        if _is_user(code):
            line = _code_text(linecache.getline(code.co_filename, frame.f_lineno).strip())
            name = code.co_qualname.rsplit(".<locals>.", 1)[-1]
            filename = code.co_filename
            in_cell = _in_cell(filename)
            place = f"line {frame.f_lineno - code.co_firstlineno + 1}" if in_cell else \
                f"{os.path.basename(filename)} line {frame.f_lineno}"
            return f"{name}, {place}: {line}" if line else f"{name}, {place}"
        frame = frame.f_back
    return None


class _Watch:
    """Observes one event loop while at least one measurement on it is open."""

    # slots: the C observer reads them at their offsets, as the interpreter's own fast path does
    __slots__ = ("loop", "log", "step", "step_t0", "records", "rec_list", "session_list", "labelled",
                 "sessions", "samples", "ends", "errors", "factory", "thread_id", "native_id", "stopped",
                 "expiring", "closed", "unobserved", "timeouts_hook", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        # a list of tuples; the compiled observer's StepLog reads as one and holds its own entries compactly
        self.log: Any = _fastrun.StepLog() if _HOOK is _C_HOOK and _C_HOOK is not None else []
        self.step = 0
        self.step_t0: float | None = None
        self.records: dict[int, _TaskRecord] = {}
        self.rec_list: list[_TaskRecord] = []  # log entries name records and sessions by number
        self.session_list: list[_Session] = []
        self.labelled: dict[int, int] = {}  # id(code) -> tasks named with arguments
        self.sessions: list[_Session] = []
        self.samples: dict[int, list] = {}   # step -> [t, cpu, asleep seen, Counter(where)]
        self.ends: dict[int, tuple] = {}     # long step -> (t, cpu) at its end
        self.errors: list[BaseException] = []
        self.factory: Any = None            # our wrapper around the code's own factory
        self.thread_id = threading.get_ident()
        self.native_id = threading.get_native_id()
        self.stopped = False
        self.expiring = False
        self.closed = False
        self.unobserved: int | None = None  # the step measure() opened in, when not timed by the hook
        self.timeouts_hook: Any = None  # what shadows loop._timer_handle_cancelled while open
        # A bare thread, not a threading.Thread: threading.enumerate() and
        # active_count() go on showing only the code's own threads.
        _thread.start_new_thread(self._sample, ())

    # -- the hot path: called after every callback the loop ran ---------------
    def note(self, handle: Any, owner: Any, step: int, t0: float, t1: float) -> None:
        cb = handle._callback
        task = getattr(cb, "__self__", None)
        long = t1 - t0 > BLOCKING_THRESHOLD
        if long:
            self.ends[step] = (t1, time.thread_time())
        if type(task) not in _TASK_TYPES and not isinstance(task, _TASK_TYPES):
            if owner is not None and getattr(cb, "__func__", None) is _TIMEOUT_FIRE and _TIMEOUT_FIRE:
                target = getattr(task, "_task", None)
                rec = self.record(target) if target is not None else None
                self.log.append((owner.index, "deadline", step, t0, t0, rec.index if rec else None, None))
            elif long:
                what = getattr(cb, "__qualname__", None) or type(cb).__name__
                self.log.append((owner.index if owner is not None else None, "callback", step, t0, t1,
                                 what.rsplit(".<locals>.", 1)[-1], None))
            return
        if owner is None:
            if long:
                self.log.append((None, "outside", step, t0, t1, self.record(task).base, None))
            return
        self.note_step(task, owner, step, t0, t1)

    def note_deadline_not_reached(self, handle: Any) -> None:
        """A timeout's timer cancelled before it ran: the block finished first (or moved it)."""
        try:
            owner = _OWNER.get(None)  # asyncio cancels it from the task that entered the timeout
            if owner is None or owner.open_in is not self or not handle._scheduled:
                return
            now = clock()
            when = now + (handle._when - self.loop.time())  # the loop's clock to ours
            target = getattr(handle._callback.__self__, "_task", None)
            rec = self.record(target) if target is not None else None
            self.log.append((owner.index, "deadline not reached", self.step, when, now,
                             rec.index if rec else None, None))
        except Exception as exc:  # the recorder must never break the code it watches
            self.errors.append(exc)

    def record(self, task: Any, owner: "_Session | None" = None) -> _TaskRecord:
        rec = self.records.get(id(task))
        if rec is None or rec.ref() is not task:
            rec = self.records[id(task)] = _TaskRecord(task, self.labelled, owner)
            rec.index = len(self.rec_list)
            self.rec_list.append(rec)
        elif rec.owner is None and owner is not None:
            rec.owner = owner
        return rec

    def note_step(self, task: Any, owner: Any, step: int, t0: float, t1: float,
                  rec: "_TaskRecord | None" = None) -> None:
        # This runs after every step of every task measured: each line costs.
        if rec is None:
            rec = self.record(task, owner)
        fut = task._fut_waiter
        if fut is None:
            if task.done():
                rec.note_done(task, t1)
                self.log.append((owner.index, rec.index, step, t0, t1, None, None))
            else:  # sleep(0) or a bare yield: it only let the others have a turn
                self.log.append((owner.index, rec.index, step, t0, t1,
                                 rec.seg_label if rec.seg_ref is not None else None, "yield"))
            return
        node = top = task._coro if type(task) is _C_TASK else task.get_coro()
        codes = _CODES
        # (the most common shape, two coroutines, is handled in _observed_run itself)
        # Follow the await chain down from the task's coroutine (it has no
        # cycles: a coroutine cannot await one that is awaiting it).
        user = info = named = None  # named: the outermost asyncio coroutine that says what the wait is for
        while True:
            kind = type(node)
            if kind is _CORO:
                code = node.cr_code
                nxt = node.cr_await
            elif kind is _GEN:
                code = node.gi_code
                nxt = node.gi_yieldfrom
            else:
                break
            info = codes.get(id(code)) or _code_info(code)
            if info.segment:  # comprehensions (<listcomp> on 3.11) belong to the function around them
                user = node
            elif named is None:
                named = info.named
            if nxt is None:
                break
            node = nxt
        if named is None or named == "timer":
            named = _reason(info, fut)  # from the code's cache when it is known
        if user is None or user is top:
            self.log.append((owner.index, rec.index, step, t0, t1, None, named))
            return
        if rec.seg_ref is not None and rec.seg_ref() is user:
            segment = rec.seg_label
        else:
            segment = rec.seg_label = _call_text(user)
            rec.seg_ref = weakref.ref(user)
        # only numbers and strings: the garbage collector untracks such tuples
        self.log.append((owner.index, rec.index, step, t0, t1, segment, named))

    # -- eager task factories ---------------------------------------------------
    def wrap_factory(self, theirs: Any) -> Any:
        def factory(loop: Any, coro: Any, **kwargs: Any) -> Any:
            step = self.step
            t0 = clock()
            task = theirs(loop, coro, **kwargs)
            t1 = clock()
            try:
                started = inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) != inspect.CORO_CREATED
                owner = _OWNER.get(None)
                if started and owner is not None and isinstance(task, asyncio.Future):
                    self.note_step(task, owner, step, t0, t1)
            except Exception as exc:  # never let the recorder break the code
                self.errors.append(exc)
            return task

        try:
            functools.update_wrapper(factory, theirs)
        except (AttributeError, TypeError):
            pass
        factory.__asynclab_wraps__ = theirs  # type: ignore[attr-defined]
        return factory

    def follow_factory(self, step: int | None = None, when: float | None = None) -> None:
        """Keep eager first steps visible when the code installs its own factory.

        Called after a step in which the code may have installed one: tasks that
        factory already started eagerly in that step are found and given their
        first (unseen) step at the end of it."""
        current = self.loop.get_task_factory()
        if current is None or current is self.factory:
            return
        self.factory = self.wrap_factory(current)
        self.loop.set_task_factory(self.factory)
        if when is None:
            return
        def created(task: Any) -> tuple[int, str]:  # Task-7 was made before Task-8
            name = task.get_name()
            number = name[5:] if name.startswith("Task-") else ""
            return (int(number) if number.isdigit() else 1 << 62, name)

        for task in sorted(asyncio.all_tasks(self.loop), key=created):
            if id(task) in self.records or task.done():
                continue
            get_context = getattr(task, "get_context", None)  # 3.12+, as eager tasks are
            owner = get_context().get(_OWNER) if get_context is not None else None
            if owner is not None:
                coro = task.get_coro()
                if inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) != inspect.CORO_CREATED:
                    self.note_step(task, owner, step if step is not None else self.step, when, when)

    def restore_factory(self) -> None:
        current = self.loop.get_task_factory()
        if self.factory is not None and current is self.factory:
            self.loop.set_task_factory(self.factory.__asynclab_wraps__)
        self.factory = None

    # -- the sampler thread ------------------------------------------------------
    def _sample(self) -> None:
        try:
            self._sample_until_stopped()
        except Exception as exc:  # pragma: no cover - a sampler failure only loses detail
            self.errors.append(exc)

    def _all_expired(self) -> bool:
        # No generator, no list: an object the garbage collector tracks, made in
        # this thread, could start a collection here, and a lost task's
        # "Task was destroyed" finalizer would then run in the sampler's thread
        # instead of the loop's (seen on 3.15).
        now = clock()
        for session in self.sessions:
            if session.stop is None or now <= session.until:
                return False
        return True

    def _sample_until_stopped(self) -> None:
        clock_id = None
        if _pthread_cpu is not None:
            try:
                clock_id = _pthread_cpu(self.thread_id)
            except OSError:  # pragma: no cover
                clock_id = None
        pause = _IDLE_EVERY
        while True:
            time.sleep(pause)
            pause = _IDLE_EVERY
            if self.stopped:
                return
            t0, step = self.step_t0, self.step
            if t0 is None:
                if self.sessions and self._all_expired():
                    if self.loop.is_closed() or not self.loop.is_running():
                        _close(self)  # nobody will run a callback any more
                    elif not self.expiring:
                        self.expiring = True
                        try:
                            self.loop.call_soon_threadsafe(self.expire)
                        except RuntimeError:  # closed meanwhile
                            _close(self)
                continue
            now = clock()
            if now - t0 < _SAMPLE_EVERY:
                continue
            pause = _SAMPLE_EVERY  # a long step: look often, to see which line it spends its time on
            frame = sys._current_frames().get(self.thread_id)
            where = _where(frame)
            del frame
            asleep = _asleep(self.native_id)
            sample = self.samples.get(step)
            if sample is None:
                cpu = time.clock_gettime(clock_id) if clock_id is not None else None
                sample = self.samples[step] = [now, cpu, asleep, collections.Counter()]
            elif asleep:
                sample[2] = True
            if where:
                sample[3][where] += 1

    def expire(self) -> None:
        """Drop sessions whose grace period is over; close when none is left."""
        now = clock()
        self.expiring = False
        self.sessions = [s for s in self.sessions if s.stop is None or now <= s.until]
        if not self.sessions:
            _close(self)

    # -- reading a finished session ---------------------------------------------
    def blocking_details(self, step: int, duration: float) -> dict[str, Any]:
        sample, end = self.samples.get(step), self.ends.get(step)
        out: dict[str, Any] = {}
        if sample is not None and sample[3]:
            lines = sample[3]
            where = lines.most_common(1)[0][0]
            if len(lines) > 1:  # a loop: the line varies from sample to sample, the function does not
                functions = {w.split(",")[0] for w in lines}
                where = f"{where.split(',')[0]} (a loop)" if len(functions) == 1 else where.split(",")[0]
            out["where"] = where
        if sample is not None and end is not None and sample[1] is not None:
            span = max(end[0] - sample[0], 1e-9)
            out["cpu"] = max(0.0, end[1] - sample[1]) / span * duration
            if sample[2] is not None:
                out["slept"] = bool(sample[2])
        if "slept" not in out:
            out.pop("cpu", None)
        return out


_WATCHES: dict[Any, _Watch] = {}
_WATCH: _Watch | None = None  # the one most recently opened: the fast path


def _owner(handle: Any, now: float) -> "_Session | None":
    """The open (or still watched) measurement a handle's code belongs to."""
    owner = handle._context.get(_OWNER)
    if owner is not None and owner.stop is not None and now > owner.until:
        return None
    return owner


def _observed_run(self: Any, _run: Any = _ORIGINAL_RUN, _clock: Any = clock,
                  _threshold: float = BLOCKING_THRESHOLD, _codes: dict = _CODES) -> None:
    # This runs for every callback of every loop while asynclab is imported,
    # and its common path (a measured task's step ending in a wait on one of
    # asyncio's coroutines) for every step measured: each line here costs.
    callback = self._callback
    if type(callback) is _FUNCTION and id(callback.__code__) in _TRIVIAL:
        return _run(self)  # asyncio's own bookkeeping (a timer waking a sleep...): never long, never a task
    watch = _WATCH
    if watch is not None and self._loop is not watch.loop:
        watch = _WATCHES.get(self._loop)
    if watch is None:
        _run(self)
        if _WATCHES:  # measure() started inside this very step
            _adopt(self)
        return
    task = getattr(callback, "__self__", None)
    exact = type(task) is _C_TASK
    if not exact and not isinstance(task, _TASK_TYPES):
        return _plain_callback(watch, self)
    rec = watch.records.get(id(task))
    if rec is None or rec.ref() is not task:
        rec = _first_sight(watch, self, task)
    outer = watch.step_t0
    watch.step = step = watch.step + 1
    watch.step_t0 = t0 = _clock()
    try:
        _run(self)
    finally:
        t1 = _clock()
        watch.step_t0 = outer
        try:
            owner = self._context.get(_OWNER)
            fut = task._fut_waiter
            if (owner is None or rec is None or owner.open_in is not watch or t1 - t0 > _threshold
                    or self._loop._task_factory is not watch.factory):
                _after_step(watch, self, task, rec, owner, step, t0, t1)
            elif fut is None:
                if task.done():
                    watch.note_step(task, owner, step, t0, t1, rec)
                else:  # sleep(0) or a bare yield: it only let the others have a turn
                    watch.log.append((owner.index, rec.index, step, t0, t1,
                                      rec.seg_label if rec.seg_ref is not None else None, "yield"))
            else:
                # The most common shape of a wait: the task's coroutine awaits one
                # of asyncio's (sleep, Lock.acquire...), which awaits a future.
                node = task._coro if exact else task.get_coro()  # a subclass may show another
                nxt = node.cr_await if type(node) is _CORO else None
                if type(nxt) is _CORO and type(nxt.cr_await) not in _CHAIN:
                    outer_info = _codes.get(id(node.cr_code)) or _code_info(node.cr_code)
                    info = _codes.get(id(nxt.cr_code)) or _code_info(nxt.cr_code)
                    if not info.segment:
                        if outer_info.segment and info.fixed is not None:
                            named = info.fixed  # the learner's coroutine in sleep(), Lock.acquire()...
                        else:
                            named = None if outer_info.segment else outer_info.named
                            if named is None:
                                named = info.named
                            if named is None or named == "timer":
                                named = info.reasons.get(type(fut)) or _reason(info, fut)
                        # only numbers and strings: the garbage collector untracks such tuples
                        watch.log.append((owner.index, rec.index, step, t0, t1, None, named))
                    else:
                        watch.note_step(task, owner, step, t0, t1, rec)
                else:
                    watch.note_step(task, owner, step, t0, t1, rec)
        except Exception as exc:  # the recorder must never break the code it watches
            watch.errors.append(exc)


def _first_sight(watch: _Watch, handle: Any, task: Any) -> "_TaskRecord | None":
    """A task's record, made before its first step: its arguments are still there to read."""
    try:
        owner = handle._context.get(_OWNER)
        if owner is not None:
            return watch.record(task, owner)
    except Exception as exc:  # pragma: no cover
        watch.errors.append(exc)
    return None


def _after_step(watch: _Watch, handle: Any, task: Any, rec: "_TaskRecord | None", owner: "_Session | None",
                step: int, t0: float, t1: float) -> None:
    """Everything but the common case, after a task's step."""
    if watch.closed:  # the measurement closed in this step; another may have opened
        if _WATCHES:
            _adopt(handle)
        return
    if owner is not None and owner.stop is not None and t1 > owner.until:
        owner = None
    if t1 - t0 > BLOCKING_THRESHOLD:
        watch.note(handle, owner, step, t0, t1)
    elif owner is not None:
        watch.note_step(task, owner, step, t0, t1, rec)
    if handle._loop._task_factory is not watch.factory:  # the code installed its own
        watch.follow_factory(step, t1)


def _plain_callback(watch: _Watch, handle: Any, _run: Any = _ORIGINAL_RUN, _clock: Any = clock) -> None:
    """A callback that is no task's step (a timer firing, a future's done-callback,
    a protocol's data_received): only a long one (it blocked the loop) or an
    expiring timeout is worth a note."""
    outer = watch.step_t0
    watch.step = step = watch.step + 1
    watch.step_t0 = t0 = _clock()
    try:
        _run(handle)
    finally:
        t1 = _clock()
        watch.step_t0 = outer
        try:
            if watch.closed:  # the measurement closed in this step; another may have opened
                if _WATCHES:
                    _adopt(handle)
            elif t1 - t0 > BLOCKING_THRESHOLD or (type(handle._callback) is _METHOD
                                                  and handle._callback.__func__ is _TIMEOUT_FIRE):
                watch.note(handle, _owner(handle, t1), step, t0, t1)
        except Exception as exc:  # the recorder must never break the code it watches
            watch.errors.append(exc)


def _adopt(handle: Any) -> None:
    """Log the step in which a measurement opened: it began before the watch."""
    watch = _WATCHES.get(handle._loop)
    try:
        owner = handle._context.get(_OWNER)
        if watch is not None:
            step = watch.unobserved if watch.unobserved is not None else watch.step + 1
            watch.step = max(watch.step, step)
            watch.step_t0 = None
            watch.unobserved = None
            if owner is not None:
                now = clock()
                watch.note(handle, owner, step, owner.start, now)
                if handle._loop._task_factory is not None:
                    watch.follow_factory(step, now)
    except Exception as exc:  # pragma: no cover - never break the code
        if watch is not None:
            watch.errors.append(exc)


def _step_end(watch: _Watch, handle: Any, task: Any, rec: "_TaskRecord | None", step: int,
              t0: float, t1: float) -> None:
    """After a task's step, every case the C observer leaves to Python (all but the common ones)."""
    try:
        owner = handle._context.get(_OWNER)
        if (owner is None or rec is None or owner.open_in is not watch or t1 - t0 > BLOCKING_THRESHOLD
                or handle._loop._task_factory is not watch.factory):
            _after_step(watch, handle, task, rec, owner, step, t0, t1)
        else:
            watch.note_step(task, owner, step, t0, t1, rec)
    except Exception as exc:  # the recorder must never break the code it watches
        watch.errors.append(exc)


# The same observer in C, where it has been compiled (``python -m asynclab.accelerate``):
# it does what _observed_run does for the common cases and calls the helpers
# above for the rest.  ASYNCLAB_PURE_PYTHON=1 keeps the Python one.
def _load_fastrun() -> tuple[Any, bool]:
    """The compiled observer, if it was built from this very ``_fastrun.c``; and whether a stale one was found."""
    try:
        from . import _fastrun  # type: ignore[attr-defined]
    except ImportError:
        return None, False
    try:
        import hashlib
        with open(os.path.join(_HERE, "_fastrun.c"), "rb") as f:
            current = hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None, True
    if getattr(_fastrun, "SOURCE", None) != current:
        return None, True  # built from another version: its rules may not be these
    return _fastrun, False


_fastrun, _FASTRUN_STALE = _load_fastrun()
ACCELERATED = _fastrun is not None and not os.environ.get("ASYNCLAB_PURE_PYTHON")
_HOOK: Any = _observed_run
_C_HOOK: Any = None
if _fastrun is not None:
    _C_HOOK = _fastrun.configure({
        "handle_type": asyncio.events.Handle, "globals": globals(), "run": _ORIGINAL_RUN, "clock": clock,
        "threshold": BLOCKING_THRESHOLD, "codes": _CODES, "trivial": tuple(_TRIVIAL_CODES),
        "c_task": _C_TASK, "task_types": _TASK_TYPES, "owner_var": _OWNER,
        "plain_callback": _plain_callback, "first_sight": _first_sight, "step_end": _step_end,
        "adopt": _adopt, "timer_handle_type": asyncio.events.TimerHandle, "watch_type": _Watch,
        "record_type": _TaskRecord, "session_type": _Session, "info_type": _CodeInfo,
        "labels_with_arguments": _LABELS_WITH_ARGUMENTS, "gone": _gone,
        # the C observer may read CLOCK_MONOTONIC itself only where that is what perf_counter reads
        "native_clock": clock is time.perf_counter and sys.platform.startswith("linux")
        and time.get_clock_info("perf_counter").implementation == "clock_gettime(CLOCK_MONOTONIC)",
    })
    if ACCELERATED:
        _HOOK = _C_HOOK


def select_observer(python: bool) -> None:
    """Observe with the Python version (``python=True``) or the compiled one.

    For the tests and the benchmark, which compare the two in one process;
    raises RuntimeError when the compiled one is asked for and not built, or a
    measurement is open."""
    global _HOOK
    if _WATCHES:
        raise RuntimeError("select_observer() while a measurement is open: call it between measurements")
    if not python and _C_HOOK is None:
        raise RuntimeError("the compiled observer is not built (python -m asynclab.accelerate)"
                           + (", or was built from another _fastrun.c" if _FASTRUN_STALE else ""))
    installed = asyncio.events.Handle._run is _HOOK
    _HOOK = _observed_run if python else _C_HOOK
    if installed:
        asyncio.events.Handle._run = _HOOK


def install() -> None:
    """Put the observer in place of ``Handle._run`` (done once, at import).

    It must be there *before* the step in which ``measure()`` is called, or
    that step's end (the measured code's first pause) would go unseen.  While
    no measurement is open it only calls the original."""
    if asyncio.events.Handle._run is not _HOOK:
        asyncio.events.Handle._run = _HOOK


def uninstall() -> None:
    """Give ``Handle._run`` back its original (benchmarks compare with it)."""
    if asyncio.events.Handle._run is _HOOK:
        asyncio.events.Handle._run = _ORIGINAL_RUN


def _open(loop: asyncio.AbstractEventLoop) -> _Watch:
    global _WATCH
    install()
    watch = _WATCHES.get(loop)
    if watch is None:
        watch = _WATCHES[loop] = _Watch(loop)
        _watch_timeouts(watch)
    _WATCH = watch
    return watch


def _watch_timeouts(watch: _Watch) -> None:
    """See the ``asyncio.timeout`` deadlines that are not reached.

    A deadline that expires runs its timer (seen as a callback); one the block
    beats is cancelled and never runs.  asyncio tells its loop of every timer
    cancelled (``loop._timer_handle_cancelled``, a method asyncio calls and
    nothing else): for as long as the watch is open, the loop's own method is
    shadowed by one that notes a timeout's deadline, then calls it."""
    loop = watch.loop
    original = getattr(loop, "_timer_handle_cancelled", None)
    if _TIMEOUT_FIRE is None or original is None or "_timer_handle_cancelled" in getattr(loop, "__dict__", {}):
        return

    def _timer_handle_cancelled(handle: Any) -> None:  # every sleep() cancels its timer: keep it short
        if type(handle._callback) is _METHOD and handle._callback.__func__ is _TIMEOUT_FIRE:
            watch.note_deadline_not_reached(handle)
        original(handle)

    if _HOOK is _C_HOOK and _C_HOOK is not None:  # the same, compiled, with the compiled observer
        _timer_handle_cancelled = _fastrun.TimerHook(watch.note_deadline_not_reached, original, _TIMEOUT_FIRE)

    try:
        loop._timer_handle_cancelled = _timer_handle_cancelled
    except AttributeError:  # pragma: no cover - a loop without instance attributes
        return
    watch.timeouts_hook = _timer_handle_cancelled


def _close(watch: _Watch) -> None:
    global _WATCH
    if _WATCHES.get(watch.loop) is not watch:
        return
    if watch.timeouts_hook is not None and vars(watch.loop).get("_timer_handle_cancelled") is watch.timeouts_hook:
        del watch.loop._timer_handle_cancelled  # the loop's own method again
    watch.timeouts_hook = None
    del _WATCHES[watch.loop]
    watch.closed = True
    watch.stopped = True
    watch.restore_factory()
    if _WATCH is watch:
        _WATCH = next(iter(_WATCHES.values()), None)
    for old in watch.session_list:  # a task still carrying one of them is no longer watched
        old.until = float("-inf")
        old.open_in = None
        if old.stop is None:
            old.stop = clock()
    # the log, records and samples stay with the watch: recordings not yet
    # built hold it, and it goes when they have been (or are gone)
    watch.records = {}


# --------------------------------------------------------------------------
# Turning the log into a Recording
# --------------------------------------------------------------------------
def _find_late(watch: _Watch, session: _Session) -> None:
    """Tasks created in the last steps that have not run yet: they wait in the
    ready queue, and must be found before the loop runs them."""
    session.late = []
    for handle in list(getattr(watch.loop, "_ready", ())):
        task = getattr(handle._callback, "__self__", None)
        if isinstance(task, asyncio.Task) and not task.done():
            owner = handle._context.get(_OWNER)
            if owner is not None and session.owns(owner):
                session.late.append(watch.record(task, owner))


def _pending(watch: _Watch, session: _Session, first: int) -> bool:
    """Whether a task the measured code created (since record ``first``) is
    still alive and not done: its grace period is then worth watching."""
    for rec in watch.rec_list[first:]:
        owner = rec.owner
        if (owner is not None and rec is not session.root and owner is not session.parent
                and session.owns(owner) and rec.done_at is None):
            task = rec.ref()
            if task is not None and not task.done():
                return True
    return False


def _build(watch: _Watch, session: _Session, rec: Recording, until: float,
           failure: tuple[str, str | None]) -> None:
    start, stop = session.start, session.stop
    assert stop is not None
    steps: dict[_TaskRecord, list[tuple]] = {}
    order: list[_TaskRecord] = []
    deadlines: list[tuple[float, _TaskRecord | None]] = []
    not_reached: list[tuple[float, _TaskRecord | None]] = []
    loose: list[tuple] = []  # long plain callbacks, steps of code outside the measurement
    sessions, records = watch.session_list, watch.rec_list
    mine_too = {i for i, other in enumerate(sessions) if session.owns(other)}  # itself and those nested in it
    log = watch.log
    for index in range(session.first, len(log)):  # one entry at a time: a StepLog makes each tuple as it is read
        entry = log[index]
        owner, who = entry[0], entry[1]
        if type(who) is str:  # a special entry
            if who == "outside":
                if entry[3] < stop:
                    loose.append(("outside " + entry[5], entry))
            elif owner in mine_too:
                if who == "deadline":
                    deadlines.append((entry[3], records[entry[5]] if entry[5] is not None else None))
                elif who == "deadline not reached":
                    not_reached.append((entry[3], records[entry[5]] if entry[5] is not None else None))
                else:
                    loose.append(("callback " + entry[5], entry))
            continue
        if owner not in mine_too:
            continue
        who = records[who]
        mine = steps.get(who)
        if mine is None:
            mine = steps[who] = []
            order.append(who)
        mine.append(entry)
    if session.late is None:
        _find_late(watch, session)
    late = set(session.late)
    for who in session.late:
        if who not in steps:
            steps[who] = []
            order.append(who)
    root = session.root
    if root is not None and root not in steps:
        order.insert(0, root)
        steps[root] = []
    elif root is not None:
        order.remove(root)
        order.insert(0, root)

    names: dict[_TaskRecord, str] = {}
    used: dict[str, int] = {}
    rec._clear()
    rec.info.clear()
    rec.left_out.clear()
    rec.deadlines.clear()
    rec.deadlines_not_reached.clear()
    rec._tasks = []
    for who in order:
        if who is not root and who.origin in ("library", "course"):
            what = f"the course's {who.runs}" if who.origin == "course" else who.runs
            rec.left_out[what] = rec.left_out.get(what, 0) + 1
            continue
        base = session.root_label if who is root else who.base
        count = used[base] = used.get(base, 0) + 1
        names[who] = base if count == 1 else f"{base} #{count}"
    rec.root_lane = names.get(root) if root is not None else None

    def add(lane: str, a: float, b: float, state: str, **extra: Any) -> None:
        if b > a:
            rec.add(lane, a - start, b - start, state, **extra)

    for who in order:
        lane = names.get(who)
        if lane is None:
            continue
        out: list[Span] = []
        keep = out.append
        end_at = stop if who is root else until
        last_end = start if who is root else (stop if who in late else None)
        last_seg = None
        last_reason = "yield" if who in late else None  # a task not started yet waits for its first turn
        for _owner, _who, step, t0, t1, segment, reason in steps[who]:
            if who is root and segment == session.measured:
                segment = None
            a = t0 if t0 > start else start
            b = t1 if t1 < end_at else end_at
            if a >= end_at:
                break
            if last_end is not None and a > last_end:
                keep(Span(lane, last_end - start, a - start, "wait", None, None, last_seg, last_reason or "future"))
            if b > a:
                if t1 - t0 > BLOCKING_THRESHOLD:
                    details = watch.blocking_details(step, b - a)
                    func = details.get("where", "").split(",")[0]
                    ran_in = segment
                    if func and segment and segment.split("(")[0] != func:
                        ran_in = None  # the time went to the task's own line, not to the coroutine it awaited next
                    keep(Span(lane, a - start, b - start, "run", segment=ran_in, **details))
                else:
                    keep(Span(lane, a - start, b - start, "run", None, None, segment))
            last_end, last_seg, last_reason = b, segment, reason
        rec._extend(lane, out)
        task = who.ref()
        if who is root:
            # the measured coroutine's last step is the one that was running at the return
            t0 = session.final_t0 if session.final_t0 is not None else stop
            a = max(t0, start, last_end or start)
            if last_end is not None and a > last_end:
                add(lane, last_end, a, "wait", segment=last_seg, reason=last_reason or "future")
            if stop - a > BLOCKING_THRESHOLD and session.last_step is not None:
                add(lane, a, stop, "run", **watch.blocking_details(session.last_step, stop - a))
            else:
                add(lane, a, stop, "run")
            outcome, error = failure
            info = LaneInfo(lane, kind="root", runs=session.root_label, task_name=who.task_name,
                            outcome=outcome, error=error, ended=stop - start)
        else:
            finished = who.done_at is not None and who.done_at <= until
            at_return = "running" if who.done_at is None or who.done_at > stop else (who.done_state or "returned")
            destroyed = who.done_at is None and task is None  # gone, never seen done
            if destroyed:
                at_return = "destroyed"
            if not finished and last_end is not None and last_end < end_at and not destroyed:
                add(lane, last_end, min(end_at, clock()), "wait", segment=last_seg, reason=last_reason or "future")
            if not steps[who]:  # created but never started: a mark at the return
                rec.add(lane, stop - start, max(stop, min(until, clock())) - start, "wait", reason="yield")
            info = LaneInfo(lane, kind="task", runs=who.runs, task_name=who.task_name, outcome=at_return,
                            error=who.error if at_return == "raised" else None,
                            ended=(who.done_at - start) if who.done_at is not None and finished else None)
            info.later = who.done_state if at_return == "running" and finished else None
            info.ref = who.ref
            rec._tasks.append(who.ref)
        rec.info[lane] = info
    for when, who in deadlines:
        lane = names.get(who) if who is not None else None
        rec.deadlines.append((when - start, lane or rec.root_lane or ""))
    for when, who in not_reached:
        lane = names.get(who) if who is not None else None
        rec.deadlines_not_reached.append((when - start, lane or rec.root_lane or ""))
    for label, entry in loose:
        t0, t1, step = entry[3], entry[4], entry[2]
        a, b = max(t0, start), min(t1, stop)
        if b > a:
            add(label, a, b, "run", **watch.blocking_details(step, b - a))
            rec.info[label] = LaneInfo(label, kind="outside")


# --------------------------------------------------------------------------
# The public face
# --------------------------------------------------------------------------
async def measure(title: str, awaitable: Awaitable[Any], *, raise_errors: bool = True,
                  grace: float = 0.25) -> Recording:
    """Run ``awaitable`` exactly as ``await awaitable`` would, and record it.

    >>> rec = await measure("gather", main())    # doctest: +SKIP
    >>> rec.result, rec.wall, rec.max_overlap()  # doctest: +SKIP

    Returns a :class:`~asynclab.recording.Recording`: one lane per task (the
    measured coroutine's own lane first), spans of running and waiting with
    what each wait was for, how each task ended, and ``asyncio.timeout``
    deadlines (expired, or not reached).  If the
    measured code raises, the exception propagates from here unchanged, after
    recording has stopped; with ``raise_errors=False`` an exception is kept in
    ``rec.error`` instead (a ``CancelledError`` aimed at the caller still
    propagates).  Tasks still running when the measured code returned are
    marked ``"running"`` and watched for ``grace`` more seconds, so a drawing
    made soon after shows them continuing past the return.
    """
    __tracebackhide__ = True  # IPython and pytest leave this frame out of tracebacks
    if not isinstance(title, str):
        for thing in (title, awaitable):
            if inspect.iscoroutine(thing):
                thing.close()
        raise TypeError(f"measure() takes a title first, then a coroutine; got {type(title).__name__} as title")
    if inspect.iscoroutinefunction(awaitable):
        raise TypeError(
            f"measure() got the coroutine function {awaitable.__qualname__!r} itself; "
            f"call it to get a coroutine: measure({title!r}, {awaitable.__name__}(...))"
        )
    if not inspect.isawaitable(awaitable):
        raise TypeError(f"measure() needs something to await, such as main(); got {type(awaitable).__name__}")
    if not isinstance(grace, (int, float)) or not grace >= 0 or grace != grace:
        raise ValueError(f"grace must be a number of seconds >= 0, got {grace!r}")
    loop = asyncio.get_running_loop()
    caller = asyncio.current_task()
    watch = _open(loop)
    session = _Session(title, _OWNER.get(None))
    if inspect.iscoroutine(awaitable):
        session.measured = _call_text(awaitable)
        session.root_label = session.measured.split("(")[0]
    else:
        session.root_label = type(awaitable).__name__
    session.first = len(watch.log)
    first_record = len(watch.rec_list)
    if caller is not None:
        session.root = watch.record(caller)
    watch.sessions.append(session)
    session.index = len(watch.session_list)
    watch.session_list.append(session)
    watch.labelled.clear()
    if watch.step_t0 is None:
        # measure() was called in a step the observer did not time (the first
        # one after the watch opened): time the rest of it from here, so the
        # sampler can name a line that blocks before the first pause
        watch.step += 1
        watch.step_t0 = clock()
        watch.unobserved = watch.step
    if loop.get_task_factory() is not None:
        watch.follow_factory()
    recording = Recording(title)
    token = _OWNER.set(session)
    session.open_in = watch
    session.start = recording.t0 = clock()
    failure: BaseException | None = None
    try:
        recording.result = await awaitable
    except BaseException as exc:
        failure = exc
    session.stop = stop = clock()
    session.open_in = None
    recording.wall = stop - session.start
    session.last_step = watch.step
    session.final_t0 = watch.step_t0
    if stop - (watch.step_t0 or stop) > BLOCKING_THRESHOLD:
        watch.ends[watch.step] = (stop, time.thread_time())
    try:
        _OWNER.reset(token)
    except ValueError:  # pragma: no cover - the code switched contexts under us
        pass
    if failure is not None:
        keep = not raise_errors and not (isinstance(failure, asyncio.CancelledError)
                                         and caller is not None and caller.cancelling())
        if keep:
            recording.error = failure
    session.until = stop + grace
    watching = False
    try:
        if isinstance(failure, asyncio.CancelledError):
            session.failure = ("cancelled", None)
        elif failure is not None:
            session.failure = ("raised", f"{type(failure).__name__}: {failure}" if str(failure)
                               else type(failure).__name__)
        _find_late(watch, session)
        recording.root_lane = session.root_label if session.root is not None else None
        watching = grace > 0 and (bool(session.late) or _pending(watch, session, first_record))
        # The spans are built when the recording is first read (show(), max_overlap()...),
        # not here: the cell goes on at once, and a read after the grace period sees it too.
        recording._build_later(functools.partial(_build_now, watch, session, recording,
                                                 stop + grace if watching else stop))
        if watching:
            recording._refresh = functools.partial(_refresh, watch, session, recording)  # type: ignore[attr-defined]
    finally:
        if not watching:
            session.until = stop
            watch.sessions.remove(session)
            if not watch.sessions:
                _close(watch)
    if failure is not None and recording.error is None:
        try:
            raise failure
        finally:
            del failure
    return recording


def _build_now(watch: _Watch, session: _Session, recording: Recording, until: float) -> None:
    collecting = gc.isenabled()
    gc.disable()  # building makes many small objects; collect once, not a hundred times
    try:
        _build(watch, session, recording, min(clock(), until), session.failure)
    finally:
        if collecting:
            gc.enable()


def _refresh(watch: _Watch, session: _Session, recording: Recording) -> None:
    """Bring in what the tasks still running at the return did in the grace period."""
    if recording._build_pending():
        return  # the first read builds it, grace period included
    if _WATCHES.get(watch.loop) is not watch or session not in watch.sessions:
        return
    _build_now(watch, session, recording, session.until)


install()
