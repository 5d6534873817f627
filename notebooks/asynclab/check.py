"""Exercise checks that explain a wrong answer in plain words.

Two words for code, one for values::

    run = await check.run(download_all(FILES), time_limit=2)   # never raises, never hangs
    check.expect(run, result=[...], overlap=3)                 # the exercise's rules, as data
    check.equal(prediction, 1.0, "predicted_sequential")       # a value the learner wrote

:func:`run` runs the learner's coroutine (or calls a coroutine function with
the arguments given) under :func:`asynclab.measure`, with a time limit, and
keeps everything a check needs in a :class:`Run`.  :func:`expect` applies the
rules every exercise shares (it finished, it raised nothing, nothing was left
un-awaited or running, nothing blocked the loop), then the exercise's own
(``result``, ``overlap``, ``sequential``, ``waited``, ``rules``), and prints
the first rule broken as ``❌ Not yet: ...``, or ``✅ ...`` when none is.
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextlib
import ctypes
import gc
import inspect
import linecache
import math
import os
import re
import sys
import sysconfig
import threading
import types
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from .recording import BLOCKING_THRESHOLD, SYNC_REASONS, Recording, Span, seconds
from .recorder import measure

__all__ = ["Run", "Verdict", "call", "equal", "expect", "explain", "not_blocking", "number",
           "quiz", "report", "run", "time_limit", "where"]


class Verdict:
    """The outcome of a check: true when right.  Shows nothing in a notebook,
    because the check already printed its message."""

    __slots__ = ("ok", "message")

    def __init__(self, ok: bool, message: str) -> None:
        self.ok, self.message = bool(ok), message

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return f"Verdict({self.ok}, {self.message!r})"

    def _ipython_display_(self) -> None:  # the printed line is enough
        return None


def report(ok: bool, good: str, bad: str) -> Verdict:
    """Print ``✅ good`` or ``❌ Not yet: bad`` and return a :class:`Verdict`."""
    message = f"✅ {good}" if ok else f"❌ Not yet: {bad}"
    print(message)
    return Verdict(ok, message)


# --------------------------------------------------------------------------
# Whose code is it?  (the learner's: a notebook cell or their own file)
# --------------------------------------------------------------------------
_PACKAGE_DIR = os.path.dirname(os.path.realpath(__file__)) + os.sep
_LIBRARY_DIRS = tuple({os.path.realpath(p) + os.sep for key in ("stdlib", "platstdlib", "purelib", "platlib")
                       if (p := sysconfig.get_paths().get(key))})


def learners(filename: str) -> bool:
    """True for code the learner wrote (a cell, a script), not Python's, a library's or the course's."""
    if filename.startswith("<"):
        return not filename.startswith("<frozen")
    real = os.path.realpath(filename)
    return not real.startswith(_LIBRARY_DIRS) and not real.startswith(_PACKAGE_DIR)


def _line(filename: str, lineno: int) -> str:
    return linecache.getline(filename, lineno).strip()


def where(name: str, filename: str, lineno: int, first: int | None = None) -> str:
    """``"line 3 of fetch: `time.sleep(0.3)`"`` (line counted from the function's first line)."""
    text = _line(filename, lineno)
    n = lineno - first + 1 if first else lineno
    return f"line {n} of {name}" + (f": `{text}`" if text else "")


def _frame_where(frame: Any, lineno: int | None = None) -> str:
    code = frame.f_code
    return where(code.co_name, code.co_filename, lineno or frame.f_lineno, code.co_firstlineno)


def _traceback_where(exc: BaseException) -> str | None:
    last = None
    tb = exc.__traceback__
    while tb is not None:
        if learners(tb.tb_frame.f_code.co_filename):
            last = (tb.tb_frame, tb.tb_lineno)
        tb = tb.tb_next
    return _frame_where(*last) if last else None


def _name_of(work: Any) -> str:
    name = getattr(work, "__qualname__", None) or getattr(work, "__name__", None) or "your code"
    return name.rsplit(".", 1)[-1]


def _has_ellipsis(code: types.CodeType, depth: int = 0) -> bool:
    return depth < 4 and any(c is Ellipsis or (isinstance(c, types.CodeType) and _has_ellipsis(c, depth + 1))
                             for c in code.co_consts)


def blank_in(func: Any, globals_: Mapping[str, Any] | None = None) -> str | None:
    """The name of the learner's function (or one it calls by name) that still holds a ``...``."""
    code = getattr(func, "cr_code", None) or getattr(func, "__code__", None)
    if code is None or not learners(code.co_filename):
        return None
    if _has_ellipsis(code):
        return code.co_name
    scope = globals_ if globals_ is not None else getattr(func, "__globals__", None)
    if scope is None and getattr(func, "cr_frame", None) is not None:
        scope = func.cr_frame.f_globals
    names = list(code.co_names) + [n for c in code.co_consts if isinstance(c, types.CodeType) for n in c.co_names]
    for name in names:
        inner = getattr((scope or {}).get(name), "__code__", None)
        if inner is not None and learners(inner.co_filename) and _has_ellipsis(inner):
            return name
    return None


