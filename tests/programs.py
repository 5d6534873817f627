"""Small asyncio programs the recorder and drawing tests share."""

from __future__ import annotations

import asyncio


async def pause(name: str, seconds: float = 0.05) -> str:
    await asyncio.sleep(seconds)
    return name


async def leaves_a_task_running(kept: list) -> None:
    """Starts pause('late', 0.1) as a task and returns after 0.01 s, while it still runs.
    The task goes into ``kept``, so that the caller can await it later."""
    kept.append(asyncio.create_task(pause("late", 0.1)))
    await asyncio.sleep(0.01)


async def taskgroup_with_a_failure(long: float = 0.3) -> str:
    """Tasks a and c sleep; b raises ValueError after 0.02 s, so the group cancels a and c."""
    async def bad():
        await asyncio.sleep(0.02)
        raise ValueError("b")

    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(pause("a", long), name="a")
            tg.create_task(bad(), name="b")
            tg.create_task(pause("c", long), name="c")
    except* ValueError:
        pass
    return "caught"
