"""Exercise checks that explain a wrong answer in plain words.

Every check prints one line that starts with ``✅`` (right) or ``❌ Not yet:``
followed by what is wrong, and returns ``True`` or ``False``.  A learner's
wrong answer never produces a traceback; only a mistake by the *notebook
author* (calling a check with the wrong kind of argument) raises.

Typical use in an exercise cell::

    rec = await measure("my answer", my_main())
    check.overlapped(rec, at_least=3)
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import re
import warnings
from typing import Any, Callable

from .timeline import BLOCKING_THRESHOLD, Recording, Span, measure, seconds

__all__ = [
    "Verdict",
    "attempt",
    "diagnose",
    "blank",
    "equal",
    "is_blank",
    "not_blocking",
    "overlapped",
    "raises",
    "report",
    "sequential",
]

#: Put this (or ``...``) where the learner must write something.
blank = ...


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
        pass


def report(ok: bool, good: str, bad: str) -> Verdict:
    """Print ``✅ good`` or ``❌ Not yet: bad`` and return a :class:`Verdict`."""
    message = f"✅ {good}" if ok else f"❌ Not yet: {bad}"
    print(message)
    return Verdict(ok, message)


def is_blank(value: Any) -> bool:
    """True for the placeholders a learner has not replaced yet."""
    return value is ...


def _close_quietly(coro: Any) -> None:
    """Close an unawaited coroutine and the coroutines it was given as arguments,
    so the learner sees our explanation instead of "never awaited" warnings."""
    frame = getattr(coro, "cr_frame", None)
    if frame is not None:
        for value in list(frame.f_locals.values()):
            if inspect.iscoroutine(value) and value is not coro:
                value.close()
    coro.close()


def _blank_message(name: str) -> str:
    return f"`{name}` is still `...`. Replace the `...` with your answer and run the cell again."


def equal(actual: Any, expected: Any, name: str = "your answer", *, hint: str = "") -> Verdict:
    """Check a value.  Explains blanks, unawaited coroutines and wrong types."""
    if actual is ...:
        return report(False, "", _blank_message(name))
    if inspect.iscoroutine(actual):
        _close_quietly(actual)  # silence "never awaited": the message below says it
        return report(False, "", f"{name} is a coroutine object, not its result. Put `await` in front of the call.")
    if inspect.iscoroutinefunction(actual):
        return report(False, "", f"{name} is the function itself. Call it (with parentheses) and await the result.")
    if isinstance(actual, asyncio.Task):
        return report(False, "", f"{name} is a Task. `await` it (or call `.result()` once it is done) to get its value.")
    if type(actual) is not type(expected) and not (
        isinstance(actual, (int, float)) and isinstance(expected, (int, float)) and not isinstance(actual, bool)
    ):
        return report(False, "", f"{name} should be a {type(expected).__name__}, "
                                 f"but it is a {type(actual).__name__}: {actual!r}. {hint}".strip())
    if isinstance(expected, float):
        ok = abs(actual - expected) <= 1e-9 + 1e-6 * abs(expected)
    else:
        ok = actual == expected
    return report(ok, f"{name} is {expected!r}. Correct!",
                  f"{name} is {actual!r}, expected {expected!r}. {hint}".strip())


async def attempt(title: str, coro: Any, *, grace: float | None = None) -> Recording:
    """Run and record a learner's coroutine for a check, without ever raising.

    The learner's exception (if any) is kept in ``rec.error``; coroutines it
    created but never awaited are named in ``rec.never_awaited`` (instead of a
    RuntimeWarning on stderr); tasks the code
    started and left running (``rec.pending``), and a Future it returned
    without awaiting it, are cancelled and awaited, so nothing outlives the
    cell.  How many were left running is in ``rec.unfinished``.  With
    ``grace`` (seconds), a task that ignores its cancellation is waited for
    at most that long, so such a task cannot hang the check.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        rec = await measure(title, coro, raise_errors=False)
        gc.collect()  # an unawaited coroutine warns when it is destroyed: now
    for warning in caught:
        found = _NEVER_AWAITED.search(str(warning.message))
        if found:
            rec.never_awaited.append(found.group(1))
        else:  # not ours to explain: let it through
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    leftovers: list[Any] = list(rec.pending)
    if isinstance(rec.result, asyncio.Future) and not rec.result.done():
        leftovers.append(rec.result)
    for future in leftovers:
        future.cancel()
    if leftovers and grace is None:
        await asyncio.gather(*leftovers, return_exceptions=True)
    elif leftovers:
        done, _ = await asyncio.wait(leftovers, timeout=grace)
        for future in done:  # retrieve errors raised while cancelling, so asyncio does not log them
            if not future.cancelled():
                future.exception()
    return rec


