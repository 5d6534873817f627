"""Checks for notebook 08 (async vs threads vs processes): :func:`check_tools`, a quiz, and
:func:`check_offload`, CPU work sent to a process pool (the truly special probe: the check owns the pool)."""

from __future__ import annotations

import asyncio
import inspect
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Awaitable, Callable

from .. import check
from ..workloads import count_primes, process_context

__all__ = ["WORKLOADS", "check_tools", "check_offload", "EXERCISE_LIMIT", "process_context"]

_SYNONYMS = {
    "asyncio": "asyncio", "async": "asyncio", "async/await": "asyncio",
    "threads": "threads", "thread": "threads", "threading": "threads", "multithreading": "threads",
    "processes": "processes", "process": "processes", "multiprocessing": "processes",
}

#: The three workloads of exercise 1 (A: 5,000 link checks with aiohttp, B: 8 pure-Python simulations
#: on 8 cores, C: 20 calls of a blocking SDK from a plain script): the right tool, why, and what goes
#: wrong (or is wasteful) with each other tool.
WORKLOADS: dict[str, dict[str, str]] = {
    "A": {
        "right": "asyncio",
        "why": "the work is waiting, and one thread with one event loop can wait for thousands of "
               "requests at once for about a kilobyte each.",
        "threads": "threads would work, but thousands of waits need thousands of threads (each with its "
                   "own stack) or a pool that makes most of them queue; an async client waits for all of "
                   "them on one thread.",
        "processes": "processes are for computing; this program only waits. Each process is a whole "
                     "Python interpreter (tens of MB), and the pages would be pickled back to the parent.",
    },
    "B": {
        "right": "processes",
        "why": "pure-Python computing needs several interpreters to use several cores; each process has "
               "its own GIL.",
        "asyncio": "a simulation never awaits, so each run would block the event loop and the 8 runs "
                   "would happen one after another on one core.",
        "threads": "the GIL lets only one thread run Python code at a time, so 8 threads take turns on "
                   "one core: no speed-up (a free-threaded 3.13t/3.14t build would change that).",
    },
    "C": {
        "right": "threads",
        "why": "a blocking call releases the GIL while it waits, so a ThreadPoolExecutor overlaps the 20 "
               "waits without rewriting anything.",
        "asyncio": "the SDK's calls block: inside async def each one would hold the event loop until it "
                   "returns, so the 20 calls would run one after another (asyncio.to_thread would fix "
                   "that, by using threads).",
        "processes": "it would work, but every process is a whole interpreter and the SDK calls only "
                     "wait; threads wait just as well for a fraction of the memory.",
    },
}


def check_tools(choices: Any) -> check.Verdict:
    """Exercise 1: ``choices`` maps ``"A"``, ``"B"``, ``"C"`` to a tool name.  Prints one line per
    workload (why the pick is right, or what would go wrong with it); true when all three are right."""

    def wrong(key: str, tool: Any, given: Any) -> str:
        if tool is ...:
            return f"{key} is still `...`."
        return f"{key}: with {tool}, {WORKLOADS[key][tool]}" if tool else \
            f"{key}: {given!r} is not one of \"asyncio\", \"threads\", \"processes\"."

    return check.quiz(choices, {key: w["right"] for key, w in WORKLOADS.items()}, name="choices",
                      accepted=_SYNONYMS, wrong=wrong,
                      right=lambda key, tool: f"{key}: {tool}. Right: {WORKLOADS[key]['why']}",
                      blank="A, B and C are still `...`. Replace each `...` with \"asyncio\", \"threads\" or "
                            "\"processes\" and run the cell again.")


# ----------------------------------------------------------------------------
# Exercise 2: move CPU work off the event loop
# ----------------------------------------------------------------------------
#: The size of the exercise's work: about 0.3 s of pure-Python computing.
EXERCISE_LIMIT = 150_000


class _WatchedPool(ProcessPoolExecutor):
    """A process pool that remembers what was submitted to it."""

    submitted: list[tuple[Any, tuple]] = []

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        self.submitted = [*self.submitted, (fn, args)]
        return super().submit(fn, *args, **kwargs)


async def heartbeat(stop: asyncio.Event) -> int:
    """Tick every 20 ms until ``stop`` is set: its lane shows whether the loop stayed free."""
    ticks = 0
    while not stop.is_set():
        await asyncio.sleep(0.02)
        ticks += 1
    return ticks


async def your_program(crunch: Callable[..., Awaitable[Any]], pool: ProcessPoolExecutor, limit: int) -> Any:
    stop = asyncio.Event()
    beat = asyncio.create_task(heartbeat(stop), name="heartbeat")
    try:
        return await crunch(pool, limit)
    finally:
        stop.set()
        await beat


_ADVICE = {
    TypeError: "If you called count_primes(limit) yourself and handed its result on, pass the function and its "
               "argument separately: run_in_executor(pool, count_primes, limit). (A concurrent.futures.Future "
               "from pool.submit(...) cannot be awaited either: ask the loop, loop.run_in_executor(...).)",
    pickle.PicklingError: "A process pool sends functions by name: use a module-level function such as "
                          "count_primes, not a lambda or a function defined inside another one.",
    AttributeError: "The first argument of run_in_executor is the executor, `pool`; the function must be "
                    "importable by name (count_primes, not a lambda).",
}


async def check_offload(crunch: Any, limit: int = EXERCISE_LIMIT, *, show_timeline: bool = False) -> check.Verdict:
    """Exercise 2: ``await crunch(pool, limit)`` next to a heartbeat must send ``count_primes`` with ``limit``
    to ``pool`` (a ProcessPoolExecutor the check owns), await it without blocking, and return its count."""
    if crunch is ... or not inspect.iscoroutinefunction(crunch):
        what = "still `...`" if crunch is ... else f"a {type(crunch).__name__}, not an `async def` function"
        check.close(crunch)
        return check.report(False, "", f"`crunch` is {what}: define `async def crunch(pool, limit):`.")
    with _WatchedPool(1, mp_context=process_context()) as pool:
        expected = await asyncio.wrap_future(pool.submit(count_primes, limit))  # also starts the worker
        pool.submitted = []
        run = await check.run(your_program(crunch, pool, limit), time_limit=10, call="crunch(pool, limit)")
        run.name = "crunch"
        if isinstance(run.error, TypeError) and "await" in str(run.error) and pool.submitted:
            run.extra["advice"] = {TypeError: "pool.submit(...) returns a concurrent.futures.Future, which "
                                              "cannot be awaited. Ask the loop instead: "
                                              "await loop.run_in_executor(pool, count_primes, limit)."}
        submitted = list(pool.submitted)

    def through_pool(run: check.Run) -> str | None:
        if not submitted:
            return ("the work did not go through `pool`: asyncio.to_thread or run_in_executor(None, ...) use "
                    "threads, which share one GIL, and a number written in the code is not a computation. "
                    "Pass `pool` as the first argument of run_in_executor.")
        fn, args = submitted[-1]
        if fn is not count_primes or tuple(args) != (limit,):
            return (f"the pool was sent {getattr(fn, '__name__', fn)}{tuple(args)!r}; send count_primes with "
                    "the argument `limit`: run_in_executor(pool, count_primes, limit).")
        return None

    verdict = check.expect(run, checks=[through_pool], result=expected, advice=run.extra.get("advice", _ADVICE),
                           done=f"count_primes ran in the process pool, the loop stayed free, and crunch gave "
                                f"back {expected}.")
    if show_timeline:
        run.show()
    return verdict
