"""Checks for notebook 06, "Getting values back".

Each ``check_*`` coroutine takes the learner's *coroutine* (call the function,
do not await it), runs it under :func:`asynclab.measure`, and prints one line:
``✅ ...`` or ``❌ Not yet: <what is wrong, in plain words>``.  A wrong answer
never raises: an exception from the learner's code is caught and explained, and
tasks the code started but left running are cancelled before the check returns.

    await nb06.check_in_order(all_prices(ITEMS), expected=[2.5, 1.8, 6.0, 3.2])
"""

from __future__ import annotations

import asyncio
import inspect
from collections import Counter
from dataclasses import dataclass
from typing import Any, Coroutine

from .. import check
from ..check import Verdict, attempt, report
from ..timeline import Recording

__all__ = ["Run", "check_in_order", "check_sizes", "check_split", "run"]


# --------------------------------------------------------------------------
# Running the learner's coroutine safely
# --------------------------------------------------------------------------
@dataclass
class Run:
    """What happened when the learner's coroutine ran: its recording (``None``
    if it raised), the exception it raised, and how many tasks it left running."""

    name: str
    rec: Recording | None = None
    error: Exception | None = None
    leftovers: int = 0

    @property
    def result(self) -> Any:
        return None if self.rec is None else self.rec.result


_NO_CODE = (lambda: None).__code__   # stands in when a coroutine has no cr_code


def _name(coro: Any) -> str:
    return getattr(coro, "__qualname__", "your function").rsplit(".", 1)[-1]


def _not_a_coroutine(coro: Any, call: str) -> str | None:
    """A message when the check was handed something other than a coroutine."""
    if coro is ...:
        return f"the check got `...` instead of {call}."
    if inspect.iscoroutinefunction(coro):
        return f"the check got the function itself; call it: {call} (without await)."
    if not inspect.iscoroutine(coro):
        return f"the check needs a coroutine such as {call} (no await in front), got {type(coro).__name__}."
    return None


async def run(title: str, coro: Coroutine[Any, Any, Any]) -> Run:
    """Run and record ``coro`` with :func:`asynclab.check.attempt`; never raise
    for what the learner's code did.  Tasks that the code started and left
    running (and a Future it returned without awaiting it) are cancelled and
    awaited, so nothing outlives the check.
    """
    rec = await attempt(title, coro)
    return Run(name=_name(coro), rec=None if rec.error is not None else rec,
               error=rec.error, leftovers=len(rec.unfinished))


def _close_coroutines(values: Any) -> int:
    """Close the coroutine objects in ``values`` (so they do not warn); count them."""
    items = values.values() if isinstance(values, dict) else values if isinstance(values, (list, tuple)) else [values]
    closed = 0
    for v in items:
        if inspect.iscoroutine(v):
            v.close()
            closed += 1
    return closed


def _error_message(name: str, exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, TypeError) and ("ellipsis" in str(exc) or "awaitable is required" in str(exc)):
        return f"{name} raised {text}. A `...` blank is still in the code: fill it in."
    return f"{name} raised {text}."


def _common_problem(outcome: Run, what: str) -> str | None:
    """Messages shared by the value checks: errors, blanks, missing awaits."""
    if outcome.error is not None:
        return _error_message(outcome.name, outcome.error)
    value = outcome.result
    if value is ...:
        return f"{outcome.name} returned `...`: a blank is still there."
    if isinstance(value, asyncio.Future):
        return (f"{outcome.name} returned a {type(value).__name__}, not the {what}: "
                "put `await` in front of asyncio.gather(...) to get the list of results.")
    if inspect.iscoroutine(value):
        value.close()
        return f"{outcome.name} returned a coroutine object: put `await` in front of the call that makes it."
    if isinstance(value, (list, tuple, dict)) and _close_coroutines(value):
        return (f"{outcome.name} returned coroutine objects, not their results: they never ran. "
                "Run them with `await asyncio.gather(...)`.")
    return None


def _concurrency_problem(outcome: Run, count: int) -> str | None:
    rec = outcome.rec
    assert rec is not None
    blocked = rec.blocking_spans()
    if blocked:
        worst = check.culprit(blocked)  # the first: the same name on every run
        return (f"{worst.lane} blocked the event loop (a call that does not await, such as time.sleep), "
                "so nothing else could run meanwhile.")
    if rec.max_overlap("wait") < min(2, count):
        return (f"the answer is right, but the {count} waits ran one after another. Start them all "
                "before waiting, with asyncio.gather(...), so they overlap.")
    return None


