"""Checks and small helpers for notebook 04, "Running many tasks at once".

Each ``check_*`` coroutine takes the learner's *coroutine* (call the function,
do not await it), runs it under :func:`asynclab.measure`, and prints one line:
``✅ ...`` or ``❌ Not yet: <what is wrong, in plain words>``.  A wrong answer
never raises: an exception from the learner's code is caught and explained,
and tasks the code started but left running are cancelled so that nothing
keeps running after the cell.  With ``picture=True`` (the default) the timeline
of the attempt is drawn after the verdict.

    await nb04.check_downloads(download_all(FILES), expected=[...], at_least=4)
"""

from __future__ import annotations

import asyncio
import inspect
import time
import types
from dataclasses import dataclass, field
from typing import Any, Coroutine

from .. import check
from ..check import Verdict, report
from ..timeline import Recording, measure, seconds, summary  # noqa: F401 (tests use nb04.measure)

__all__ = [
    "Attempt",
    "Stopwatch",
    "attempt",
    "check_downloads",
    "check_failure_isolated",
    "check_no_lost_tasks",
    "check_timeout_keeps_fast",
    "has_blank",
    "panels",
]


# --------------------------------------------------------------------------
# Small helpers used by the lesson cells
# --------------------------------------------------------------------------
class Stopwatch:
    """Print messages stamped with the time since the last :meth:`restart`.

    >>> clock = Stopwatch()
    >>> clock.log("hello")        # doctest: +SKIP
      0.00 s  hello
    """

    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def restart(self) -> None:
        """Start counting from zero again."""
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since the last restart."""
        return time.perf_counter() - self.t0

    def log(self, text: str) -> None:
        """Print ``text`` after the elapsed time in the course's format."""
        print(f"{seconds(self.elapsed()):>7}  {text}")


def panels(*recordings: Recording) -> None:
    """Like :func:`asynclab.show`, without the "speed-up N×" line.

    For pictures where a speed ratio would mislead (a run that was faster only
    because it gave up early).
    """
    import matplotlib.pyplot as plt

    from ..timeline import draw

    for rec in recordings:
        print(summary(rec))
    draw(*recordings)
    plt.show()


# --------------------------------------------------------------------------
# Running a learner's attempt safely
# --------------------------------------------------------------------------
@dataclass
class Attempt:
    """What happened when the learner's coroutine ran.

    ``rec`` is the recording (``None`` if the code raised), ``error`` the
    exception it raised (``None`` if it returned), ``leftovers`` the number of
    tasks it started that were still running when it finished (they have been
    cancelled), ``cancelled`` how many of its tasks ended up cancelled in all.
    """

    name: str
    rec: Recording | None = None
    error: Exception | None = None
    leftovers: int = 0
    cancelled: int = 0
    tasks: list[asyncio.Task] = field(default_factory=list, repr=False)

    @property
    def result(self) -> Any:
        return None if self.rec is None else self.rec.result


def _code_has_ellipsis(code: types.CodeType, depth: int = 0) -> bool:
    if depth > 3:
        return False
    for const in code.co_consts:
        if const is Ellipsis:
            return True
        if isinstance(const, types.CodeType) and _code_has_ellipsis(const, depth + 1):
            return True
    return False


def has_blank(coro: Any) -> str | None:
    """Name of the function that still contains a ``...`` blank, or ``None``.

    Looks at the coroutine's own code and at the functions of the notebook it
    calls by name (one level deep), so a blank in a helper is found too.
    """
    code = getattr(coro, "cr_code", None)
    if code is None:
        return None
    if _code_has_ellipsis(code):
        return code.co_name
    frame = getattr(coro, "cr_frame", None)
    if frame is None:
        return None
    for name in _names_used(code):
        func = frame.f_globals.get(name)
        inner = getattr(func, "__code__", None)
        if inspect.isfunction(func) and inner is not None and _is_notebook_code(inner):
            if _code_has_ellipsis(inner):
                return name
    return None


def _names_used(code: types.CodeType, depth: int = 0) -> list[str]:
    """Global names used by ``code`` and the comprehensions or lambdas inside it."""
    names = list(code.co_names)
    if depth < 3:
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                names += [n for n in _names_used(const, depth + 1) if n not in names]
    return names


def _is_notebook_code(code: types.CodeType) -> bool:
    """Code written in a notebook cell (not in a library module)."""
    return code.co_filename.startswith("<") or "ipykernel" in code.co_filename


async def attempt(title: str, coro: Coroutine[Any, Any, Any]) -> Attempt:
    """Run and record ``coro`` with :func:`asynclab.check.attempt`; never raise
    for what the learner's code did.  Tasks still running at the end are
    cancelled and awaited, so nothing the attempt started outlives the cell.
    """
    rec = await check.attempt(title, coro)
    rec.refresh()  # the check cancelled the leftovers: bring in how they ended
    cancelled = sum(1 for info in rec.info.values()
                    if info.kind == "task" and "cancelled" in (info.outcome, info.later))
    return Attempt(name=getattr(coro, "__qualname__", "your code"),
                   rec=None if rec.error is not None else rec, error=rec.error,
                   leftovers=len(rec.unfinished), cancelled=cancelled, tasks=rec.tasks)


