"""Helpers and exercise checks for notebook 09, *Best practices*.

* :func:`count_primes`: pure-Python CPU work.  It lives in a module (not in a
  notebook cell) so that a ``ProcessPoolExecutor`` worker can import it.
* :func:`first_lanes`: a copy of a recording with only some lanes, to draw
  200 requests as a readable picture.
* :func:`measure_safely`: ``measure()`` for exercises: a learner's exception
  becomes a :class:`Failure` the checks explain, and tasks still running when
  the measured coroutine returned are cancelled, so nothing runs on after the
  cell.
* the checks of the four exercises: :func:`check_unblocked`,
  :func:`check_nothing_lost`, :func:`check_cancellable`, :func:`check_capped`
  (with :func:`try_download` to run the learner's downloader).

Every check prints one ``✅ ...`` or ``❌ Not yet: ...`` line and returns a
:class:`~asynclab.check.Verdict`; a wrong answer never raises.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass
from typing import Any, Callable, Coroutine, Sequence

from ..check import Verdict, attempt, is_blank, overlapped, report
from ..timeline import Recording, measure, seconds

__all__ = [
    "Failure",
    "check_cancellable",
    "check_capped",
    "check_nothing_lost",
    "check_unblocked",
    "count_primes",
    "first_lanes",
    "measure_safely",
    "try_download",
]


# --------------------------------------------------------------------------
# Lesson helpers
# --------------------------------------------------------------------------
def count_primes(limit: int) -> int:
    """How many primes are below ``limit``, by slow trial division.

    Deliberately pure Python: it holds the GIL the whole time, like most
    CPU-heavy code you write yourself.
    """
    count = 0
    for n in range(2, limit):
        for d in range(2, int(n ** 0.5) + 1):
            if n % d == 0:
                break
        else:
            count += 1
    return count


def first_lanes(rec: Recording, n: int, prefix: str = "", title: str | None = None) -> Recording:
    """A copy of ``rec`` holding only the first ``n`` lanes whose name starts with ``prefix``.

    Spans keep their times, and the copy keeps the wall time, so a panel of
    20 lanes still shows how long all the work took.
    """
    if not isinstance(rec, Recording):
        raise TypeError(f"first_lanes() takes a Recording, got {type(rec).__name__}")
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive whole number, got {n!r}")
    chosen = [lane for lane in rec.lanes if lane.startswith(prefix)]
    if not chosen:
        raise ValueError(f"no lane of {rec.title!r} starts with {prefix!r}; lanes start with "
                         f"{sorted({lane.split('(')[0] for lane in rec.lanes})}")
    kept = chosen[:n]
    if title is None:
        title = f"{rec.title} (first {len(kept)} of {len(chosen)})" if len(chosen) > len(kept) else rec.title
    return rec.subset(kept, title=title)


@dataclass
class Failure:
    """What :func:`measure_safely` returns when the measured code raised."""

    title: str
    error: Exception
    unfinished: list[str]

    def __repr__(self) -> str:
        return f"<Failure {self.title!r}: {type(self.error).__name__}: {self.error}>"


class _TaskCollector:
    """Note every task created on the loop while active; cancel the unfinished ones on exit.

    For :func:`try_download`, which runs the learner's code without
    ``measure`` (so :func:`asynclab.check.attempt` does not apply); it also
    catches aiohttp's own tasks, which ``measure`` would leave out.
    """

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.started: list[asyncio.Future] = []
        self.strays: list[asyncio.Future] = []

    async def __aenter__(self) -> "_TaskCollector":
        self.loop = asyncio.get_running_loop()
        self.previous = previous = self.loop.get_task_factory()

        def factory(loop: asyncio.AbstractEventLoop, inner: Coroutine, **kwargs: Any) -> asyncio.Future:
            if previous is not None:
                task = previous(loop, inner, **kwargs)
            else:
                task = asyncio.Task(inner, loop=loop, **kwargs)
            self.started.append(task)
            return task

        self.loop.set_task_factory(factory)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.loop.set_task_factory(self.previous)
        self.strays = [task for task in self.started if not task.done()]
        for task in self.strays:
            task.cancel()
        if self.strays:
            await asyncio.wait(self.strays, timeout=self.grace)
        for task in self.started:  # errors were reported by the checks: do not log them again
            if task.done() and not task.cancelled():
                task.exception()


async def measure_safely(title: str, coro: Coroutine[Any, Any, Any], grace: float = 2.0) -> Recording | Failure:
    """Like ``await measure(title, coro)``, for exercise cells (built on :func:`asynclab.check.attempt`).

    * If the measured code raises an ``Exception``, return a :class:`Failure`
      (the checks turn it into plain words) instead of a traceback.
    * Tasks the code started that are still running when it returned are
      listed in ``unfinished`` (as ``measure`` does), then **cancelled** and
      awaited for at most ``grace`` seconds, so a cell never leaves work behind.
    """
    if not asyncio.iscoroutine(coro):
        # Let measure() explain the misuse (a function, a missing call...).
        return await measure(title, coro)
    rec = await attempt(title, coro, grace=grace)
    for task in rec.tasks:  # errors were reported by the checks: do not log them again
        if task.done() and not task.cancelled():
            task.exception()
    if rec.error is not None:
        return Failure(title, rec.error, [rec.info[lane].runs for lane in rec.unfinished])
    return rec


def _failure_message(failure: Failure, who: str) -> str:
    error: BaseException = failure.error
    text = f"{type(error).__name__}: {error}"
    while isinstance(error, BaseExceptionGroup) and error.exceptions:  # a TaskGroup's: name the first cause
        error = error.exceptions[0]
    if error is not failure.error:
        text = f"{type(failure.error).__name__} from a TaskGroup, first {type(error).__name__}: {error}"
    if "ellipsis" in str(error):
        return (f"a `...` blank is still there: replace every `...` in {who.removesuffix('()')} "
                f"before running it. Python's words: {text}.")
    return f"{who} raised {text}."


def _close_coroutines(values: Any) -> bool:
    """Close any coroutine objects in ``values``; True if there were some."""
    items = values if isinstance(values, (list, tuple)) else [values]
    found = False
    for item in items:
        if inspect.iscoroutine(item):
            item.close()
            found = True
    return found


# --------------------------------------------------------------------------
# Exercise 1: a blocking call inside async def
# --------------------------------------------------------------------------
def check_unblocked(rec: Recording | Failure | Any, expected: list[Any], at_least: int | None = None) -> Verdict:
    """Right when the downloads did not block the loop, overlapped, and returned ``expected``."""
    at_least = len(expected) if at_least is None else at_least
    if is_blank(rec):
        return report(False, "", "`rec` is still `...`: measure your download_all() with `await measure(...)`.")
    if isinstance(rec, Failure):
        message = _failure_message(rec, "your code")
        if "object is not callable" in str(rec.error):
            message += (" asyncio.to_thread() wants the function and its arguments separately: "
                        "asyncio.to_thread(read_url, url), not asyncio.to_thread(read_url(url)), "
                        "which calls read_url right away, on the loop.")
        return report(False, "", message)
    if isinstance(rec, Recording) and _close_coroutines(rec.result):
        return report(False, "", "download() returned a coroutine instead of a result: "
                                 "put `await` in front of asyncio.to_thread(...).")
    if not isinstance(rec, Recording):
        raise TypeError(f"check_unblocked() needs a Recording, got {type(rec).__name__}")
    blocked = sorted(rec.blocking_spans(), key=lambda s: s.start)
    if blocked:
        # Name the *first* blocking step: which one was longest changes from run to run.
        first = blocked[0]
        return report(False, "", f"{len(blocked)} step(s) blocked the event loop, the first in {first.lane} "
                                 f"for {seconds(first.duration)}. A call inside async def waits without `await` "
                                 "(here: read_url, which uses urllib), so nothing else can run meanwhile.")
    return overlapped(rec, at_least=at_least, expected_result=expected)


# --------------------------------------------------------------------------
# Exercise 2: a lost fire-and-forget task
# --------------------------------------------------------------------------
def check_nothing_lost(rec: Recording | Failure | Any, saved: Sequence[Any], expected: Sequence[Any]) -> Verdict:
    """Right when no task outlived the measured coroutine, every item was saved, and the saves overlapped."""
    if is_blank(rec):
        return report(False, "", "`rec` is still `...`: run your code with `await nb09.measure_safely(...)`.")
    if isinstance(rec, Failure):
        return report(False, "", _failure_message(rec, "your code"))
    if not isinstance(rec, Recording):
        raise TypeError(f"check_nothing_lost() needs a Recording, got {type(rec).__name__}")
    owner = (rec.root_lane or "your coroutine").rsplit(".", 1)[-1]
    if rec.unfinished:
        names = ", ".join(rec.unfinished[:3]) + (", …" if len(rec.unfinished) > 3 else "")
        return report(False, "", f"{len(rec.unfinished)} task(s) were still running when {owner} returned "
                                 f"({names}). Their work was lost: this cell cancelled them so they do not run on "
                                 "unseen. Keep the tasks and wait for them before returning (async with "
                                 "asyncio.TaskGroup() as tg: tg.create_task(...)).")
    if sorted(map(str, saved)) != sorted(map(str, expected)):
        return report(False, "", f"saved {sorted(saved)!r}, expected {sorted(expected)!r}.")
    if len(expected) > 1 and rec.max_overlap("wait") < len(expected):
        return report(False, "", "nothing was lost, but the saves ran one after another. "
                                 "Start them all first, then wait for them together (a TaskGroup does both).")
    return report(True, f"all {len(expected)} saves finished, together, before {owner} returned: "
                        "no task was lost.", "")


# --------------------------------------------------------------------------
# Exercise 3: a swallowed cancellation
# --------------------------------------------------------------------------
async def check_cancellable(func: Callable[[list], Coroutine[Any, Any, Any]] | Any, *,
                            cancel_after: float = 0.12, grace: float = 3.0) -> Verdict:
    """Start ``func(log)`` as a task, cancel it after ``cancel_after`` s, and judge what it did.

    Right when the task ends *cancelled* within ``grace`` seconds and its
    clean-up appended ``"closed"`` to ``log``.  The learner's coroutine must be
    bounded (a loop with a fixed number of rounds), so a wrong answer finishes
    too; if it still runs after ``grace``, it is cancelled up to ten more
    times, and reported as unstoppable if even that fails.
    """
    if is_blank(func):
        return report(False, "", "the function is still `...`.")
    if not inspect.iscoroutinefunction(func):
        return report(False, "", f"{getattr(func, '__name__', func)!r} is not an `async def` function.")
    log: list[str] = []
    try:
        coro = func(log)
    except Exception as exc:
        return report(False, "", f"calling {func.__name__}(log) raised {type(exc).__name__}: {exc}. "
                                 "Keep its one parameter, the log list.")
    task = asyncio.ensure_future(coro)
    await asyncio.sleep(cancel_after)
    if task.done():
        error = None if task.cancelled() else task.exception()
        if error is not None:
            return report(False, "", f"it raised {type(error).__name__}: {error} before it was cancelled.")
        return report(False, "", "it finished before it was cancelled: it should keep working until told to stop.")
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=grace)
    stubborn = not done
    for _ in range(10):  # a coroutine that ignores every cancellation: insist, a while
        if task.done():
            break
        task.cancel()
        await asyncio.wait({task}, timeout=0.2)
    name = func.__name__
    if not task.done():
        return report(False, "", f"{name}() ignores every cancellation and is still running: it catches "
                                 "CancelledError (a bare `except:` or `except BaseException:`) and loops forever. "
                                 "Restart the kernel to stop it, then fix the except clause.")
    if stubborn or not task.cancelled():
        error = None if task.cancelled() else task.exception()
        if error is not None:
            return report(False, "", f"after cancel(), {name}() raised {type(error).__name__}: {error} "
                                     "instead of letting CancelledError through.")
        return report(False, "", f"{name}() was cancelled but went on working: an except clause caught "
                                 "CancelledError and did not re-raise it. A bare `except:` or `except BaseException:` "
                                 "catches it; use `except Exception:` or re-raise CancelledError.")
    if "closed" not in log:
        return report(False, "", f"{name}() stopped when cancelled, but its clean-up did not run "
                                 "(no 'closed' in the log). Keep the try/finally around the loop.")
    return report(True, f"{name}() stopped as soon as it was cancelled, and its clean-up ran.", "")


# --------------------------------------------------------------------------
# Exercise 4: cap concurrency with a semaphore
# --------------------------------------------------------------------------
@dataclass
class Downloads:
    """What :func:`try_download` got from the learner's ``fetch_all``."""

    results: Any = None
    error: Exception | None = None


