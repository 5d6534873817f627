"""Exercises of notebook 09, *Best practices*: rules for :func:`asynclab.check.expect`, and two probes
that need more than a run (a cancellation, a capped downloader on a fresh server per limit)."""

from __future__ import annotations

import ast
import asyncio
import inspect
import textwrap
from typing import Any, Sequence

import aiohttp

from .. import check
from ..check import Verdict, report
from ..downloads import bodies_problem, in_flight_problem
from ..server import LocalServer

__all__ = ["UNBLOCKED", "check_cancellable", "check_capped", "nothing_lost"]

#: Exercise 1: the five downloads no longer block the loop and overlap (the cell gives the sizes).
UNBLOCKED = dict(overlap=5, done="no step blocked the loop and the five downloads overlapped.")


def nothing_lost(saved: list, expected: Sequence[Any]) -> dict[str, Any]:
    """Exercise 2: every save was awaited before handle_order returned, and they overlapped."""

    def all_saved(run: check.Run) -> str | None:
        got, wanted = sorted(map(str, saved)), sorted(map(str, expected))
        return None if got == wanted else f"saved {got}, expected {wanted}."

    return dict(checks=[all_saved], overlap=len(expected),
                done=f"all {len(expected)} saves finished, together, before handle_order returned: no task was lost.")


# -- Exercise 3: a swallowed cancellation ---------------------------------------------------------
def _tree(func: Any) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return None


def _catches_errors(func: Any) -> bool | None:
    """Whether ``func`` still has an except clause for ordinary errors (None: source unknown)."""
    tree = _tree(func)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)} | \
                    {n.attr for n in ast.walk(node.type) if isinstance(n, ast.Attribute)}
            if names - {"BaseException", "CancelledError", "asyncio"}:
                return True
    return False


async def _cancel_after(func: Any, log: list, delay: float) -> str:
    task = asyncio.create_task(func(log))
    await asyncio.sleep(delay)
    if task.done():
        return "finished"
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        return "cancelled"
    return "swallowed"


async def check_cancellable(func: Any, *, cancel_after: float = 0.12) -> Verdict:
    """Start ``func(log)`` as a task and cancel it after ``cancel_after`` s: it must end *cancelled*, its
    clean-up appending ``"closed"`` to ``log``, and still catch ordinary errors (the exercise keeps them)."""
    if func is ... or not inspect.iscoroutinefunction(func):
        check.close(func)
        return report(False, "", f"{'the function is still `...`' if func is ... else 'this is not an `async def` function'}"
                                 ": pass keep_polling itself (no parentheses).")
    log: list[str] = []
    name = func.__name__
    run = await check.run(_cancel_after(func, log, cancel_after), time_limit=3, call=f"{name}(log)")

    def cancelled(run: check.Run) -> str | None:
        if run.result == "finished":
            return f"{name}() finished before it was cancelled: it should keep working until told to stop."
        if run.result == "swallowed":
            return (f"{name}() was cancelled but went on working: an except clause caught CancelledError and did "
                    "not re-raise it. A bare `except:` or `except BaseException:` catches it; use "
                    "`except Exception:` (or re-raise CancelledError).")
        if "closed" not in log:
            return (f"{name}() stopped when cancelled, but its clean-up did not run (no 'closed' in the log). "
                    "Keep the try/finally around the loop.")
        if _catches_errors(func) is False:
            return (f"{name}() no longer catches errors: the exercise keeps the error handling for network "
                    "errors. Catch `Exception` (which CancelledError is not) instead of removing the except.")
        return None

    if run.timed_out and not run.stubborn:
        run.stuck_at = run.stuck_at or f"{name}()"
    return check.expect(run, checks=[cancelled], may_block=True, who=name,
                        done=f"{name}() stopped as soon as it was cancelled, its clean-up ran, and it still "
                             "catches ordinary errors.")


# -- Exercise 4: cap concurrency with a semaphore -------------------------------------------------
def _reads_inside_the_semaphore(func: Any) -> bool | None:
    """Whether every ``.read()``/``.text()`` of a response is inside an ``async with`` (None: source unknown)."""
    tree = _tree(func)
    if tree is None:
        return None
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncWith) and any("session" not in ast.unparse(item.context_expr)
                                                   for item in node.items):
            inside |= {id(n) for n in ast.walk(node)}
    reads = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and n.func.attr in ("read", "text", "json")]
    return all(id(n) in inside for n in reads)


async def check_capped(fetch_all: Any, n: int = 40, limits: Sequence[int] = (5, 3)) -> Verdict:
    """Run ``fetch_all(session, urls, limit)`` on ``n`` files for each of ``limits`` (so a hard-coded Semaphore(5)
    shows): the server must see 2 to ``limit`` requests at once, each whole (its body too) inside the semaphore."""
    if fetch_all is ... or not inspect.iscoroutinefunction(fetch_all):
        check.close(fetch_all)
        return report(False, "", "`fetch_all` should be your `async def fetch_all(session, urls, limit)` itself.")
    for limit in limits:
        async with LocalServer(files=n, size=1000, latency=0.05, name="nb09") as server:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                             timeout=aiohttp.ClientTimeout(total=10)) as session:
                run = await check.run(fetch_all, session, [f.url for f in server.files], limit, time_limit=10,
                                      call="fetch_all(session, urls, limit)")
            stats = await asyncio.to_thread(server.stats)

        def capped(run: check.Run) -> str | None:
            return in_flight_problem(stats.get("max_in_flight", 0), limit) or (
                "the response is read after the semaphore was released: hold it for the whole request, `async with "
                "sem:` around both session.get(...) and `await response.read()`."
                if _reads_inside_the_semaphore(fetch_all) is False else None)

        verdict = check.expect(run, checks=[capped], wrong_result=lambda got: bodies_problem(server.files, got),
                               may_block=True, done=None)
        if not verdict:  # one line in the end, for the first limit that fails
            return verdict
    return report(True, f"all {n} downloads arrived, several at a time and never more than the limit "
                        f"(tried with {' and '.join(map(str, limits))}).", "")
