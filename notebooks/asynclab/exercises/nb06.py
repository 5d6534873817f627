"""Exercises of notebook 06, "Getting values back", as rules for :func:`asynclab.check.expect`."""

from __future__ import annotations

from collections import Counter
from typing import Any


def _same_items(a: Any, b: Any) -> bool:
    return Counter(map(repr, a)) == Counter(map(repr, b))


def in_order(expected: list[Any]) -> dict[str, Any]:
    """Exercise 1: ``all_prices`` returns ``expected``, in the order of the items, and the lookups overlap."""

    def wrong(value: Any) -> str | None:
        if isinstance(value, list) and value != expected and _same_items(value, expected):
            return (f"the prices are right but in the wrong order: {value!r} instead of {expected!r}. That is the "
                    "order they finished in; asyncio.gather keeps the order of its arguments.")
        return None

    return dict(result=expected, wrong_result=wrong, overlap=min(3, len(expected)),
                done=f"{len(expected)} prices in the order of the items, and the lookups overlapped.")


def sizes(expected: dict[str, Any]) -> dict[str, Any]:
    """Exercise 2: ``sizes_of`` returns the dict ``expected`` (name → size) and the downloads overlap."""

    def wrong(value: Any) -> str | None:
        if isinstance(value, dict) and set(value) == set(expected) and value != expected \
                and _same_items(value.values(), expected.values()):
            mixed = ", ".join(sorted(k for k in expected if value[k] != expected[k]))
            return (f"every size is there, but paired with the wrong page ({mixed}): the results came in the "
                    "order they finished, and zip() with the names in their original order mismatched them.")
        return None

    return dict(result=expected, wrong_result=wrong, overlap=min(3, len(expected)),
                done=f"each of the {len(expected)} pages has its own size, and the downloads overlapped.")


def split(expected_up: dict[str, Any], expected_down: dict[str, str]) -> dict[str, Any]:
    """Exercise 3: ``survey`` returns ``(up, down)``; ``down`` maps failed hosts to their exception's name."""

    def wrong(value: Any) -> str | None:
        if not (isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, dict) for v in value)):
            return f"survey should return two dicts, (up, down); it returned {value!r:.80}."
        up, down = value
        answered = sorted(h for h in down if h in expected_up)
        if answered:
            return (f"`down` holds hosts that answered ({', '.join(answered)}): the test for a failure is true for "
                    "every result. A failure is a result that is an exception: isinstance(result, BaseException).")
        if any(isinstance(v, BaseException) for v in up.values()):
            return "`up` holds exceptions: put results that are exceptions in `down`."
        return None

    return dict(result=(expected_up, expected_down), wrong_result=wrong,
                overlap=len(expected_up) + len(expected_down),
                advice={ConnectionError: "Without return_exceptions=True, gather passes the first failure up "
                                         "and the other results are lost."},
                done=f"{len(expected_up)} hosts up, {len(expected_down)} down, every ping overlapped and no "
                     "result was lost.")