def close(value: Any) -> bool:
    """Close coroutines in ``value`` (and the coroutines they were given), cancel
    unfinished Futures in it, so none of them warns later.  True if there was one."""
    items = list(value.values()) if isinstance(value, dict) else list(value) \
        if isinstance(value, (list, tuple, set)) else [value]
    found = False
    for item in items:
        if inspect.iscoroutine(item):
            frame = item.cr_frame
            for inner in list(frame.f_locals.values()) if frame is not None else ():
                if inspect.iscoroutine(inner) and inner is not item:
                    inner.close()
            item.close()
            found = True
        elif isinstance(item, asyncio.Future):
            if not item.done():
                item.cancel()
            found = True
    return found


# --------------------------------------------------------------------------
# A time limit that also stops code that never awaits
# --------------------------------------------------------------------------
class TimeLimit(BaseException):
    """Raised inside code that held the loop past its time limit (not an
    Exception, so `except Exception:` in the learner's code does not swallow it)."""


class _Watchdog:
    """``with time_limit(3):`` stops the code in the block if it runs, without
    ever pausing, 3 s after the block began (``while True: pass``).

    A watchdog thread raises :class:`TimeLimit` in this thread; ``fired`` says
    whether it did.  (A call that sleeps in C, like ``time.sleep(100)``, is
    stopped only when it returns.)
    """

    def __init__(self, limit: float) -> None:
        self.limit, self.fired, self._done = limit, False, threading.Event()
        self._lock = threading.Lock()

    def __enter__(self) -> "_Watchdog":
        target = threading.get_ident()

        def watch() -> None:
            if not self._done.wait(self.limit):
                with self._lock:
                    if not self._done.is_set():
                        self.fired = True
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(TimeLimit))

        threading.Thread(target=watch, name="asynclab-time-limit", daemon=True).start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._done.set()

    def __exit__(self, *exc: Any) -> bool:
        self.stop()
        return False


# --------------------------------------------------------------------------
# Running an attempt
# --------------------------------------------------------------------------
@dataclass
class Run:
    """What happened when the learner's code ran (see :func:`run`)."""

    name: str = "your code"
    rec: Recording | None = None
    result: Any = None
    error: BaseException | None = None
    problem: str | None = None          # the check was handed the wrong kind of thing
    time_limit: float = 0.0
    timed_out: bool = False
    stuck_at: str | None = None         # where the code was waiting when the time ran out
    threads: list[str] = field(default_factory=list)     # threads that could not be stopped
    stubborn: list[str] = field(default_factory=list)    # tasks that ignored cancellation
    never_awaited: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)        # tasks still running at the return
    unawaited: list[str] = field(default_factory=list)   # tasks that finished, awaited by nobody
    returned_awaitable: str | None = None                # "a coroutine" / "a Future" / "Tasks" in the result
    extra: dict[str, Any] = field(default_factory=dict)  # what an exercise's own probe found

    def show(self, **kwargs: Any) -> None:
        """Draw the run's timeline (nothing when it did not get that far)."""
        if self.rec is not None and self.rec.spans:
            from .timeline import show

            show(self.rec, **kwargs)

    @property
    def requests(self) -> Any:
        """Every aiohttp request the code made (a :class:`~asynclab.downloads.RequestLog`), or None."""
        return self.extra.get("requests")

    def __repr__(self) -> str:
        return f"<Run of {self.name}: {'error' if self.error else 'result'}>"


class _Interrupted(BaseException):
    """A KeyboardInterrupt or SystemExit raised inside a task of the attempt, carried as an ordinary
    error: asyncio re-raises those two out of the event loop itself, which kills a kernel."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(original)
        self.original = original


class _Guarded(collections.abc.Coroutine):
    """The learner's coroutine, unchanged but for KeyboardInterrupt/SystemExit (see :class:`_Interrupted`).
    Everything else (``cr_frame``, ``cr_code``, ``__qualname__``...) is the coroutine's own."""

    __slots__ = ("_inner",)

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def send(self, value: Any) -> Any:
        try:
            return self._inner.send(value)
        except (KeyboardInterrupt, SystemExit) as exc:
            raise _Interrupted(exc) from exc

    def throw(self, *exc: Any) -> Any:
        try:
            return self._inner.throw(*exc)
        except (KeyboardInterrupt, SystemExit) as error:
            raise _Interrupted(error) from error

    def close(self) -> None:
        self._inner.close()

    def __await__(self) -> Any:
        return self._inner.__await__()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __repr__(self) -> str:
        return repr(self._inner)


