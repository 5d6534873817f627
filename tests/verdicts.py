"""Shared assertions for the tests of exercise checks (imported by tests/test_exercises_*.py)."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable


def run_and_list_leftovers(awaitable: Awaitable[Any]) -> tuple[Any, list[asyncio.Task]]:
    """Await on a fresh loop; return (the result, tasks still pending afterwards)."""

    async def main():
        result = await awaitable
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
        return result, others

    return asyncio.run(main())


def one_line(capsys) -> str:
    out = capsys.readouterr().out.strip()
    assert "\n" not in out, f"a check prints one line, got: {out!r}"
    return out


def passed(capsys, verdict) -> str:
    line = one_line(capsys)
    assert verdict and line.startswith("✅"), line
    return line


def failed(capsys, verdict, *phrases) -> str:
    line = one_line(capsys)
    assert not verdict and line.startswith("❌ Not yet:"), line
    for phrase in phrases:
        assert phrase in line, f"{phrase!r} not in {line!r}"
    return line