_NEVER_AWAITED = re.compile(r"coroutine '([^']+)' was never awaited")


def _unawaited_inside(value: Any) -> str | None:
    """'a coroutine' / 'an unfinished Task' if ``value`` (or an item of it) is one."""
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    for item in items:
        if inspect.iscoroutine(item):
            _close_quietly(item)
            return "a coroutine object"
        if isinstance(item, asyncio.Future):
            return "a Task or Future" if item.done() else "an unfinished Task or Future"
    return None


def _error_advice(exc: BaseException) -> str:
    text = str(exc)
    if "await wasn't used with future" in text:
        return " That happens when a Future such as asyncio.gather(...) is used without `await`: put `await` in front."
    if "can't be used in 'await' expression" in text:
        return " Only awaitables (coroutines, Tasks, Futures) can follow `await`; time.sleep(...) is not one."
    if isinstance(exc, TypeError) and "coroutine" in text:
        return " A coroutine was used as if it were its result: put `await` in front of the call."
    return ""


def diagnose(rec: Recording, expected_result: Any = ...) -> str | None:
    """Plain words for what went wrong before timing even matters, or None.

    Covers, in this order: an exception, coroutines never awaited, a result
    that still holds coroutines or Tasks, tasks left running, a wrong result.
    """
    if rec.error is not None:
        return (f"your code stopped with {type(rec.error).__name__}: {rec.error}."
                + _error_advice(rec.error))
    if rec.never_awaited:
        names = sorted(set(rec.never_awaited))
        return (f"{', '.join(n + '(...)' for n in names)} was called but never awaited, so it never ran. "
                "Put `await` in front of it.")
    inside = _unawaited_inside(rec.result)
    if inside is not None:
        return (f"the result contains {inside} instead of values: something was not awaited. "
                "Put `await` in front of it (or of asyncio.gather(...)).")
    if rec.unfinished:
        return (f"{len(rec.unfinished)} task(s) were still running when your function returned, so their work was lost. "
                "Await them before returning, e.g. `await asyncio.gather(*tasks)`.")
    if expected_result is not ... and rec.result != expected_result:
        return f"the code returned {rec.result!r}, expected {expected_result!r}."
    return None


def blocked_message(blocked: list[Span]) -> str:
    """The plain-words explanation of a blocked loop, naming the first culprit."""
    worst = culprit(blocked)
    return (f"{worst.lane} blocked the event loop for {seconds(worst.duration)} "
            "(a call that does not `await`, such as time.sleep). "
            "While one task blocks, no other task can run.")


def culprit(blocked: list[Span]) -> Span:
    """The blocking step to name in a message: the first one.

    Which step was *longest* depends on the machine's load; which came first
    does not, so the message reads the same on every run."""
    return min(blocked, key=lambda s: (s.start, s.lane))