class _Watched(asyncio.Task):
    """A Task that notes whether anyone waits for it (``await``, gather, TaskGroup...)."""

    awaited = False
    inner: Any = None  # the learner's coroutine when it runs inside a _Guarded

    def get_coro(self) -> Any:
        return self.inner if self.inner is not None else super().get_coro()

    def add_done_callback(self, fn: Any, *, context: Any = None) -> None:
        self.awaited = True
        super().add_done_callback(fn, context=context)

    def __await__(self) -> Any:
        self.awaited = True
        return (yield from super().__await__())

    __iter__ = __await__

    def result(self) -> Any:
        self.awaited = True
        return super().result()

    def exception(self) -> Any:
        self.awaited = True
        return super().exception()


_NEVER_AWAITED = re.compile(r"coroutine '([^']+)' was never awaited")
_ORIGIN = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')


def _chain(task: Any) -> list[Any]:
    """The frames of a pending task's coroutine and of every coroutine it is awaiting."""
    frames, coro = [], task.get_coro() if isinstance(task, asyncio.Task) else None
    for _ in range(100):
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        frames.append(frame)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return frames


def _stack_where(task: Any) -> tuple[str | None, bool]:
    """Where a pending task's learner code is waiting, and whether that is a thread."""
    frames = [f for f in _chain(task) if learners(f.f_code.co_filename)]
    if not frames:
        return None, False
    text = _frame_where(frames[-1])
    return text, ("to_thread" in text or "run_in_executor" in text)


def _wrong_kind(work: Any, call: str) -> str | None:
    if work is ...:
        return f"`{call.split('(')[0]}` is still `...`. Write your answer and run the cell again."
    if isinstance(work, Recording):
        return f"this is a recording, not your code: pass the call itself, check.run({call})."
    if isinstance(work, Run):
        return f"this is already a finished run: pass the call itself, check.run({call})."
    if isinstance(work, asyncio.Future):
        return f"this is a Task or Future: pass the coroutine, check.run({call}) without create_task or await."
    if inspect.isawaitable(work) or inspect.iscoroutinefunction(work):
        return None
    if callable(work):
        return (f"{_name_of(work)} is a plain function (`def`): the exercise needs `async def` "
                "so that it can await.")
    shown = repr(work)
    shown = shown if len(shown) < 60 else shown[:57] + "..."
    return (f"check.run needs your coroutine, such as {call} (called, not awaited), but got "
            f"{type(work).__name__} {shown}. If you wrote `await` in front of it, take the `await` away.")


