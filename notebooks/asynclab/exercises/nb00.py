"""Checks for notebook 00 (start here)."""

from __future__ import annotations

from .. import check
from ..timeline import Recording


def first_await(rec: Recording) -> check.Verdict:
    """Exercise 1: ``get_ready()`` waits about 0.1 s at an ``await`` and returns "ready"."""
    if rec is ...:
        return check.equal(rec, "ready", "rec")
    wrong = check.diagnose(rec)
    if wrong:
        return check.report(False, "", wrong)
    if rec.result is ...:
        return check.report(False, "", "get_ready() still returns `...`. Replace the `...` with your answer "
                                       "and run the cell again.")
    if rec.result != "ready":
        return check.report(False, "", f"get_ready() returned {rec.result!r}, expected 'ready'.")
    if rec.blocking_spans():
        return check.report(False, "", "get_ready() waited with a call that blocks everything (like time.sleep). "
                                       "Use the asynchronous wait, `await asyncio.sleep(...)`.")
    waited = sum(s.duration for s in rec.spans if s.state == "wait")
    if waited < 0.09:
        return check.report(False, "", "get_ready() returned 'ready' without waiting. It should wait 0.1 s "
                                       "at an `await` first.")
    return check.report(True, "get_ready() waited 0.1 s at an `await`, then gave back 'ready'. Correct!", "")


def two_waits_together(rec: Recording) -> check.Verdict:
    """Exercise 2: both waits must be in progress at the same time."""
    return check.overlapped(rec, at_least=2, expected_result=["tea", "toast"])