async def try_download(fetch_all: Callable[..., Any], urls: Sequence[str], limit: int) -> Downloads:
    """Call ``await fetch_all(session, urls, limit)`` with a fresh aiohttp session.

    The session has no connection limit of its own (aiohttp's default is
    100), so the only cap is the one the learner writes.  Exceptions are
    returned, not raised.
    """
    import aiohttp

    if is_blank(fetch_all) or not callable(fetch_all):
        return Downloads(error=TypeError("fetch_all is not a function (is it still `...`?)"))
    connector = aiohttp.TCPConnector(limit=0)
    outcome = Downloads()
    async with aiohttp.ClientSession(connector=connector) as session, _TaskCollector(grace=2.0):
        try:
            result = fetch_all(session, list(urls), limit)
            if inspect.isawaitable(result):
                result = await result
            outcome.results = result
        except Exception as exc:  # explained by check_capped
            outcome.error = exc
    return outcome


def check_capped(outcome: Downloads | Any, stats: dict[str, Any], limit: int, n: int,
                 size: int | None = None) -> Verdict:
    """Right when all ``n`` downloads arrived and the server saw between 2 and ``limit`` at once."""
    if is_blank(outcome):
        return report(False, "", "`outcome` is still `...`: call `await nb09.try_download(fetch_all, urls, limit)`.")
    if not isinstance(outcome, Downloads):
        raise TypeError(f"check_capped() needs the result of try_download(), got {type(outcome).__name__}")
    if outcome.error is not None:
        return report(False, "", _failure_message(Failure("", outcome.error, []), "fetch_all()"))
    results = outcome.results
    if inspect.iscoroutine(results) or (isinstance(results, (list, tuple)) and _close_coroutines(results)):
        _close_coroutines(results)
        return report(False, "", "fetch_all() gave back coroutines, not downloaded bytes: a call is missing `await`.")
    if not isinstance(results, (list, tuple)) or len(results) != n:
        got = f"{len(results)} results" if isinstance(results, (list, tuple)) else repr(type(results).__name__)
        return report(False, "", f"fetch_all() returned {got}; expected a list of {n} downloads.")
    if not all(isinstance(r, (bytes, bytearray)) and (size is None or len(r) == size) for r in results):
        return report(False, "", "some results are not the downloaded bytes: return `await response.read()`.")
    most = stats.get("max_in_flight", 0)
    if most > limit:
        return report(False, "", f"the server saw {most} requests at once, more than the limit of {limit}. "
                                 "Create the Semaphore once, outside one(), so every request shares it, "
                                 "and put the request inside `async with sem:`.")
    if most < 2 and limit >= 2:
        return report(False, "", "the requests ran one at a time: the limit is there to allow "
                                 f"up to {limit} at once. Start them all with asyncio.gather(...).")
    return report(True, f"all {n} downloads arrived, several at a time and never more than {limit} at once.", "")