async def run(work: Any, *args: Any, time_limit: float = 5.0, call: str | None = None) -> Run:
    """Run the learner's ``work`` and note everything a check needs.  Never raises, never hangs.

    ``work`` is a coroutine (``main()``), or a coroutine function called here
    with ``args``.  It runs under :func:`~asynclab.measure` in a task of its
    own; after ``time_limit`` seconds it is cancelled (and if it holds the loop
    without awaiting, stopped by :class:`time_limit`).  Every task it started
    that is still running at the end is cancelled, and its errors retrieved, so
    nothing outlives the cell.  Coroutines it created and never awaited are
    named in ``never_awaited`` (warnings of earlier cells are flushed first and
    never counted); tasks still running when it returned are in ``lost``,
    finished tasks that nobody awaited in ``unawaited``.

    The limit of the limit: code that never awaits is interrupted about 1 s
    after ``time_limit``, but only while Python runs it.  A call that waits
    outside Python (``time.sleep(100)``, a socket read without a timeout) holds
    the loop until it returns, so the check answers only then, naming that
    line.  Threads are never stopped: they are named.  A task factory the
    learner installed (``loop.set_task_factory``) still makes the attempt's
    tasks; if it raises, that is the attempt's error, and it is the loop's
    factory again afterwards.
    """
    name = _name_of(work)
    out = Run(name=name, time_limit=time_limit)
    label = call or f"{name}(...)"
    problem = _wrong_kind(work, label)
    if problem is None and inspect.iscoroutinefunction(work):
        if not args:
            problem = f"this is the function {name} itself: call it, check.run({label})."
        else:
            try:
                work = work(*args)
            except BaseException as exc:  # a wrong signature, a KeyboardInterrupt...
                out.error = exc
                return out
    if problem is None and not inspect.isawaitable(work):
        problem = _wrong_kind(work, label)
    if problem is None:
        missing = blank_in(work)
        if missing:
            problem = f"`{missing}` still has a `...` blank. Replace each `...` with your answer and run the cell again."
    if problem is not None:
        close(work)
        out.problem = problem
        return out
    with warnings.catch_warnings(record=True):  # coroutines of earlier cells: not this attempt's, not shown
        warnings.simplefilter("always", RuntimeWarning)
        gc.collect()
    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()
    created: list[asyncio.Future] = []
    ours: set[Any] = set()
    by_learner: set[Any] = set()  # created by a call in the learner's code (not by a library)

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Future:
        if previous is not None:
            try:
                task = previous(loop, coro, **kwargs)
            except (KeyboardInterrupt, SystemExit) as exc:  # as an error of the code that made the task
                close(coro)
                raise _Interrupted(exc) from exc
        else:
            guarded = asyncio.current_task() in ours and inspect.iscoroutine(coro)
            task = _Watched(_Guarded(coro) if guarded else coro, loop=loop, **kwargs)
            if guarded:
                task.inner = coro
        if asyncio.current_task() in ours:
            created.append(task)
            ours.add(task)
            frame = sys._getframe(1)
            while frame is not None and frame.f_code.co_filename.startswith(_ASYNCIO_DIRS):
                frame = frame.f_back
            if frame is not None and learners(frame.f_code.co_filename):
                by_learner.add(task)
        return task

    depth = sys.get_coroutine_origin_tracking_depth()
    watching = contextlib.nullcontext(None)
    if "aiohttp" in sys.modules:
        from .downloads import watch_requests

        watching = watch_requests()
    with warnings.catch_warnings(record=True) as caught, watching as log:
        if log is not None:
            out.extra["requests"] = log
        warnings.simplefilter("always", RuntimeWarning)
        sys.set_coroutine_origin_tracking_depth(max(depth, 12))
        loop.set_task_factory(factory)
        try:
            measuring = _Watched(measure(f"your {name}", work, raise_errors=False), loop=loop)  # not the learner's factory
            ours.add(measuring)
            with _Watchdog(time_limit + 1.0) as guard:
                done, _ = await asyncio.wait({measuring}, timeout=time_limit)
                guard.stop()
        finally:
            if loop.get_task_factory() is factory or getattr(loop.get_task_factory(), "__asynclab_wraps__", None) is factory:
                loop.set_task_factory(previous)
            sys.set_coroutine_origin_tracking_depth(depth)
        if not done:
            out.timed_out = True
            out.stuck_at, in_thread = _stack_where(measuring)
            for task in created:
                if not task.done():
                    text, thread = _stack_where(task)
                    out.stuck_at = out.stuck_at or text
                    in_thread = in_thread or thread
                    if thread and text:
                        out.threads.append(text)
            if in_thread and out.stuck_at and out.stuck_at not in out.threads:
                out.threads.insert(0, out.stuck_at)
        elif measuring.cancelled():
            out.error = asyncio.CancelledError()
        else:
            try:
                rec = measuring.result()
            except BaseException as exc:  # measure() refused the awaitable, or our limit fired
                out.error = exc
            else:
                out.rec, out.result, out.error = rec, rec.result, rec.error
                while isinstance(out.error, BaseExceptionGroup) and len(out.error.exceptions) == 1 \
                        and isinstance(out.error.exceptions[0], _Interrupted):
                    out.error = out.error.exceptions[0]
                if isinstance(out.error, _Interrupted):
                    out.error = out.error.original
                if isinstance(out.error, TimeLimit) or guard.fired:
                    out.error, out.timed_out = None, True
                    out.stuck_at = _traceback_where(rec.error) if rec.error else None
                for task in created:
                    if task not in by_learner:
                        continue
                    coro = task.get_coro() if isinstance(task, asyncio.Task) else None
                    label = rec.lane_of(task) or f"{getattr(coro, '__qualname__', 'a task')}(...)"
                    if not task.done():
                        out.lost.append(label)
                    elif not getattr(task, "awaited", True) and not task.cancelled():
                        out.unawaited.append(label)
                out.returned_awaitable = _awaitable_in(out.result)
        # stop everything the attempt started
        leftovers = [t for t in [measuring, *created] if not t.done()]
        for _ in range(5):
            if not leftovers:
                break
            for task in leftovers:
                task.cancel()
            await asyncio.wait(leftovers, timeout=0.4)
            leftovers = [t for t in leftovers if not t.done()]
        located = [text for t in leftovers if (text := _stack_where(t)[0])]  # the learner's line, if any
        out.stubborn = located or [(call or f"{name}(...)") if t is measuring else
                                   f"{getattr(t.get_coro(), '__qualname__', 'a task')}(...)" for t in leftovers]
        for task in created + [measuring]:
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: asyncio does not log it
        if out.rec is not None:
            out.rec.refresh()
        if out.error is not None:
            _close_unstarted(out.error)
        created.clear()
        ours.clear()
        by_learner.clear()
        del measuring, work
        gc.collect()  # a coroutine never awaited warns when it is destroyed: now
    for w in caught:
        found = _NEVER_AWAITED.search(str(w.message))
        if found:
            origins = [m for m in _ORIGIN.finditer(str(w.message)) if learners(m.group(1))]
            if origins:  # made by this attempt, in the learner's code
                f, n, func = origins[-1].groups()
                text = _line(f, int(n))
                called = found.group(1).rsplit(".", 1)[-1]
                out.never_awaited.append(f"`{text}` in {func}" if text else f"{called}(...) in {func}")
        elif learners(w.filename) and not issubclass(w.category, RuntimeWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return out


#: ``with check.time_limit(3): ...`` stops synchronous code that runs too long.
time_limit = _Watchdog


# frames between a create_task() call and the task factory: asyncio's, the recorder's wrapper, ours
_ASYNCIO_DIRS = (os.path.dirname(asyncio.__file__) + os.sep, os.path.join(_PACKAGE_DIR, "recorder.py"),
                 os.path.join(_PACKAGE_DIR, "check.py"))


def _close_unstarted(exc: BaseException) -> None:
    """Close coroutines that never started, held by the frames of an exception's traceback
    (``gather([coro, ...])`` raises with the list still in a local), so they do not warn later."""
    tb = exc.__traceback__
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            for item in value if isinstance(value, (list, tuple)) else [value]:
                if inspect.iscoroutine(item) and inspect.getcoroutinestate(item) == inspect.CORO_CREATED:
                    item.close()
        tb = tb.tb_next


def _awaitable_in(value: Any) -> str | None:
    items = list(value.values()) if isinstance(value, dict) else list(value) \
        if isinstance(value, (list, tuple)) else [value]
    kinds = []
    for item in items:
        if inspect.iscoroutine(item):
            kinds.append(f"the coroutine object {item.__qualname__.rsplit('.', 1)[-1]}(...)")
        elif isinstance(item, asyncio.Task):
            kinds.append("a Task")
        elif isinstance(item, asyncio.Future):
            kinds.append("a Future (such as asyncio.gather(...))")
    if kinds:
        close(value)
        return kinds[0]
    return None


# --------------------------------------------------------------------------
# Explaining
# --------------------------------------------------------------------------
_ADVICE: list[tuple[Callable[[BaseException, str], bool], str]] = [
    (lambda e, t: isinstance(e, KeyboardInterrupt),
     "The check caught it, so the kernel is fine; take the `raise` (or what raised it) away."),
    (lambda e, t: isinstance(e, SystemExit),
     "sys.exit() (or `raise SystemExit`) ends a script; in a notebook it only stops your code. Take it away."),
    (lambda e, t: isinstance(e, asyncio.CancelledError),
     "Your code was cancelled (or raised CancelledError itself): let it finish normally."),
    (lambda e, t: isinstance(e, GeneratorExit),
     "GeneratorExit is what Python raises to close a coroutine; do not raise it yourself."),
    (lambda e, t: "ellipsis" in t or "do not inherit from BaseException" in t,
     "A `...` blank is still in the code: fill it in."),
    (lambda e, t: "can't be used in 'await' expression" in t or "can't be awaited" in t,
     "Only awaitables (coroutines, Tasks, Futures) can follow `await`; a plain call such as "
     "time.sleep(...) returns None, which is not one."),
    (lambda e, t: "await wasn't used with future" in t,
     "A Future such as asyncio.gather(...) was used without `await`: put `await` in front."),
    (lambda e, t: "unhashable type: 'list'" in t,
     "asyncio.gather() takes each awaitable as its own argument: unpack the list with a star, gather(*coros)."),
    (lambda e, t: "awaitable is required" in t or "a coroutine was expected" in t,
     "asyncio needs a coroutine here, such as job(x) called without `await`, not its result."),
    (lambda e, t: isinstance(e, TypeError) and "not callable" in t,
     "Pass the function and its arguments separately, e.g. asyncio.to_thread(read_url, url), "
     "not asyncio.to_thread(read_url(url)), which calls it at once."),
    (lambda e, t: isinstance(e, TypeError) and "'coroutine'" in t,
     "A coroutine object was used as if it were its result: put `await` in front of the call."),
    (lambda e, t: isinstance(e, asyncio.InvalidStateError) and "not set" in t,
     ".result() on a Task or Future that is not done yet raises this: `await` it instead, which waits "
     "for the result."),
    (lambda e, t: isinstance(e, TimeoutError),
     "A timeout fired and nothing caught it, so every result was lost. Catch TimeoutError where you give up."),
    (lambda e, t: isinstance(e, BaseExceptionGroup),
     "One task failed, so the TaskGroup cancelled the other tasks and raised the errors together."),
]


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc.original if isinstance(exc, _Interrupted) else exc


def explain(exc: BaseException, who: str = "your code", advice: Mapping[type, str] | None = None) -> str:
    """Plain words for an exception the learner's code raised, with their line."""
    leaf = _leaf(exc)
    said = str(leaf).strip()
    said = said[:-1] if said.endswith(".") and not said.endswith("..") else said  # our sentence ends it
    text = f"{type(leaf).__name__}: {said}" if said else type(leaf).__name__
    if leaf is not exc:
        text = f"an ExceptionGroup from a TaskGroup ({text}"
        text += f" and {len(exc.exceptions) - 1} more)" if len(exc.exceptions) > 1 else ")"
    at = _traceback_where(leaf) or _traceback_where(exc)
    message = f"{who} raised {text}" + (f", at {at}" if at else "") + "."
    for kind, words in (advice or {}).items():
        if isinstance(exc, kind) or isinstance(leaf, kind):
            return f"{message} {words}"
    for test, words in _ADVICE:
        if test(leaf, str(leaf)) or test(exc, str(leaf)):
            return f"{message} {words}"
    return message


def _blocked_words(span: Span) -> str:
    """``line 3 of fetch, `time.sleep(0.3)`, held the event loop...``: a cell's line counted from the
    function's ``def`` (line 1), like :func:`where`; a file's line is named with the file."""
    where = span.where or ""
    in_cell = re.fullmatch(r"(\S+), line (\d+)(?:: (.*))?", where)
    in_file = re.fullmatch(r"(\S+), (\S+) line (\d+)(?:: (.*))?", where)
    a_loop = re.fullmatch(r"(\S+) \(a loop\)", where)
    if in_cell:
        place = f"line {in_cell[2]} of {in_cell[1]}" + (f", `{in_cell[3]}`," if in_cell[3] else "")
    elif in_file:
        place = (f"`{in_file[4]}` in {in_file[1]} ({in_file[2]} line {in_file[3]})," if in_file[4]
                 else f"{in_file[1]} ({in_file[2]} line {in_file[3]})")
    elif a_loop:
        place = f"a loop in {a_loop[1]}"
    else:
        place = span.label
    return (f"{place} held the event loop for {seconds(span.duration)} without awaiting "
            "(a blocking call such as time.sleep, urllib or heavy computing), so no other task could run.")


def _first(spans: list[Span]) -> Span:
    """The first blocking step: which was *longest* depends on the machine's load."""
    return min(spans, key=lambda s: (s.start, s.lane))


def _names(items: Sequence[str]) -> str:
    return ", ".join(items[:3]) + (", …" if len(items) > 3 else "")


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 90 else text[:87] + "..."


def _general(run: Run, who: str, hang: str = "") -> str | None:
    """The rules every exercise shares, in order; the first broken one in words."""
    if run.problem:
        return run.problem
    if run.timed_out:
        text = f"your code was still running after {run.time_limit:g} s"
        held = max((s.duration for s in run.rec.blocking_spans()), default=0) if run.rec is not None else 0
        if held:  # the watchdog stopped it (see run)
            text += f", at {run.stuck_at or 'a step'}, which held the event loop for {seconds(held)} without awaiting"
            if held > run.time_limit + 2:
                text += ("; a call that waits outside Python (such as time.sleep) cannot be interrupted, so the "
                         "check could answer only when it returned")
            return f"{text}. {hang or 'Await instead (asyncio.sleep, asyncio.to_thread), so that the loop stays free.'}"
        text += f", waiting at {run.stuck_at}" if run.stuck_at else ""
        text += ". The check stopped it and cancelled everything it started."
        if run.threads:
            text += (f" A thread cannot be cancelled: the one started at {run.threads[0]} may still be running. ")
        text += " " + (hang or "Something waits forever (or far too long): look for a wait that nothing ends.")
        if run.stubborn:
            text += (f" A task caught the cancellation and went on running ({run.stubborn[0]}); "
                     "restart the kernel to stop it.")
        return text.replace("  ", " ").strip()
    if run.error is not None:
        return explain(run.error, who, run.extra.get("advice"))
    if run.result is ...:
        return f"{who} still returns `...`. Replace it with your answer."
    if run.returned_awaitable:
        return (f"{who} returned {run.returned_awaitable} instead of values: it never ran to the end. "
                "Put `await` in front of it.")
    if run.never_awaited:
        return (f"{run.never_awaited[0]} was called but never awaited, so its body never ran. "
                "Put `await` in front of it (or hand it to asyncio.gather / create_task).")
    if run.lost:
        return (f"{len(run.lost)} task(s) were still running when {who} returned ({_names(run.lost)}): "
                "their work was lost (the check cancelled them). Keep every task you start and await it "
                "before returning: asyncio.gather(*tasks) or `async with asyncio.TaskGroup()`.")
    if run.unawaited:
        return (f"{who} started {_names(run.unawaited)} as task(s) but never awaited them: they finished "
                "only because something else took long enough. Await every task you start "
                "(asyncio.gather(*tasks) or a TaskGroup), so you know it finished and see its errors.")
    return None


def number(value: Any, name: str) -> str | None:
    """A sentence when ``value`` is not a usable number of seconds (blank, text, NaN, inf, negative)."""
    if value is ...:
        return f"`{name}` is still `...`: write a number of seconds, like 1.5."
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"`{name}` should be a number of seconds, like 1.5; it is {_describe(value)}."
    if math.isnan(value):
        return f"`{name}` is NaN (not a number): write the number of seconds you expect."
    if math.isinf(value):
        return f"`{name}` is infinite: nothing in this exercise waits forever; write a number of seconds."
    if value < 0:
        return f"`{name}` is negative ({value}): a duration cannot be less than 0 s."
    return None


def expect(run_: Any, rules: Mapping[str, Any] | None = None, /, *, result: Any = ..., any_order: bool = False,
           overlap: int | None = None, sequential: bool = False, waited: float | None = None,
           may_block: bool = False, checks: Sequence[Callable[[Run], str | None]] = (),
           wrong_result: Callable[[Any], str | None] | None = None, done: str | None = "", hang: str = "",
           who: str | None = None, advice: Mapping[type, str] | None = None) -> Verdict:
    """Judge a :class:`Run` by an exercise's rules and print the first one broken.

    ``rules`` (a dict, e.g. an exercise module's ``EX1``) gives defaults for
    the keywords.  The shared rules come first (see :func:`run`); then
    ``wrong_result(value)`` for exercise-specific words about the value, ``result``
    (``any_order`` compares sorted), blocking (unless ``may_block``),
    ``overlap`` (that many waits in progress at once, not counting waits for a
    Lock, Semaphore, Queue...), ``sequential`` (never two at once), ``waited``
    (the code waited at least that long at an ``await``), and last ``checks``:
    functions of the run that return a message or None.  ``done`` is the ✅
    sentence (``None``: print only a ❌, for probes that go on judging); ``hang``
    says what a hang usually means in this exercise.
    """
    if rules:
        given = dict(result=result, any_order=any_order, overlap=overlap, sequential=sequential, waited=waited,
                     may_block=may_block, checks=checks, wrong_result=wrong_result, done=done, who=who,
                     advice=advice, hang=hang)
        defaults = dict(result=..., any_order=False, overlap=None, sequential=False, waited=None,
                        may_block=False, checks=(), wrong_result=None, done="", who=None, advice=None, hang="")
        merged = {**defaults, **{k: v for k, v in rules.items() if k in defaults},
                  **{k: v for k, v in given.items() if v is not defaults[k] and v != defaults[k]}}
        return expect(run_, **merged)
    if not isinstance(run_, Run):
        if inspect.iscoroutine(run_) and run_.cr_code is run.__code__:
            close(run_)
            return report(False, "", "`run` is a coroutine: put `await` in front of check.run(...), "
                                     "`run = await check.run(...)`.")
        close(run_)
        return report(False, "", f"the check needs what `await check.run(...)` gave back, "
                                 f"not {type(run_).__name__} {_describe(run_)[:40]}.")
    who = who or run_.name
    if advice:
        run_.extra["advice"] = advice
    problem = _general(run_, who, hang)
    value = run_.result
    if not problem and wrong_result is not None:
        problem = wrong_result(value)
    if not problem and result is not ...:
        same = value == result
        if any_order and isinstance(value, (list, tuple)) and not same:
            try:
                same = sorted(value) == sorted(result)
            except TypeError:
                same = False
        if not same:
            order = " (in any order)" if any_order else ""
            problem = f"{who} returned {_describe(value)}, expected {_describe(result)}{order}."
            problem += " Is the `return` line missing?" if value is None else ""
    rec = run_.rec
    if not problem and rec is not None and not may_block:
        blocked = rec.blocking_spans()
        if blocked:
            problem = _blocked_words(_first(blocked))
    if not problem and rec is not None and overlap:
        real = rec.max_overlap("wait", exclude=SYNC_REASONS)
        queued = rec.max_overlap("wait")
        if real < overlap:
            if queued >= overlap and real <= 1:
                problem = (f"the {len(rec.jobs)} jobs were started together, but waited in line for a Lock or "
                           "Semaphore and did their work one at a time: queueing is not concurrency. "
                           "Take the lock away (or let more through).")
            elif real <= 1:
                problem = (f"the {len(rec.jobs)} waits ran one after another (never two at once). "
                           "Start them all before awaiting any: asyncio.gather(...), create_task(...) or a TaskGroup.")
            else:
                problem = (f"only {real} of the {len(rec.jobs)} waits were in progress at the same time; "
                           f"expected {overlap}. Start all of them before awaiting any.")
    if not problem and rec is not None and sequential and rec.max_overlap() > 1:
        problem = (f"up to {rec.max_overlap()} steps overlapped; this exercise wants each to finish "
                   "before the next starts.")
    if not problem and rec is not None and waited:
        waits = sum(s.duration for s in rec.spans if s.state == "wait")
        if waits < waited * 0.8:
            problem = (f"{who} waited only {seconds(waits)} at an `await`; it should wait {seconds(waited)} "
                       "(with `await asyncio.sleep(...)`).")
    for rule in checks:
        if problem:
            break
        problem = rule(run_)
    if problem:
        return report(False, "", problem)
    if done is None:
        return Verdict(True, "")
    return report(True, done or f"{who} did everything the exercise asks. Correct!", "")


# --------------------------------------------------------------------------
# Values the learner writes
# --------------------------------------------------------------------------
def call(func: Any, *args: Any, who: str | None = None, limit: float = 2.0) -> tuple[Any, str | None]:
    """Call the learner's plain function: ``(its value, None)``, or ``(None, a sentence)`` when it
    raised (KeyboardInterrupt too), ran past ``limit`` seconds or returned a coroutine."""
    who = who or f"{_name_of(func)}(...)"
    try:
        with _Watchdog(limit):
            value = func(*args)
    except TimeLimit:
        return None, f"{who} was still running after {limit:g} s: it never returns."
    except BaseException as exc:  # the learner's mistake, in words
        return None, explain(exc, who)
    if inspect.iscoroutine(value):
        close(value)
        return None, f"{who} returned a coroutine: it is an ordinary `def`, not `async def`."
    return value, None


def equal(actual: Any, expected: Any, name: str = "your answer", *, hint: str = "") -> Verdict:
    """Check a value.  Explains blanks, unawaited coroutines, wrong types, NaN and infinities."""
    if actual is ...:
        return report(False, "", f"`{name}` is still `...`. Replace the `...` with your answer and run the cell again.")
    if inspect.iscoroutine(actual):
        close(actual)
        return report(False, "", f"{name} is a coroutine object, not its result. Put `await` in front of the call.")
    if inspect.iscoroutinefunction(actual):
        return report(False, "", f"{name} is the function itself. Call it (with parentheses) and await the result.")
    if isinstance(actual, asyncio.Future):
        return report(False, "", f"{name} is a Task or Future. `await` it to get its value.")
    numbers = isinstance(expected, (int, float)) and not isinstance(expected, bool)
    if numbers and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        if not math.isfinite(actual):
            return report(False, "", f"{name} is {actual}, which is not a usable number. {hint}".strip())
        ok = abs(actual - expected) <= 1e-9 + 1e-6 * abs(expected)
    elif type(actual) is not type(expected):
        return report(False, "", f"{name} should be a {type(expected).__name__}, "
                                 f"but it is a {type(actual).__name__}: {_describe(actual)}. {hint}".strip())
    else:
        ok = actual == expected
    return report(ok, f"{name} is {expected!r}. Correct!",
                  f"{name} is {_describe(actual)}, expected {expected!r}. {hint}".strip())


def quiz(answers: Any, key: Mapping[Any, str], *, name: str, accepted: Mapping[str, str], blank: str,
         wrong: Callable[[Any, Any, Any], str], right: Callable[[Any, str], str] | None = None,
         done: str = "") -> Verdict:
    """A quiz: ``answers`` maps each question of ``key`` to an answer, one of ``accepted`` (a spelling, in any
    case, to the answer it means).  Prints ``blank`` when every answer is `...`, else every wrong one,
    ``wrong(question, meant, given)`` (``meant`` is `...`, or None when not accepted), in one ❌ line, or ✅
    ``done``.  With ``right(question, answer)``, one line per question instead."""
    if not isinstance(answers, Mapping):
        close(answers)
        return report(False, "", f"`{name}` should be a dict with an answer for each question, "
                                 f"not {type(answers).__name__} {_describe(answers)[:40]}.")
    missing = [question for question in key if question not in answers]
    if missing:
        keys = ", ".join(repr(k) for k in list(answers)[:3]) or "none"
        return report(False, "", f"`{name}` has no answer for {missing[0]!r} (its keys are {keys}): "
                                 f"keep the keys {', '.join(map(repr, key))}.")
    if all(answers[question] is ... for question in key):
        return report(False, "", blank)
    meant = {q: ... if answers[q] is ... else accepted.get(str(answers[q]).strip().casefold()) for q in key}
    if right is not None:  # every line printed, then the verdict
        lines = [report(meant[q] == a, right(q, a), "" if meant[q] == a else wrong(q, meant[q], answers[q]))
                 for q, a in key.items()]
        return Verdict(all(lines), "")
    problems = [wrong(q, meant[q], answers[q]).rstrip(".") for q, a in key.items() if meant[q] != a]
    return report(not problems, done, "; ".join(problems) + ".")


def not_blocking(rec: Any, threshold: float = BLOCKING_THRESHOLD) -> Verdict:
    """Right when no single step of a recording held the loop longer than ``threshold`` (lesson cells)."""
    if isinstance(rec, Run):
        rec = rec.rec
    if not isinstance(rec, Recording):
        close(rec)
        return report(False, "", "this needs a recording: `rec = await measure(\"title\", main())`.")
    blocked = rec.blocking_spans(threshold)
    if not blocked:
        return report(True, f"no step held the event loop for more than {threshold * 1000:.0f} ms.", "")
    return report(False, "", _blocked_words(_first(blocked)))
