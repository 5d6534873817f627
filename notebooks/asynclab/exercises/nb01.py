"""Checks for notebook 01 (what is asynchronous programming)."""

from __future__ import annotations

from typing import Any, Sequence

from .. import check
from ..timeline import Recording


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def predicted_times(sequential: Any, concurrent: Any, waits: Sequence[float]) -> check.Verdict:
    """Exercise 1: predict the total time of the waits one after another and all at once."""
    total, longest = round(sum(waits), 2), max(waits)
    for name, guess in (("predicted_sequential", sequential), ("predicted_concurrent", concurrent)):
        if guess is ...:
            return check.report(False, "", f"`{name}` is still `...`: type your prediction in seconds.")
        if not _is_number(guess):
            return check.report(False, "", f"`{name}` should be a number of seconds, like 1.5; it is {guess!r}.")
    if abs(sequential - total) > 0.011:
        return check.report(False, "", f"one after another, each wait starts when the previous one ends, "
                                       f"so the total is the sum of the waits, not {sequential}.")
    if abs(concurrent - longest) > 0.011:
        hint = " That is the sum: it would be true one after another." if abs(concurrent - total) < 0.011 else ""
        return check.report(False, "", f"when the waits overlap, the total is set by the longest single "
                                       f"wait, not {concurrent}.{hint}")
    return check.report(True, f"sequential ≈ {total} s (the sum), concurrent ≈ {longest} s (the longest). "
                              "Now compare with the measurement below.", "")


def breakfast_concurrent(rec: Recording) -> check.Verdict:
    """Exercise 2: all three breakfast jobs overlap and the results come back in order."""
    return check.overlapped(rec, at_least=3, expected_result=["tea", "toast", "egg"])
