"""Checks and helpers for notebook 02, "The async keyword".

Each ``check_*`` prints one line, ``✅ ...`` or ``❌ Not yet: ...``, and returns
a :class:`asynclab.check.Verdict`.  A learner's wrong answer never raises.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import warnings
from typing import Any, Callable, Iterator

from .. import check
from ..check import Verdict, report

__all__ = [
    "QUIZ_ANSWERS",
    "QUIZ_LABELS",
    "check_double",
    "check_quiz",
    "check_stock",
    "show_warnings",
]

_NOT_RUN = object()


@contextlib.contextmanager
def show_warnings(category: type[Warning] = RuntimeWarning) -> Iterator[list[warnings.WarningMessage]]:
    """Catch the warnings raised in the ``with`` block and print them at its end.

    A coroutine that is never awaited warns when it is destroyed, which may be
    later than the line with the mistake.  This runs the garbage collector at
    the end of the block, so the warning is caught here, then prints one line
    per warning of ``category`` (``"RuntimeWarning: coroutine 'f' was never
    awaited"``) instead of letting it reach stderr at an unpredictable moment.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield caught
        finally:
            gc.collect()
            for w in caught:
                if issubclass(w.category, category):
                    print(f"{w.category.__name__}: {w.message}")


def _run_to_end(coro: Any) -> Any:
    """Drive a coroutine that never pauses and return its value.

    Returns ``_NOT_RUN`` when the coroutine pauses (it awaited something that
    needs the event loop); the coroutine is then closed.  Exceptions raised by
    the coroutine propagate.
    """
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    return _NOT_RUN


def check_double(double: Callable[..., Any], answer: Any) -> Verdict:
    """Exercise 1: ``double`` must be a coroutine function returning twice its
    argument, and ``answer`` the awaited value of ``double(21)`` (42)."""
    if double is ...:
        return report(False, "", "`double` is still `...`. Define it with `async def double(x):`.")
    if not callable(double):
        return report(False, "", f"`double` should be a function, but it is a {type(double).__name__}.")
    if inspect.isasyncgenfunction(double):
        return report(False, "", "`double` contains `yield`, which makes it an async generator function. "
                                 "Use `return` to hand back the value.")
    if not inspect.iscoroutinefunction(double):
        return report(False, "", "`double` is a normal function (plain `def`). "
                                 "Write `async def double(x):` to make it a coroutine function.")
    try:
        value = _run_to_end(double(21))
    except Exception as exc:  # the learner's bug, explained
        return report(False, "", f"calling double(21) and awaiting it raised {type(exc).__name__}: {exc}.")
    if value is not _NOT_RUN:
        if value is ...:
            return report(False, "", "`double` still returns `...`. Replace it with twice x: `return 2 * x`.")
        if value is None:
            return report(False, "", "double(21) gives None: the function has no `return` with a value. "
                                     "Add `return 2 * x`.")
        if value != 42:
            return report(False, "", f"double(21) gives {value!r}, but twice 21 is 42. Check the `return` line.")
    if answer is None and value is _NOT_RUN:
        return report(False, "", "`answer` is None: does double return its result with `return`?")
    return check.equal(answer, 42, name="answer",
                       hint="`answer` should hold the value of double(21): `answer = await double(21)`.")


def check_stock(stock: Any) -> Verdict:
    """Exercise 2 (bug hunt): ``stock`` should be 12, the awaited stock of tea."""
    if stock is ...:
        return report(False, "", "`stock` is still `...`. Run the cell that computes it.")
    if inspect.iscoroutine(stock):
        name = getattr(stock, "__qualname__", "a coroutine").rsplit(".", 1)[-1]
        stock.close()  # it will never run: close it so it does not warn later
        return report(False, "", f"`stock` is a coroutine object of {name}(), not a number. "
                                 f"Inside in_stock, {name}(item) is called but never awaited, so its body "
                                 f"never ran and in_stock returned the coroutine itself. Put `await` in front of it.")
    return check.equal(stock, 12, name="stock",
                       hint="fetch_stock('tea') returns 12; in_stock should return exactly that value.")


#: The four answers the quiz accepts.
QUIZ_LABELS = ("function", "coroutine function", "coroutine", "async generator function")

#: The right label for each quiz question, and why.
QUIZ_ANSWERS: dict[str, tuple[str, str]] = {
    "fetch": ("coroutine function",
              "fetch is defined with `async def` and has no `yield`: calling it makes a coroutine. "
              "inspect.iscoroutinefunction(fetch) is True."),
    "fetch()": ("coroutine",
                "calling a coroutine function runs none of its body; it returns a coroutine object. "
                "inspect.iscoroutine(fetch()) is True."),
    "make": ("function",
             "make is defined with a plain `def`, so it is an ordinary function, even though what it "
             "returns is a coroutine. inspect.iscoroutinefunction(make) is False."),
    "make()": ("coroutine",
               "make() runs make's body at once; the body calls fetch() and returns the coroutine object it got."),
    "ticks": ("async generator function",
              "`async def` with `yield` inside makes an async generator function: you loop over it "
              "with `async for`, you do not await it. inspect.isasyncgenfunction(ticks) is True."),
}


def check_quiz(quiz: Any) -> Verdict:
    """Exercise 3: a dict mapping each expression to one of :data:`QUIZ_LABELS`.

    Reports the first blank, unknown or wrong entry (with the reason for the
    right answer); all right prints one ✅ line.
    """
    if quiz is ... or not isinstance(quiz, dict):
        return report(False, "", "`quiz` should be the dict from the cell, with one answer per key.")
    missing = [key for key in QUIZ_ANSWERS if key not in quiz]
    if missing:
        return report(False, "", f"the key {missing[0]!r} is missing from `quiz`; keep all five keys.")
    for key, (expected, why) in QUIZ_ANSWERS.items():
        given = quiz[key]
        name = f"quiz[{key!r}]"
        if given is ...:
            return report(False, "", f"{name} is still `...`. Write one of: "
                                     + ", ".join(repr(label) for label in QUIZ_LABELS) + ".")
        if isinstance(given, str) and given.strip().lower() not in QUIZ_LABELS:
            return report(False, "", f"{name} is {given!r}, which is not one of the four answers: "
                                     + ", ".join(repr(label) for label in QUIZ_LABELS) + ".")
        if isinstance(given, str):
            given = given.strip().lower()
        if given != expected:
            return check.equal(given, expected, name=name, hint=f"Why: {why}")
    return report(True, "all five right: you can tell a coroutine function from the coroutine it makes.", "")
