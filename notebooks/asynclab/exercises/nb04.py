"""Exercises of notebook 04, "Running many tasks at once", as rules for :func:`asynclab.check.expect`.

    run = await check.run(download_all(PARTS), time_limit=3)
    check.expect(run, nb04.DOWNLOADS, result=[...])
"""

from __future__ import annotations

import asyncio
from typing import Any

#: Exercise 1: the downloads overlap (the cell gives the result).
DOWNLOADS = dict(overlap=5, done="the five downloads overlapped: they ran concurrently.")

#: Exercise 2: every task is awaited; the receipts arrive in any order.
NO_LOST_TASKS = dict(any_order=True, overlap=4,
                     done="every notification was awaited, all ran at once: no task was lost.")


def _holds_exception(values: Any) -> str | None:
    if isinstance(values, list):
        for value in values:
            if isinstance(value, BaseException):
                return (f"the list holds the exception {type(value).__name__}({value}) where None is expected. "
                        "Turn each exception into None before returning.")
    return None


#: Exercise 3: one failing fetch does not cancel the others.
FAILURE_ISOLATED = dict(
    overlap=3, wrong_result=_holds_exception,
    advice={asyncio.CancelledError: "A task the TaskGroup cancelled has no result: when one fetch failed, the "
                                    "group cancelled the others. Catch the error inside each task instead.",
            BaseExceptionGroup: "One failure cancelled the whole group. Catch the error inside each task, "
                                "so one failure stays one failure."},
    done="the failure stayed one failure: the other pages arrived, and the fetches ran concurrently.")


def _deadline(values: Any) -> str | None:
    if isinstance(values, list) and len(values) == 3:
        if values[1] is not None:
            return "the slow fetch was waited for to the end: make the timeout shorter than the slow fetch."
        if all(v is None for v in values):
            return ("every result is None: the timeout is too short even for the fast fetches "
                    "(or it wraps all of them together).")
    return None


#: Exercise 4: give up on the slow fetch, keep the fast results.
DEADLINE = dict(overlap=2, wrong_result=_deadline,
                done="kept the fast results, gave up on the slow one, and the fetches ran concurrently.")
