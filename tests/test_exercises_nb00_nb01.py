"""Checks of notebooks 00 and 01: right answers pass, typical wrong ones are explained."""

from __future__ import annotations

import asyncio
import time

from asynclab import check
from asynclab.exercises import nb00, nb01


def attempt(coro):
    return asyncio.run(check.attempt("answer", coro))


def test_first_await(capsys):
    async def right():
        return await asyncio.sleep(0.1, result="ready")

    async def blank():
        return ...

    async def no_wait():
        return "ready"

    async def blocking():
        time.sleep(0.1)
        return "ready"

    async def no_await():
        return asyncio.sleep(0.1, result="ready")

    assert nb00.first_await(attempt(right()))
    assert capsys.readouterr().out.startswith("✅")
    for answer, phrase in [(blank(), "still returns `...`"), (no_wait(), "without waiting"),
                           (blocking(), "blocks everything"), (no_await(), "not awaited")]:
        assert not nb00.first_await(attempt(answer))
        assert phrase in capsys.readouterr().out


def test_predicted_times(capsys):
    waits = [0.3, 0.5, 0.2]
    assert nb01.predicted_times(1.0, 0.5, waits)
    capsys.readouterr()
    assert not nb01.predicted_times(..., 0.5, waits)
    assert "`predicted_sequential` is still `...`" in capsys.readouterr().out
    assert not nb01.predicted_times(1.0, 1.0, waits)
    assert "That is the sum" in capsys.readouterr().out
    assert not nb01.predicted_times(0.5, 0.5, waits)
    assert "the sum of the waits" in capsys.readouterr().out
    assert not nb01.predicted_times("1", 0.5, waits)
    assert "should be a number" in capsys.readouterr().out


def test_breakfast_concurrent(capsys):
    async def make(item):
        await asyncio.sleep(0.03)
        return item

    async def together():
        return await asyncio.gather(make("tea"), make("toast"), make("egg"))

    async def in_turn():
        return [await make("tea"), await make("toast"), await make("egg")]

    assert nb01.breakfast_concurrent(attempt(together()))
    assert not nb01.breakfast_concurrent(attempt(in_turn()))
    assert "one after another" in capsys.readouterr().out
