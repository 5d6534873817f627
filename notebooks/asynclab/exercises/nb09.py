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
    """Exercise 2: every save was awaited before handle_order returned, they overlapped, and it still
    returns ``"<n> items accepted"``."""

    def all_saved(run: check.Run) -> str | None:
        got, wanted = sorted(map(str, saved)), sorted(map(str, expected))
        return None if got == wanted else f"saved {got}, expected {wanted}."

    return dict(checks=[all_saved], overlap=len(expected), result=f"{len(expected)} items accepted",
                done=f"all {len(expected)} saves finished, together, before handle_order returned: no task was lost.")


# -- Exercise 3: a swallowed cancellation ---------------------------------------------------------
def _tree(func: Any) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return None


def _catches_errors(func: Any) -> bool | None:
    """Whether ``func`` still has an except clause for ordinary errors (None: source unknown).  A bare
    ``except:`` or ``except BaseException:`` counts (after an ``except CancelledError: raise`` it is right),
    unless all it does is re-raise."""
    tree = _tree(func)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.ExceptHandler):
            continue
        if len(node.body) == 1 and isinstance(node.body[0], ast.Raise) and node.body[0].exc is None:
            continue  # `except ...: raise` handles nothing
        if node.type is None:
            return True
        names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)} | \
                {n.attr for n in ast.walk(node.type) if isinstance(n, ast.Attribute)}
        if names - {"CancelledError", "asyncio"}:
            return True
    return False


async def _cancel_after(func: Any, log: list, delay: float) -> str:
    task = asyncio.create_task(func(log))
    await asyncio.sleep(delay)
    if task.done():
        return "finished"
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=0.02)  # a task that goes on working needs a round more
    try:
        await task
    except asyncio.CancelledError:
        return "cancelled"
    return "ended" if done else "swallowed"


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
            blocked = run.rec.blocking_spans() if run.rec is not None else []
            if blocked:
                return (f"{name}() finished before it could be cancelled: "
                        f"{check._blocked_words(check._first(blocked))[:-1]}, not even the cancellation. "
                        "time.sleep blocks the loop: wait with `await asyncio.sleep(...)`.")
            return f"{name}() finished before it was cancelled: it should keep working until told to stop."
        if run.result == "ended":
            return (f"{name}() swallowed the cancellation: it caught CancelledError and ended normally instead of "
                    "re-raising it, so the caller thinks it finished. Let CancelledError through (`except "
                    "Exception:`), or `raise` it again after cleaning up.")
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
                        hang=f"{name}() swallows every cancellation: a bare `except:` (or `except BaseException:`) "
                             "catches CancelledError too, so it never stops. Use `except Exception:`.",
                        done=f"{name}() stopped as soon as it was cancelled, its clean-up ran, and it still "
                             "catches ordinary errors.")


# -- Exercise 4: cap concurrency with a semaphore -------------------------------------------------
def _reads_inside_the_semaphore(func: Any) -> bool | None:
    """Whether every ``.read()``/``.text()`` of a response is inside an ``async with`` of the semaphore, not
    merely inside ``async with response:`` or ``async with session.get(...)`` (None: source unknown)."""
    tree = _tree(func)
    if tree is None:
        return None
    responses: set[str] = set()  # names bound to a response: `response = await session.get(...)`, `as response`
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and "session" in ast.unparse(node.value):
            responses |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        if isinstance(node, (ast.AsyncWith, ast.With)):
            responses |= {item.optional_vars.id for item in node.items if "session" in ast.unparse(item.context_expr)
                          and isinstance(item.optional_vars, ast.Name)}
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncWith) and any(
                "session" not in ast.unparse(item.context_expr)
                and not (isinstance(item.context_expr, ast.Name) and item.context_expr.id in responses)
                for item in node.items):
            inside |= {id(n) for n in ast.walk(node)}
    reads = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and n.func.attr in ("read", "text", "json")]
    return all(id(n) in inside for n in reads)


def _took_a_lock(run: check.Run) -> bool:
    return run.rec is not None and any(s.reason == "lock" for s in run.rec.spans)


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

        def capped(run: check.Run, stats: dict = stats, limit: int = limit) -> str | None:
            seen = stats.get("max_in_flight", 0)
            if seen <= 1 and _took_a_lock(run):
                return ("the server saw only one request at a time: an asyncio.Lock lets only one holder in at a "
                        "time. Use `asyncio.Semaphore(limit)`, which lets `limit` requests in together.")
            return in_flight_problem(seen, limit) or (
                "the response is read after the semaphore was released: the semaphore must be held for the whole "
                "request, reading the body included. Put `async with sem:` around both session.get(...) and "
                "`await response.read()`." if _reads_inside_the_semaphore(fetch_all) is False else None)

        verdict = check.expect(run, checks=[capped], wrong_result=lambda got: bodies_problem(server.files, got),
                               may_block=True, done=None)
        if not verdict:  # one line in the end, for the first limit that fails
            return verdict
    return report(True, f"all {n} downloads arrived, several at a time and never more than the limit "
                        f"(tried with {' and '.join(map(str, limits))}).", "")