# --------------------------------------------------------------------------
# Exercise 1: results in argument order
# --------------------------------------------------------------------------
async def check_in_order(coro: Coroutine[Any, Any, Any], expected: list[Any]) -> Verdict:
    """Right when ``coro`` returns ``expected`` (a list, in argument order) and
    its waits overlapped."""
    problem = _not_a_coroutine(coro, "all_prices(ITEMS)")
    if problem:
        return report(False, "", problem)
    outcome = await run("your all_prices", coro)
    problem = _common_problem(outcome, "list of prices")
    if problem:
        return report(False, "", problem)
    value = outcome.result
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list):
        return report(False, "", f"{outcome.name} returned a {type(value).__name__} ({value!r}); "
                                 "it should return a list with one price per item.")
    if len(value) != len(expected):
        return report(False, "", f"{outcome.name} returned {len(value)} prices for {len(expected)} items: "
                                 "one result per item, please.")
    if value != expected:
        if Counter(map(repr, value)) == Counter(map(repr, expected)):
            return report(False, "", f"the prices are right but in the wrong order: {value!r} instead of "
                                     f"{expected!r}. That is the order they finished in (as_completed gives "
                                     "that order); asyncio.gather keeps the order of its arguments.")
        return report(False, "", f"{outcome.name} returned {value!r}, expected {expected!r}.")
    problem = _concurrency_problem(outcome, len(expected))
    if problem:
        return report(False, "", problem)
    return report(True, f"{len(expected)} prices in the order of the items, and the lookups overlapped.", "")


# --------------------------------------------------------------------------
# Exercise 2: the as_completed bug hunt
# --------------------------------------------------------------------------
async def check_sizes(coro: Coroutine[Any, Any, Any], expected: dict[str, Any]) -> Verdict:
    """Right when ``coro`` returns the dict ``expected`` (name → size) and its
    waits overlapped."""
    problem = _not_a_coroutine(coro, "sizes_of(PAGES)")
    if problem:
        return report(False, "", problem)
    outcome = await run("your sizes_of", coro)
    problem = _common_problem(outcome, "dict of sizes")
    if problem:
        return report(False, "", problem)
    value = outcome.result
    if not isinstance(value, dict):
        return report(False, "", f"{outcome.name} returned a {type(value).__name__} ({value!r}); "
                                 "it should return a dict {page name: size}.")
    if set(value) != set(expected):
        return report(False, "", f"the dict has the keys {sorted(value)}, expected {sorted(expected)}.")
    wrong = sorted(k for k in expected if value[k] != expected[k])
    if wrong:
        if Counter(map(repr, value.values())) == Counter(map(repr, expected.values())):
            return report(False, "", f"every size is there, but paired with the wrong page ({', '.join(wrong)}). "
                                     "as_completed hands results over in the order they finish, so zip() "
                                     "with the names in their original order mismatches them.")
        return report(False, "", f"wrong sizes for {', '.join(wrong)}: got {value!r}, expected {expected!r}.")
    problem = _concurrency_problem(outcome, len(expected))
    if problem:
        return report(False, "", problem)
    return report(True, f"each of the {len(expected)} pages has its own size, and the downloads overlapped.", "")


# --------------------------------------------------------------------------
# Exercise 3: successes and failures
# --------------------------------------------------------------------------
async def check_split(coro: Coroutine[Any, Any, Any], expected_up: dict[str, Any],
                      expected_down: dict[str, str]) -> Verdict:
    """Right when ``coro`` returns ``(up, down)``: ``up`` maps each host that
    answered to its reply, ``down`` each failed host to its exception's name,
    and the pings overlapped."""
    problem = _not_a_coroutine(coro, "survey(HOSTS)")
    if problem:
        return report(False, "", problem)
    if ... in getattr(coro, "cr_code", _NO_CODE).co_consts:
        # `return_exceptions=...` would pass unnoticed: `...` is truthy, so gather acts as if True.
        name = _name(coro)
        coro.close()
        return report(False, "", f"{name} still has a `...` blank: write True or False after "
                                 "return_exceptions=, and a real test after `if`. (A `...` left after "
                                 "return_exceptions= happens to count as true, which would hide the blank.)")
    outcome = await run("your survey", coro)
    if outcome.error is not None:
        exc = outcome.error
        if type(exc).__name__ in set(expected_down.values()):
            return report(False, "", f"{outcome.name} raised {type(exc).__name__}: {exc}. Without "
                                     "return_exceptions=True, gather passes the first failure up and the "
                                     "other results are lost.")
        return report(False, "", _error_message(outcome.name, exc))
    problem = _common_problem(outcome, "pair (up, down)")
    if problem:
        return report(False, "", problem)
    value = outcome.result
    if not (isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, dict) for v in value)):
        return report(False, "", f"{outcome.name} should return two dicts, (up, down); it returned {value!r}.")
    up, down = value
    answered_in_down = sorted(h for h in down if h in expected_up)
    if answered_in_down:
        return report(False, "", f"`down` holds hosts that answered ({', '.join(answered_in_down)}): the test "
                                 "for a failure is true for every result. A failure is a result that is an "
                                 "exception: isinstance(result, BaseException).")
    exceptions_in_up = sorted(h for h, v in up.items() if isinstance(v, BaseException))
    if exceptions_in_up:
        return report(False, "", f"`up` holds exceptions ({', '.join(exceptions_in_up)}): put results that "
                                 "are exceptions in `down`.")
    if up != expected_up:
        return report(False, "", f"`up` is {up!r}, expected {expected_up!r}.")
    if down != expected_down:
        return report(False, "", f"`down` is {down!r}, expected {expected_down!r} (host → the exception's "
                                 "class name, type(result).__name__).")
    problem = _concurrency_problem(outcome, len(expected_up) + len(expected_down))
    if problem:
        return report(False, "", problem)
    return report(True, f"{len(up)} hosts up, {len(down)} down, every ping overlapped and no result was lost.", "")
