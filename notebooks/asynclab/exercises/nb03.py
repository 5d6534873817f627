"""Exercises of notebook 03, "The await keyword"."""

from __future__ import annotations

import contextlib
import io
from typing import Any

from .. import check
from ..recording import seconds

#: The hint shown with a wrong prediction in exercise 1.
PREDICTION_HINT = (
    "Three rules decide the order: `await ping()` runs ping at once, inside main's task; "
    "a new task waits in line until the running task pauses; "
    "`await asyncio.sleep(0)` pauses for one turn, so every task already in line runs once first."
)

#: The steps of exercise 2's breakfast: (name, seconds), awaited one after another.
BREAKFAST: tuple[tuple[str, float], ...] = (("toast", 0.3), ("eggs", 0.4), ("coffee", 0.2))

#: Exercise 3: the three steps as tasks, overlapping, results in order.
FAST = dict(result=["toast", "eggs", "coffee"], overlap=3,
            done="the three steps overlapped: the breakfast takes as long as its longest step.")


async def check_prediction(prediction: Any, program: Any, hint: str = PREDICTION_HINT) -> check.Verdict:
    """Exercise 1: run ``program`` (prints captured) and compare with ``prediction``, a list of lines."""
    if prediction is ... or not isinstance(prediction, (list, tuple)) or \
            not all(isinstance(x, str) for x in prediction):
        check.close(program)
        what = "still `...`" if prediction is ... else f"{type(prediction).__name__} {prediction!r:.60}"
        return check.report(False, "", f"`prediction` is {what}. Write the lines you expect, in order, "
                                       "as a list of strings: [\"main 1\", ...].")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        run = await check.run(program, time_limit=3, call="main()")
    given, wanted = [x.strip() for x in prediction], [x.strip() for x in printed.getvalue().splitlines()]

    def same_lines(run: check.Run) -> str | None:
        for i, (mine, real) in enumerate(zip(given, wanted)):
            if mine != real:
                return f"line {i + 1} of your prediction is {mine!r}; the program prints {real!r} there. {hint}"
        more = "What comes next?" if len(given) < len(wanted) else "Each print runs exactly once."
        return f"your prediction has {len(given)} lines, the program prints {len(wanted)}. {more}" \
            if len(given) != len(wanted) else None

    return check.expect(run, may_block=True, checks=[same_lines], done="right order: " + " → ".join(wanted))


def check_breakfast(predicted_seconds: Any, run: Any) -> check.Verdict:
    """Exercise 2: predict (the sum of the waits) and run ``make_breakfast()``, one step after another."""
    total, longest = sum(w for _, w in BREAKFAST), max(w for _, w in BREAKFAST)
    problem = check.number(predicted_seconds, "predicted_seconds")
    if not problem and abs(predicted_seconds - longest) <= 0.01:
        problem = (f"you predicted {seconds(predicted_seconds)}, the longest single step. That is what it would "
                   "take if the steps waited at the same time; here each `await` finishes before the next line starts.")
    elif not problem and abs(predicted_seconds - total) > 0.01:
        problem = (f"you predicted {seconds(predicted_seconds)}. Look at the waits: each step starts only after "
                   "the one before it has finished.")
    if problem:
        check.close(run)
        return check.report(False, "", problem)
    return check.expect(run, result=[n for n, _ in BREAKFAST], sequential=True, waited=total,
                        done=f"you predicted {seconds(total)}: awaits one after another add up.")
