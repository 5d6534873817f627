"""Exercises of notebook 02, "The async keyword"."""

from __future__ import annotations

import contextlib
import gc
import inspect
import warnings
from typing import Any, Iterator

from .. import check

#: The four answers the quiz accepts.
QUIZ_LABELS = ("function", "coroutine function", "coroutine", "async generator function")

#: The right label for each quiz question, and why.
QUIZ_ANSWERS: dict[str, tuple[str, str]] = {
    "fetch": ("coroutine function", "fetch is defined with `async def` and has no `yield`: calling it makes a "
              "coroutine. inspect.iscoroutinefunction(fetch) is True."),
    "fetch()": ("coroutine", "calling a coroutine function runs none of its body; it returns a coroutine "
                "object. inspect.iscoroutine(fetch()) is True."),
    "make": ("function", "make is defined with a plain `def`, so it is an ordinary function, even though what "
             "it returns is a coroutine. inspect.iscoroutinefunction(make) is False."),
    "make()": ("coroutine", "make() runs make's body at once; the body calls fetch() and returns the "
               "coroutine object it got."),
    "ticks": ("async generator function", "`async def` with `yield` inside makes an async generator function: "
              "you loop over it with `async for`, you do not await it. inspect.isasyncgenfunction(ticks) is True."),
}

#: Exercise 2 (bug hunt): in_stock("tea") gives the 12 that fetch_stock("tea") returns.
STOCK = dict(result=12, done="in_stock('tea') gives 12: it awaited fetch_stock and returned its value.")


@contextlib.contextmanager
def show_warnings(category: type[Warning] = RuntimeWarning) -> Iterator[list[warnings.WarningMessage]]:
    """Catch the warnings of the ``with`` block and print one line each at its end (after a gc)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield caught
        finally:
            gc.collect()
            for w in caught:
                if issubclass(w.category, category):
                    print(f"{w.category.__name__}: {str(w.message).splitlines()[0]}")


async def _doubles(double: Any) -> list[Any]:
    return [await double(x) for x in (21, 5, -4)]


async def check_double(double: Any, answer: Any) -> check.Verdict:
    """Exercise 1: ``double`` is a coroutine function returning twice its argument
    (tried on 21, 5 and -4, so `return 42` does not pass), ``answer`` is 42."""
    if double is ...:
        return check.report(False, "", "`double` is still `...`. Define it with `async def double(x):`.")
    if inspect.isasyncgenfunction(double):
        return check.report(False, "", "`double` contains `yield`, which makes it an async generator function. "
                                       "Use `return` to hand back the value.")
    if callable(double) and not inspect.iscoroutinefunction(double):
        return check.report(False, "", "`double` is a normal function (plain `def`). "
                                       "Write `async def double(x):` to make it a coroutine function.")
    if not callable(double):
        return check.report(False, "", f"`double` should be a function, but it is a {type(double).__name__}.")
    run = await check.run(_doubles(double), time_limit=2, call="double(21)")
    run.name = "double"

    def twice(values: Any) -> str | None:
        if ... in values:
            return "`double` still returns `...`. Replace it with twice x: `return 2 * x`."
        if values == [None] * 3:
            return "double(21) gives None: the function has no `return` with a value. Add `return 2 * x`."
        if values == [42] * 3:
            return "double gives 42 whatever x is (double(5) is 42 too): return twice x, `return 2 * x`."
        if values != [42, 10, -8]:
            return f"double(21), double(5), double(-4) give {values}, not [42, 10, -8]. Check the `return` line."
        return None

    verdict = check.expect(run, wrong_result=twice, done=None)
    if not verdict:
        return verdict
    return check.equal(answer, 42, name="answer",
                       hint="`answer` should hold the value of double(21): `answer = await double(21)`.")


def check_quiz(quiz: Any) -> check.Verdict:
    """Exercise 3: a dict mapping each expression to one of :data:`QUIZ_LABELS`."""
    labels = ", ".join(repr(label) for label in QUIZ_LABELS)

    def wrong(key: str, meant: Any, given: Any) -> str:
        if meant is ... or meant is None:
            return f"quiz[{key!r}] is " + ("still `...`. Write one of" if meant is ... else
                                           f"{given!r:.40}, which is not one of the four answers") + f": {labels}"
        return f"quiz[{key!r}] is {meant!r}, not right. Why: {QUIZ_ANSWERS[key][1]}"

    return check.quiz(quiz, {key: answer for key, (answer, _) in QUIZ_ANSWERS.items()}, name="quiz",
                      accepted={label: label for label in QUIZ_LABELS}, wrong=wrong,
                      blank=f"quiz['fetch'] is still `...`. Write one of: {labels}.",
                      done="all five right: you can tell a coroutine function from the coroutine it makes.")