# --------------------------------------------------------------------------
# Explaining what went wrong
# --------------------------------------------------------------------------
def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 90 else text[:87] + "..."


def _error_message(name: str, exc: Exception) -> str:
    """Plain words for an exception the learner's code raised."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, TypeError) and ("ellipsis" in str(exc) or "do not inherit from BaseException" in str(exc)):
        return f"{name} raised {text}. A `...` blank is still in the code: fill it in."
    if isinstance(exc, TypeError) and "unhashable type: 'list'" in str(exc):
        return (f"{name} raised {text}. asyncio.gather() takes each awaitable as its own argument: "
                "unpack the list with a star, asyncio.gather(*coros).")
    if isinstance(exc, TypeError) and "awaitable is required" in str(exc):
        return (f"{name} raised {text}. asyncio.gather() needs coroutines or tasks, "
                "such as download(name, delay) (called, not awaited).")
    if isinstance(exc, BaseExceptionGroup):
        inner = ", ".join(f"{type(e).__name__}: {e}" for e in exc.exceptions)
        return (f"{name} raised an ExceptionGroup ({inner}): one task failed, so the TaskGroup "
                "cancelled the other tasks and raised all the errors together.")
    if isinstance(exc, TimeoutError):
        return (f"{name} raised TimeoutError: the timeout fired and nobody caught it, "
                "so every result was lost. Catch TimeoutError where you want to give up on one piece.")
    return f"{name} raised {text}."


def _result_problem(name: str, result: Any, leftovers: int) -> str | None:
    """Typical wrong results: an unawaited gather, coroutines, tasks, a lost list."""
    if isinstance(result, asyncio.Future):
        return (f"{name} returned a {type(result).__name__.lstrip('_')} instead of the results. "
                "Put `await` in front of asyncio.gather(...) to wait for them.")
    if inspect.iscoroutine(result):
        result.close()
        return f"{name} returned a coroutine object: put `await` in front of the call inside it."
    if isinstance(result, list):
        coros = [r for r in result if inspect.iscoroutine(r)]
        for c in coros:
            c.close()  # they never ran; silence the "never awaited" warning
        if coros:
            return (f"{name} returned a list of {len(coros)} coroutine objects: they never ran. "
                    "Pass them to asyncio.gather(...) and await it.")
        if any(isinstance(r, asyncio.Task) for r in result):
            return (f"{name} returned a list of Task objects, not their results. "
                    "Await them: results = await asyncio.gather(*tasks).")
    if leftovers:
        return (f"{name} returned {_describe(result)} while {leftovers} task(s) it started were still running "
                "(the check cancelled them). Before returning, await every task you start, "
                "or cancel the ones you give up on.")
    return None


def _common(run: Attempt, expected: Any, at_least: int) -> Verdict | None:
    """Checks shared by every exercise; ``None`` when all of them pass."""
    if run.error is not None:
        return report(False, "", _error_message(run.name, run.error))
    problem = _result_problem(run.name, run.result, run.leftovers)
    if problem:
        return report(False, "", problem)
    rec = run.rec
    assert rec is not None
    if run.result != expected:
        return None  # the caller explains a wrong value in its own words
    blocked = rec.blocking_spans()
    if blocked:
        return report(False, "", check.blocked_message(blocked))
    if rec.max_overlap("wait") < min(at_least, 2):
        return report(False, "", f"the result is right, but the work ran sequentially: one piece after another, "
                                 f"never two at once ({len(rec.worker_lanes)} lanes in the timeline). "
                                 "Start them all before awaiting any: asyncio.gather(...), create_task(...) "
                                 "or a TaskGroup.")
    return None


def _blank_or_not_coroutine(coro: Any, what: str) -> Verdict | None:
    if coro is ...:
        return report(False, "", f"{what} is still `...`. Replace it with your answer and run the cell again.")
    if inspect.iscoroutinefunction(coro):
        return report(False, "", f"pass the coroutine, not the function: write {coro.__name__}(...) with its "
                                 "arguments, without `await`.")
    if not inspect.iscoroutine(coro):
        return report(False, "", f"the check needs a coroutine such as {what}(...), got {_describe(coro)}.")
    blank = has_blank(coro)
    if blank:
        coro.close()
        return report(False, "", f"`{blank}` still has a `...` blank. Replace each `...` with your answer "
                                 "and run the cell again.")
    return None


def _draw(run: Attempt, picture: bool) -> None:
    if picture and run.rec is not None and run.rec.spans:
        from ..timeline import show

        show(run.rec)


# --------------------------------------------------------------------------
# The exercises
# --------------------------------------------------------------------------
async def check_downloads(coro: Any, expected: list, *, at_least: int = 2,
                          picture: bool = True) -> Verdict:
    """Exercise 1: the downloads must give ``expected`` and overlap.

    Explains a missing ``await`` before gather, a list passed to gather without
    ``*``, coroutines or tasks returned instead of results, and says "ran
    sequentially" when the timeline shows one download after another.  The
    final verdict is :func:`asynclab.check.overlapped`.
    """
    problem = _blank_or_not_coroutine(coro, "download_all")
    if problem is not None:
        return problem
    run = await attempt("your download_all", coro)
    verdict = _common(run, expected, at_least)
    if verdict is None:
        verdict = check.overlapped(run.rec, at_least=at_least, expected_result=expected)
    _draw(run, picture)
    return verdict


async def check_no_lost_tasks(coro: Any, expected: list, *, at_least: int = 2,
                              picture: bool = True) -> Verdict:
    """Exercise 2: every task's result must arrive, and the tasks must overlap.

    The result is compared as a sorted list, since receipts may arrive in any
    order.
    """
    problem = _blank_or_not_coroutine(coro, "notify_all")
    if problem is not None:
        return problem
    run = await attempt("your notify_all", coro)
    result = run.result
    if run.error is None and isinstance(result, list) and not run.leftovers:
        try:
            result = sorted(result)
        except TypeError:
            pass
        if run.rec is not None:
            run.rec.result = result
    verdict = _common(run, sorted(expected), at_least)
    if verdict is None:
        if result != sorted(expected):
            verdict = report(False, "", f"{run.name} returned {_describe(result)}; expected the receipts "
                                        f"{_describe(sorted(expected))} (in any order).")
        else:
            overlap = run.rec.max_overlap("wait")
            verdict = report(True, f"all {len(expected)} receipts arrived and up to {overlap} notifications "
                                   "ran at once: no task was lost.", "")
    _draw(run, picture)
    return verdict


async def check_failure_isolated(coro: Any, expected: list, *, at_least: int = 2,
                                 picture: bool = True) -> Verdict:
    """Exercise 3: one failing fetch must not cancel the others.

    ``expected`` holds the pages in order, with ``None`` where a fetch failed.
    """
    problem = _blank_or_not_coroutine(coro, "fetch_all")
    if problem is not None:
        return problem
    run = await attempt("your fetch_all", coro)
    if run.error is not None:
        message = _error_message(run.name, run.error)
        if isinstance(run.error, BaseExceptionGroup):
            message = (f"{run.name} raised an ExceptionGroup "
                       f"({', '.join(f'{type(e).__name__}: {e}' for e in run.error.exceptions)}) and "
                       f"{run.cancelled} other fetch(es) were cancelled: one failure killed the whole group. "
                       "Catch the error inside each task, so one failure stays one failure.")
        elif run.leftovers:
            message += (f" The other {run.leftovers} fetch(es) were still running, and their pages were lost. "
                        "Catch the error per fetch, or use return_exceptions=True.")
        verdict = report(False, "", message)
    else:
        verdict = _common(run, expected, at_least)
        result = run.result
        if verdict is None and isinstance(result, list) and any(isinstance(r, BaseException) for r in result):
            exc = next(r for r in result if isinstance(r, BaseException))
            verdict = report(False, "", f"the list holds the exception object {exc!r} where None is expected. "
                                        "Turn each exception into None before returning.")
        if verdict is None and result != expected:
            verdict = report(False, "", f"{run.name} returned {_describe(result)}, expected {_describe(expected)}.")
        if verdict is None:
            ok = sum(r is not None for r in expected)
            verdict = report(True, f"the failure stayed one failure: {ok} pages arrived, "
                                   f"{len(expected) - ok} marked None, and the fetches ran concurrently.", "")
    _draw(run, picture)
    return verdict


async def check_timeout_keeps_fast(coro: Any, expected: list, *, at_least: int = 2,
                                   picture: bool = True) -> Verdict:
    """Exercise 4: give up on the slow fetch, keep the fast results.

    ``expected`` holds the fast results in order, ``None`` for the slow ones.
    """
    problem = _blank_or_not_coroutine(coro, "fetch_with_deadline")
    if problem is not None:
        return problem
    run = await attempt("your fetch_with_deadline", coro)
    verdict = _common(run, expected, at_least)
    result = run.result
    if verdict is None and isinstance(result, list) and len(result) == len(expected) and result != expected:
        slow = [i for i, e in enumerate(expected) if e is None]
        if all(result[i] is not None for i in slow) and all(
                result[i] == expected[i] for i in range(len(expected)) if i not in slow):
            verdict = report(False, "", "the slow fetch was waited for to the end: the timeout never fired. "
                                        "Make the timeout shorter than the slow fetch and longer than the fast ones.")
        elif all(r is None for r in result):
            verdict = report(False, "", "every result is None: the timeout is too short even for the fast "
                                        "fetches (or it wraps all of them together).")
    if verdict is None and result != expected:
        verdict = report(False, "", f"{run.name} returned {_describe(result)}, expected {_describe(expected)}.")
    if verdict is None:
        kept = sum(r is not None for r in expected)
        verdict = report(True, f"kept the {kept} fast results, gave up on {len(expected) - kept} slow one(s), "
                               "and the fetches ran concurrently.", "")
    _draw(run, picture)
    return verdict
