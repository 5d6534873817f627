"""Checks and helpers for notebook 03, "The await keyword".

Each ``check_*`` prints one line, ``✅ ...`` or ``❌ Not yet: ...``, and returns
a :class:`asynclab.check.Verdict`.  A learner's wrong answer never raises.
"""

from __future__ import annotations

import contextlib
import inspect
import io
from typing import Any, Awaitable, Sequence

from .. import check
from ..check import Verdict, report
from ..timeline import Recording, seconds

__all__ = [
    "BREAKFAST",
    "PREDICTION_HINT",
    "check_breakfast",
    "check_prediction",
    "check_sum_of_waits",
    "printed_lines",
]

#: The hint shown with a wrong prediction in exercise 1.
PREDICTION_HINT = (
    "Three rules decide the order: `await ping()` runs ping at once, inside main's task; "
    "a new task waits in line until the running task pauses; "
    "`await asyncio.sleep(0)` pauses for one turn, so every task already in line runs once first."
)

#: The steps of exercise 2's breakfast: (name, seconds), awaited one after another.
BREAKFAST: tuple[tuple[str, float], ...] = (("toast", 0.3), ("eggs", 0.4), ("coffee", 0.2))

# asyncio may fire a timer up to its clock resolution early; allow a little more.
_EARLY = 0.02


async def printed_lines(awaitable: Awaitable[Any]) -> list[str]:
    """Await ``awaitable`` and return what it printed, one string per line.

    Output is captured (not shown) for as long as the awaitable runs.
    """
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        await awaitable
    return buffer.getvalue().splitlines()


def _close(obj: Any) -> None:
    if inspect.iscoroutine(obj):
        obj.close()


async def check_prediction(prediction: Any, program: Awaitable[Any], hint: str = PREDICTION_HINT) -> Verdict:
    """Run ``program`` (capturing its prints) and compare with ``prediction``.

    ``prediction`` is the learner's list of printed lines, in order.  A blank
    or malformed prediction does not run the program.  A wrong one is reported
    at its first wrong line only, so the rest of the answer is not given away.
    """
    if prediction is ...:
        _close(program)
        return report(False, "", "`prediction` is still `...`. Write the lines you expect, in order, "
                                 "as a list of strings: [\"main 1\", ...].")
    if not isinstance(prediction, (list, tuple)) or not all(isinstance(x, str) for x in prediction):
        _close(program)
        return report(False, "", "`prediction` should be a list of strings, one per printed line, "
                                 f"but it is {prediction!r}.")
    actual = await printed_lines(program)
    given = [line.strip() for line in prediction]
    wanted = [line.strip() for line in actual]
    for i, (mine, real) in enumerate(zip(given, wanted)):
        if mine != real:
            return check.equal(mine, real, name=f"line {i + 1} of your prediction", hint=hint)
    if len(given) < len(wanted):
        return report(False, "", f"your first {len(given)} lines are right, but the program prints "
                                 f"{len(wanted)} lines. What comes next?")
    if len(given) > len(wanted):
        return report(False, "", f"the program prints only {len(wanted)} lines; your prediction has "
                                 f"{len(given)}. Each print runs exactly once.")
    return report(True, "right order: " + " → ".join(wanted), "")


def check_sum_of_waits(predicted: Any, rec: Any, waits: Sequence[float], expected_result: Any,
                       name: str = "predicted_seconds") -> Verdict:
    """Right when ``predicted`` is the sum of ``waits`` and ``rec`` shows them
    done one after another: no overlap, the expected result, a wall time of at
    least that sum."""
    total, longest = sum(waits), max(waits)
    if predicted is ...:
        _close(rec)
        return report(False, "", f"`{name}` is still `...`. First write your prediction: a number of seconds.")
    if isinstance(predicted, bool) or not isinstance(predicted, (int, float)):
        _close(rec)
        return report(False, "", f"`{name}` should be a number of seconds such as 1.5, "
                                 f"not {type(predicted).__name__} {predicted!r}.")
    if abs(predicted - total) > 0.01:
        _close(rec)
        if abs(predicted - longest) <= 0.01:
            return report(False, "", f"you predicted {seconds(predicted)}, the longest single step. That is what "
                                     "it would take if the steps waited at the same time; here each `await` "
                                     "finishes before the next line starts.")
        return report(False, "", f"you predicted {seconds(predicted)}. Look at the waits: each step starts only "
                                 "after the one before it has finished.")
    if rec is ...:
        return report(False, "", "`rec` is still `...`. Run the coroutine under `await measure(title, coroutine)`.")
    if inspect.iscoroutine(rec):
        rec.close()
        return report(False, "", "`rec` is a coroutine: put `await` in front of measure(...) to run and record it.")
    if not isinstance(rec, Recording):
        return report(False, "", f"`rec` is a {type(rec).__name__}, not a recording: pass the coroutine to "
                                 "measure() and await that, `rec = await measure(\"title\", make_breakfast())`.")
    if rec.result != expected_result:
        return report(False, "", f"the measured code returned {rec.result!r}, expected {expected_result!r}. "
                                 "Did you measure the right coroutine?")
    if not rec.spans:
        return report(False, "", "nothing was recorded: the measured code did not wait on anything.")
    if rec.max_overlap() > 1:
        return report(False, "", f"up to {rec.max_overlap()} steps overlapped; this exercise measures the "
                                 "version that awaits them one after another.")
    if rec.total_wall < total - _EARLY:
        return report(False, "", f"the run took {seconds(rec.total_wall)}, less than the {seconds(total)} of "
                                 "waiting it should contain. Did the steps change?")
    return report(True, f"you predicted {seconds(total)} and the run took {seconds(rec.total_wall)}: "
                        "awaits one after another add up.", "")


def check_breakfast(predicted_seconds: Any, rec: Any) -> Verdict:
    """Exercise 2: predict and measure ``make_breakfast()`` (see :data:`BREAKFAST`)."""
    return check_sum_of_waits(predicted_seconds, rec, [w for _, w in BREAKFAST],
                              [n for n, _ in BREAKFAST])