def _recording_or_message(rec: Any, what: str) -> str | None:
    if rec is ...:
        return _blank_message(what)
    if inspect.iscoroutine(rec):
        _close_quietly(rec)
        return f"{what} is a coroutine: write `await measure(...)` to run and record it."
    if not isinstance(rec, Recording):
        raise TypeError(f"the check needs a Recording from `await measure(...)`, got {type(rec).__name__}")
    if not rec.spans:
        return f"nothing was recorded in {rec.title!r}: the code inside measure() did not wait on anything."
    return None


def overlapped(rec: Recording, at_least: int = 2, *, expected_result: Any = ...) -> Verdict:
    """Right when ``at_least`` lanes were in progress at the same moment.

    Also checks the result when ``expected_result`` is given, and fails if a
    step blocked the event loop (which is why the waits could not overlap).
    """
    if not isinstance(at_least, int) or at_least < 1:
        raise ValueError(f"at_least must be a positive int, got {at_least!r}")
    problem = _recording_or_message(rec, "the recording")
    if problem:
        return report(False, "", problem)
    wrong = diagnose(rec, expected_result)
    if wrong:
        return report(False, "", wrong)
    blocked = rec.blocking_spans()
    overlap = rec.max_overlap()
    waiting_overlap = rec.max_overlap("wait")
    lanes = len(rec.jobs)
    if blocked:
        return report(False, "", blocked_message(blocked))
    if lanes < at_least:
        return report(False, "", f"only {lanes} piece(s) of work were recorded; expected at least {at_least}. "
                                 "Did every call get started?")
    idle = [lane for lane in rec.worker_lanes if not any(s.state == "wait" and s.reason != "yield"
                                                           for s in rec.spans_of(lane))]
    if idle and waiting_overlap < at_least:
        return report(False, "", f"{idle[0]} never waited at an `await`, so there was no wait to overlap. "
                                 "The job must wait with `await asyncio.sleep(...)` (or another awaitable).")
    if waiting_overlap <= 1:
        return report(False, "", f"the {lanes} waits ran one after another (at most 1 at once). "
                                 "To overlap, start them all before awaiting: asyncio.gather(...) or create_task(...).")
    if waiting_overlap < at_least:
        return report(False, "", f"only {waiting_overlap} of the {lanes} waits were in progress at the same time; "
                                 f"expected at least {at_least}. Start all of them before awaiting any.")
    return report(True, f"{overlap} waits overlapped in {rec.title!r}: they ran concurrently.", "")


def sequential(rec: Recording) -> Verdict:
    """Right when the recorded lanes never overlapped."""
    problem = _recording_or_message(rec, "the recording")
    if problem:
        return report(False, "", problem)
    overlap = rec.max_overlap()
    return report(overlap <= 1, "the steps ran strictly one after another.",
                  f"up to {overlap} lanes overlapped; this exercise wants each to finish before the next starts.")


def not_blocking(rec: Recording, threshold: float = BLOCKING_THRESHOLD) -> Verdict:
    """Right when no single step held the loop longer than ``threshold``."""
    problem = _recording_or_message(rec, "the recording")
    if problem:
        return report(False, "", problem)
    blocked = rec.blocking_spans(threshold)
    if not blocked:
        return report(True, f"no step held the event loop for more than {threshold * 1000:.0f} ms.", "")
    worst = culprit(blocked)
    return report(False, "", f"{worst.lane} held the event loop for {seconds(worst.duration)} without awaiting. "
                             "Look for a blocking call (time.sleep, requests, heavy CPU work) inside async def.")


def raises(func: Callable[[], Any], expected: type[BaseException], name: str = "your code") -> Verdict:
    """Right when calling ``func()`` raises ``expected`` (for synchronous code)."""
    try:
        func()
    except expected:
        return report(True, f"{name} raised {expected.__name__}, as it should.", "")
    except Exception as exc:  # the learner's error, explained not dumped
        return report(False, "", f"{name} raised {type(exc).__name__}: {exc}, expected {expected.__name__}.")
    return report(False, "", f"{name} finished without raising {expected.__name__}.")
