"""A tiny event loop built from plain generators: asyncio's core idea, small enough to read.

A *task* is a generator.  Each ``yield`` hands a *request* to the loop and
pauses the task right there:

* ``yield Sleep(0.2)``: wake me in 0.2 s, and run the other tasks meanwhile;
* ``yield`` (that is, ``yield None``): let the others run, then continue at
  once (asyncio's ``await asyncio.sleep(0)``).

When the generator returns, the task is finished and its return value is kept.

The loop keeps the same two queues as asyncio's loop:

* ``ready``: tasks that may run now, first in, first out;
* ``timers``: sleeping tasks in a heap, the earliest wake-up first.

It has no I/O.  When nothing is ready it sleeps until the first timer is due,
where asyncio waits in ``selector.select(timeout)`` so that a socket becoming
readable can wake it up earlier.

>>> def hello():
...     yield Sleep(0.01)
...     return "hi"
>>> tiny = TinyLoop()
>>> tiny.spawn(hello()).name
'hello'
>>> tiny.run()
{'hello': 'hi'}
"""

from __future__ import annotations

import heapq
import inspect
import itertools
import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Generator

from .timeline import BLOCKING_THRESHOLD, Recording, seconds

__all__ = ["BadRequest", "Sleep", "Task", "TinyLoop"]

clock = time.perf_counter  # the clock of asynclab.timeline, so recordings line up

#: The trace only mentions an idle wait at least this long (shorter ones are
#: two timers due at almost the same moment, not worth a line).
TRACE_IDLE_MIN = 0.01


@dataclass(frozen=True)
class Sleep:
    """The request ``yield Sleep(seconds)``: wake this task after ``seconds``."""

    seconds: float

    def __post_init__(self) -> None:
        if isinstance(self.seconds, bool) or not isinstance(self.seconds, (int, float)):
            raise TypeError(f"Sleep() takes a number of seconds, got {type(self.seconds).__name__}: {self.seconds!r}")
        if not math.isfinite(self.seconds) or self.seconds < 0:
            raise ValueError(f"Sleep() needs a finite number of seconds >= 0, got {self.seconds!r}")


class BadRequest(TypeError):
    """A task yielded something the tiny loop does not understand."""


@dataclass(eq=False)
class Task:
    """One generator run by the loop, and what happened to it."""

    name: str
    gen: Generator[Any, None, Any]
    done: bool = False
    result: Any = None
    #: every request the task yielded, in order (``Sleep(...)`` or ``None``)
    requests: list[Sleep | None] = field(default_factory=list)
    #: (start, end) of every step, as ``time.perf_counter()`` readings
    steps: list[tuple[float, float]] = field(default_factory=list)


