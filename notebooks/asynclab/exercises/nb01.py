"""Exercises of notebook 01 (what is asynchronous programming)."""

from __future__ import annotations

from typing import Any, Sequence

from .. import check

#: Exercise 2 (and the bug hunt after it): the three breakfast jobs overlap, results in order.
BREAKFAST = dict(result=["tea", "toast", "egg"], overlap=3,
                 done="tea, toast and egg were made at the same time: three waits overlapped.")


def predicted_times(sequential: Any, concurrent: Any, waits: Sequence[float]) -> check.Verdict:
    """Exercise 1: predict the total time of the waits one after another and all at once."""
    total, longest = round(sum(waits), 2), max(waits)
    for name, guess in (("predicted_sequential", sequential), ("predicted_concurrent", concurrent)):
        problem = check.number(guess, name)
        if problem:
            return check.report(False, "", problem)
    if abs(sequential - total) > 0.011:
        return check.report(False, "", "one after another, each wait starts when the previous one ends, "
                                       f"so the total is the sum of the waits, not {sequential}.")
    if abs(concurrent - longest) > 0.011:
        hint = " That is the sum: it would be true one after another." if abs(concurrent - total) < 0.011 else ""
        return check.report(False, "", "when the waits overlap, the total is set by the longest single "
                                       f"wait, not {concurrent}.{hint}")
    return check.report(True, f"sequential ≈ {total} s (the sum), concurrent ≈ {longest} s (the longest). "
                              "Now compare with the measurement below.", "")
