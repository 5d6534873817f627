"""Checks for notebook 00 (start here)."""

from __future__ import annotations

from typing import Any

from .. import check
from ..timeline import Recording


def first_await(value: Any) -> check.Verdict:
    """Exercise 1: the value produced by awaiting ``asyncio.sleep(0.1, result="ready")``."""
    return check.equal(value, "ready", "answer",
                       hint="asyncio.sleep(delay, result=...) hands back its `result` once the delay is over.")


def two_waits_together(rec: Recording) -> check.Verdict:
    """Exercise 2: both waits must be in progress at the same time."""
    return check.overlapped(rec, at_least=2, expected_result=["tea", "toast"])