class TinyLoop:
    """Run generator tasks concurrently on one thread, like a very small asyncio.

    ``trace=True`` prints one line per step: when it ran, which task, and what
    the task asked for.  Errors raised inside a task stop :meth:`run` (asyncio
    would keep them in the task instead).
    """

    def __init__(self, *, trace: bool = False) -> None:
        self.trace = trace
        self.tasks: list[Task] = []
        self.ready: deque[Task] = deque()
        self.timers: list[tuple[float, int, Task]] = []  # (wake-up time, tie-breaker, task)
        self._order = itertools.count()
        self._t0 = clock()
        self._end: float | None = None
        self._width = 0

    # -- the public interface -------------------------------------------------------
    def time(self) -> float:
        """Seconds since :meth:`run` started (since creation before that)."""
        return clock() - self._t0

    def spawn(self, gen: Generator[Any, None, Any], name: str | None = None) -> Task:
        """Add a generator as a new task, ready to run; return the :class:`Task`.

        Raises ``TypeError`` in plain words when ``gen`` is not a generator
        object (for instance the generator function itself, not called).
        """
        if inspect.isgeneratorfunction(gen):
            raise TypeError(f"spawn() got the generator function {gen.__name__} itself: "
                            f"call it to get a generator, spawn({gen.__name__}(...))")
        if inspect.iscoroutine(gen):
            gen.close()  # it will never run: avoid the "never awaited" warning
            raise TypeError("spawn() got a coroutine (from `async def`): the tiny loop runs plain "
                            "generators that `yield` requests; asyncio is the loop for coroutines")
        if not inspect.isgenerator(gen):
            raise TypeError(f"spawn() needs a generator object, got {type(gen).__name__}: {gen!r}. "
                            "A function makes generators only if its body contains `yield`.")
        base = name or gen.__name__
        taken = {t.name for t in self.tasks}
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base} #{n}"
        task = Task(name, gen)
        self.tasks.append(task)
        self.ready.append(task)
        return task

    def run(self) -> dict[str, Any]:
        """Run until every task has finished; return {task name: return value}."""
        self._t0, self._width = clock(), max((len(t.name) for t in self.tasks), default=0)
        while self.ready or self.timers:
            if not self.ready:                            # nothing to do: wait for the first timer
                self._idle(self.timers[0][0] - self.time())
            while self.timers and self.timers[0][0] <= self.time():
                _, _, task = heapq.heappop(self.timers)   # a timer is due:
                self.ready.append(task)                   # its task may run again
            for _ in range(len(self.ready)):              # one turn: run what was ready
                self._step(self.ready.popleft())
        self._end = clock()
        return {task.name: task.result for task in self.tasks}

    def recording(self, title: str = "tiny loop") -> Recording:
        """The last :meth:`run` as an ``asynclab.timeline`` recording, for ``show()``."""
        rec = Recording(title, t0=self._t0)
        for task in self.tasks:
            previous_end = None
            for start, end in task.steps:
                if previous_end is not None and start > previous_end:
                    rec.add_absolute(task.name, previous_end, start, "wait")
                rec.add_absolute(task.name, start, end, "run")
                previous_end = end
        return rec.finish(None if self._end is None else self._end - self._t0)

    def blocking_steps(self, threshold: float = BLOCKING_THRESHOLD) -> list[tuple[str, float]]:
        """(task name, duration) of every step that ran longer than ``threshold``."""
        return [(task.name, end - start) for task in self.tasks for start, end in task.steps
                if end - start > threshold]

    # -- the machinery --------------------------------------------------------------
    def _step(self, task: Task) -> None:
        """Resume one task until its next ``yield``, then act on its request."""
        started = clock()
        try:
            request = task.gen.send(None)                 # run the task's code up to its next yield
        except StopIteration as stop:                     # the generator returned: finished
            task.steps.append((started, clock()))
            task.done, task.result = True, stop.value
            self._say(started, task, f"finished, returned {stop.value!r}")
            return
        except BaseException:
            task.steps.append((started, clock()))
            raise
        task.steps.append((started, clock()))
        task.requests.append(request)
        if isinstance(request, Sleep):                    # "wake me later": into the timer heap
            wake_at = self.time() + request.seconds
            heapq.heappush(self.timers, (wake_at, next(self._order), task))
            self._say(started, task, f"asks to sleep {seconds(request.seconds)}")
        elif request is None:                             # "let the others run": back of the queue
            self.ready.append(task)
            self._say(started, task, "lets the others run")
        else:
            task.gen.close()
            raise BadRequest(_bad_request_message(task.name, request))

    def _idle(self, wait: float) -> None:
        if wait <= 0:
            return
        if self.trace and wait >= TRACE_IDLE_MIN:
            print(f"{seconds(self.time()):>7}  (nothing ready: the loop sleeps {seconds(wait)} "
                  "until the next timer)")
        time.sleep(wait)

    def _say(self, started: float, task: Task, what: str) -> None:
        if self.trace:
            print(f"{seconds(started - self._t0):>7}  {task.name:<{self._width}}  runs → {what}")


def _bad_request_message(name: str, request: Any) -> str:
    if request is Sleep:
        return (f"{name} yielded the class Sleep itself: call it with a number of seconds, "
                "for example `yield Sleep(0.3)`")
    if inspect.isgenerator(request) or inspect.iscoroutine(request):
        request.close()
        return (f"{name} yielded a {type(request).__name__} object: the tiny loop does not run "
                "nested tasks. Yield Sleep(seconds), or a bare `yield`")
    return (f"{name} yielded {request!r}, which the tiny loop does not understand: "
            "yield Sleep(seconds) to wait, or a bare `yield` to let the others run")
