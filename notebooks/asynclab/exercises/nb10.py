"""Exercise checks for the notebook *Coordination, cancellation and debugging*.

One exercise per section.  Each check runs the learner's code for real, with a
time limit, and prints one ``✅ ...`` or ``❌ Not yet: ...`` line (through
:func:`asynclab.check.report`); a wrong answer never raises, never hangs the
cell and never leaves a task or a thread running after it.

What is common to every exercise (a time limit, what a hang usually means
there, which errors have a specific explanation) is written as data, an
:class:`Exercise`; :func:`run_answer` runs a learner's coroutine under those
rules and turns the usual mistakes into plain words:

* it hangs (nothing finished within the limit);
* it raised ``KeyboardInterrupt`` (which is how Ctrl+C arrives);
* a ``...`` blank is still there;
* a coroutine was called but never awaited (a forgotten ``await``);
* it returned ``None`` where a value was expected;
* it left a task running;
* any other exception, named with its message.

The checks: :func:`check_deposit` (a Lock around a read-modify-write),
:func:`check_sensor` (``call_soon_threadsafe`` from a thread),
:func:`check_checkout` (``asyncio.shield``), :func:`check_deadline` (a
blocking call that needs its own timeout), :func:`check_first_three`
(``contextlib.aclosing``), :func:`check_send` (``writer.drain``),
:func:`check_shut_down` (cancel *and* await) and :func:`check_innermost`
(following ``cr_await`` to where a task waits).
"""

from __future__ import annotations

import asyncio
import inspect
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..check import Verdict, report
from ..check import run as check_run
from ..timeline import Recording, seconds

__all__ = [
    "Exercise",
    "EXERCISES",
    "blocking_fetch",
    "check_checkout",
    "check_deadline",
    "check_deposit",
    "check_first_three",
    "check_innermost",
    "check_send",
    "check_sensor",
    "check_shut_down",
    "run_answer",
    "threads_busy",
]


# --------------------------------------------------------------------------
# The rules of each exercise, as data
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Exercise:
    """What a check needs to know to run one exercise safely."""

    #: The learner's function, as it is named in the notebook.
    name: str
    #: Seconds before the answer counts as hanging.
    limit: float
    #: What a hang usually means in this exercise.
    hang: str
    #: (exception type name, words in its message, advice): errors explained specifically.
    errors: tuple[tuple[str, str, str], ...] = ()
    #: Whether returning None is a mistake here.
    needs_result: bool = False


EXERCISES: dict[str, Exercise] = {
    "deposit": Exercise(
        "deposit", 2.0,
        "Something is waiting for a lock that is never released: use `async with lock:`, "
        "which releases it even if the body fails.",
        errors=(("TypeError", "context manager", "an asyncio.Lock is entered with `async with lock:`, not `with lock:`."),
                ("RuntimeError", "different event loop", "use the `lock` the check passes in, not one made elsewhere.")),
    ),
    "sensor": Exercise(
        "sensor", 3.0,
        "The reader never got the final `None`: send it too, with loop.call_soon_threadsafe(queue.put_nowait, None).",
    ),
    "checkout": Exercise(
        "checkout", 2.0, "checkout should wait only for the payment it is given.",
    ),
    "fetch_with_deadline": Exercise(
        "fetch_with_deadline", 3.0,
        "Give blocking_fetch a timeout of its own (its `timeout` argument).",
        errors=(("TypeError", "'<' not supported", "the timeout is still `...`: pass a number of seconds."),
                ("TypeError", "ellipsis", "the timeout is still `...`: pass a number of seconds.")),
    ),
    "first_three": Exercise(
        "first_three", 2.0, "Stop after three items: `break` out of the `async for` loop.",
        errors=(("TypeError", "asynchronous context manager", "wrap the generator as `async with contextlib.aclosing(ticker(log)) as ticks:`."),),
        needs_result=True,
    ),
    "send_all": Exercise(
        "send_all", 5.0, "send_all should only write the chunks and drain the writer.",
    ),
    "shut_down": Exercise(
        "shut_down", 2.0,
        "The workers loop forever until they are cancelled: call task.cancel() on each before awaiting them.",
        errors=(("TypeError", "awaitable is required",
                 "a `...` is still among gather's arguments: its option for this is `return_exceptions=True`."),),
        needs_result=True,
    ),
}


# --------------------------------------------------------------------------
# Running a learner's coroutine safely
# --------------------------------------------------------------------------
class Interrupted(Exception):
    """A KeyboardInterrupt (or SystemExit) raised by the learner's code in a task.

    Escaping a task, those would stop the event loop itself, so
    :func:`guarded` turns them into this ordinary exception."""


async def guarded(coro: Any) -> Any:
    """Await the learner's ``coro``; a KeyboardInterrupt or SystemExit comes out as :class:`Interrupted`."""
    try:
        return await coro
    except (KeyboardInterrupt, SystemExit) as exc:
        raise Interrupted(type(exc).__name__) from None


def _is_blank_error(exc: BaseException) -> bool:
    return "ellipsis" in str(exc)


async def run_answer(exercise: Exercise, coro: Any) -> tuple[Recording | None, str | None]:
    """Run ``coro`` (the learner's) under the exercise's rules.

    Returns ``(recording, None)`` when nothing common went wrong, else
    ``(recording or None, the plain-words problem)``.  Whatever happens,
    every task the code started is cancelled and awaited before this returns.
    """
    name = exercise.name
    if coro is ...:
        return None, f"`{name}` is still `...`: write the function, then run the cell again."
    if not inspect.iscoroutine(coro):
        return None, f"{name}(...) should be a coroutine: define it with `async def`."
    run = await check_run(coro, time_limit=exercise.limit, title=f"{name} (check)")
    if run.problem is not None:  # a `...` blank, or not a coroutine: check.run says which
        return None, run.problem.replace(f"`{type(coro).__name__}`", f"`{name}`")
    if run.error is not None and _is_blank_error(run.error):
        return run.rec, f"a `...` blank is still there in {name}: replace it and run the cell again."
    if run.timed_out or run.rec is None:
        return None, (f"{name} did not finish within {seconds(exercise.limit)}: it hangs. {exercise.hang}")
    rec = run.rec
    rec.error = run.error
    rec.never_awaited = list(run.never_awaited)
    return rec, _common_problem(exercise, rec)


def _common_problem(exercise: Exercise, rec: Recording) -> str | None:
    name, error = exercise.name, rec.error
    if isinstance(error, (KeyboardInterrupt, Interrupted)):
        return (f"{name} raised KeyboardInterrupt, the exception Ctrl+C raises. The check caught it here; "
                "in a program it would stop everything. Remove it.")
    if error is not None:
        kind = type(error).__name__
        if _is_blank_error(error):
            return f"a `...` blank is still there in {name}: replace it and run the cell again."
        for wanted, words, advice in exercise.errors:
            if kind == wanted and words in str(error):
                return f"{name} raised {kind}: {advice}"
        if isinstance(error, asyncio.CancelledError):
            return f"{name} ended with CancelledError: something it awaited was cancelled and the error escaped."
        return f"{name} raised {kind}: {error}."
    if rec.never_awaited:
        names = ", ".join(sorted(set(rec.never_awaited)))
        return f"{names}(...) was called but never awaited, so it never ran: put `await` in front of it."
    if rec.unfinished:
        return (f"{name} returned while {len(rec.unfinished)} task(s) it started were still running "
                f"({', '.join(rec.unfinished)}): await every task you start before returning.")
    if exercise.needs_result and rec.result is None:
        return f"{name} returned None: did you forget the `return`?"
    return None


# --------------------------------------------------------------------------
# 1 · A lock around a read-modify-write
# --------------------------------------------------------------------------
class _WatchedLock(asyncio.Lock):
    """An asyncio.Lock that counts how often someone had to queue for it."""

    def __init__(self) -> None:
        super().__init__()
        self.queued = 0

    async def acquire(self) -> bool:
        if self.locked():
            self.queued += 1
        return await super().acquire()


async def check_deposit(deposit: Callable[..., Any], n: int = 50) -> Verdict:
    """``deposit(account, lock, amount)`` called ``n`` times at once must lose nothing."""
    exercise = EXERCISES["deposit"]
    if deposit is ... or not callable(deposit):
        return report(False, "", "`deposit` is not a function yet.")
    lock, account = _WatchedLock(), {"balance": 0}

    async def bank():
        await asyncio.gather(*(guarded(deposit(account, lock, 1)) for _ in range(n)))
        return account["balance"]

    rec, problem = await run_answer(exercise, bank())
    if problem:
        return report(False, "", problem)
    total = account["balance"]
    if total < n:
        return report(False, "", f"{n} deposits of 1 left a balance of {total}: {n - total} updates were lost. "
                                 "The read, the await and the write must all be inside one `async with lock:`.")
    if total > n:
        return report(False, "", f"the balance is {total}, more than the {n} deposited: deposit once per call.")
    if not lock.queued:
        return report(False, "", f"the balance is right, but the deposits did not queue on the lock "
                                 "(nothing waited for it): take the lock with `async with lock:` around the update.")
    return report(True, f"{n} concurrent deposits, balance {total}: the lock made each update whole.", "")


# --------------------------------------------------------------------------
# 2 · Handing work from a thread to the loop
# --------------------------------------------------------------------------
class _WatchedQueue(asyncio.Queue):
    """An asyncio.Queue that notes calls from the wrong thread (and still works)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._loop_thread = threading.get_ident()
        self._the_loop = loop
        self.wrong_thread = 0

    def put_nowait(self, item: Any) -> None:
        if threading.get_ident() != self._loop_thread:
            self.wrong_thread += 1  # unsafe: hand it over properly, so the check itself cannot hang
            self._the_loop.call_soon_threadsafe(super().put_nowait, item)
        else:
            super().put_nowait(item)


class _WatchedLoop:
    """Stands for the loop in the sensor thread: notes `call_soon` from the wrong thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop, self._thread, self.wrong_thread = loop, threading.get_ident(), 0

    def call_soon(self, callback: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() != self._thread:
            self.wrong_thread += 1
            return self._loop.call_soon_threadsafe(callback, *args)
        return self._loop.call_soon(callback, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loop, name)


async def check_sensor(sensor: Callable[..., Any], n: int = 5) -> Verdict:
    """``sensor(loop, queue, n)`` runs in a thread and must deliver 0..n-1 then None, thread-safely."""
    if sensor is ... or not callable(sensor):
        return report(False, "", "`sensor` is not a function yet.")
    if inspect.iscoroutinefunction(sensor):
        return report(False, "", "sensor runs in a plain thread, so it is an ordinary `def`, not `async def`.")
    loop = asyncio.get_running_loop()
    queue, watched_loop = _WatchedQueue(loop), _WatchedLoop(loop)
    failures: list[BaseException] = []

    def in_thread() -> None:
        try:
            sensor(watched_loop, queue, n)
        except BaseException as exc:  # reported below, in plain words
            failures.append(exc)
            loop.call_soon_threadsafe(asyncio.Queue.put_nowait, queue, None)  # end the reader now

    thread = threading.Thread(target=in_thread, name="sensor")
    thread.start()
    got: list[Any] = []
    try:
        async with asyncio.timeout(EXERCISES["sensor"].limit):
            while (item := await queue.get()) is not None:
                got.append(item)
    except TimeoutError:
        got.append("hang")
    await asyncio.to_thread(thread.join, 5)
    if failures:
        exc = failures[0]
        if _is_blank_error(exc):
            return report(False, "", "a `...` blank is still there in sensor: replace it and run the cell again.")
        return report(False, "", f"sensor raised {type(exc).__name__} in its thread: {exc}.")
    if queue.wrong_thread or watched_loop.wrong_thread:
        what = "queue.put_nowait(...)" if queue.wrong_thread else "loop.call_soon(...)"
        return report(False, "", f"{what} was called from the sensor thread. asyncio objects are not thread-safe, "
                                 "and the loop may not even wake up: use loop.call_soon_threadsafe(queue.put_nowait, item).")
    if got and got[-1] == "hang":
        return report(False, "", f"the reader got {got[:-1]} and then waited in vain. {EXERCISES['sensor'].hang}")
    if got != list(range(n)):
        return report(False, "", f"the reader got {got}, expected {list(range(n))} and then None.")
    return report(True, f"all {n} readings crossed from the thread to the loop safely, then None ended the reader.", "")


# --------------------------------------------------------------------------
# 3 · shield: a caller's timeout must not cut the payment in half
# --------------------------------------------------------------------------
async def _pay(ledger: list[str]) -> str:
    ledger.append("charged")
    await asyncio.sleep(0.2)
    ledger.append("receipt")
    return "paid"


async def check_checkout(checkout: Callable[..., Any]) -> Verdict:
    """``checkout(payment)`` under a 0.05 s deadline: it gives up, the payment finishes."""
    exercise = EXERCISES["checkout"]
    if checkout is ... or not callable(checkout):
        return report(False, "", "`checkout` is not a function yet.")
    runs = []
    for deadline in (0.05, 1.0):  # an impatient caller, then a patient one
        ledger: list[str] = []
        payment = asyncio.create_task(_pay(ledger), name="payment")
        outcome: dict[str, Any] = {}

        async def caller(deadline=deadline, payment=payment, outcome=outcome):
            try:
                async with asyncio.timeout(deadline):
                    outcome["result"] = await checkout(payment)
            except TimeoutError:
                outcome["timeout"] = True

        try:
            rec, problem = await run_answer(exercise, caller())
        finally:
            await asyncio.wait({payment}, timeout=1)
            if not payment.done():
                payment.cancel()
                await asyncio.wait({payment}, timeout=0.5)
        if problem:
            return report(False, "", problem)
        runs.append((ledger, payment.cancelled(), outcome))
    (ledger, cancelled, outcome), (_, _, patient) = runs
    if cancelled or ledger != ["charged", "receipt"]:
        return report(False, "", "the caller's timeout cancelled the payment half way (charged, no receipt). "
                                 "Await it through asyncio.shield(payment) so a cancellation stops the waiting, not the payment.")
    if not outcome.get("timeout"):
        return report(False, "", f"checkout returned {outcome.get('result')!r} at once: "
                                 "it should wait for the payment (and give up when the caller does).")
    if patient.get("result") != "paid":
        got = "gave up after 1 s" if patient.get("timeout") else f"returned {patient.get('result')!r}"
        return report(False, "", f"with time to spare, checkout {got}; it should return the payment's result, 'paid'.")
    return report(True, "the impatient caller gave up after 0.05 s while the shielded payment finished; "
                        "the patient caller got 'paid'.", "")


# --------------------------------------------------------------------------
# 4 · A thread cannot be cancelled: the blocking call needs its own timeout
# --------------------------------------------------------------------------
_busy = 0
_busy_lock = threading.Lock()


def threads_busy() -> int:
    """How many calls of :func:`blocking_fetch` are running right now (in any thread)."""
    return _busy


def blocking_fetch(delay: float, timeout: float | None = None) -> str:
    """A stand-in for a blocking library call that takes ``delay`` seconds.

    Like a socket read, it gives up after ``timeout`` seconds (if given) with
    ``TimeoutError``; without one it waits the full ``delay``.
    """
    global _busy
    with _busy_lock:
        _busy += 1
    try:
        if timeout is not None and timeout < delay:
            time.sleep(timeout)
            raise TimeoutError(f"no answer within {timeout} s")
        time.sleep(delay)
        return "data"
    finally:
        with _busy_lock:
            _busy -= 1


async def check_deadline(fetch_with_deadline: Callable[..., Any]) -> Verdict:
    """``fetch_with_deadline()`` must give up within 0.5 s, *and* leave no thread working."""
    exercise = EXERCISES["fetch_with_deadline"]
    if fetch_with_deadline is ... or not callable(fetch_with_deadline):
        return report(False, "", "`fetch_with_deadline` is not a function yet.")
    start = time.perf_counter()
    rec, problem = await run_answer(exercise, fetch_with_deadline())
    took = time.perf_counter() - start
    left = threads_busy()
    for _ in range(300):  # let an abandoned thread finish, so nothing runs on after the cell
        if not threads_busy():
            break
        await asyncio.sleep(0.01)
    if problem and not (rec is not None and isinstance(rec.error, TimeoutError)):
        return report(False, "", problem)
    if left:
        return report(False, "", "the await gave up, but the thread went on waiting: a timeout cancels the coroutine, "
                                 "never the thread. Pass blocking_fetch a timeout of its own.")
    if rec is None or not isinstance(rec.error, TimeoutError):
        return report(False, "", f"fetch_with_deadline waited the full {seconds(took)} and returned {rec.result!r}: "
                                 "it should give up after 0.2 s with TimeoutError.")
    if took > 0.6:
        return report(False, "", f"it gave up, but only after {seconds(took)}: give up after 0.2 s.")
    return report(True, "TimeoutError after about 0.2 s, and no thread was left working.", "")


# --------------------------------------------------------------------------
# 5 · Closing an async generator on time
# --------------------------------------------------------------------------
async def _ticker(log: list[str]):
    log.append("opened")
    try:
        for i in range(100):
            await asyncio.sleep(0.01)
            yield i
    finally:
        await asyncio.sleep(0.01)  # closing a connection takes an await
        log.append("closed")


async def check_first_three(first_three: Callable[..., Any]) -> Verdict:
    """``first_three(ticker, log)`` returns [0, 1, 2] with the generator closed before it returns."""
    exercise = EXERCISES["first_three"]
    if first_three is ... or not callable(first_three):
        return report(False, "", "`first_three` is not a function yet.")
    log: list[str] = []
    closed_at_return: list[bool] = []

    async def run():
        result = await first_three(_ticker, log)
        closed_at_return.append("closed" in log)
        return result

    rec, problem = await run_answer(exercise, run())
    await asyncio.sleep(0.05)  # let a generator left to the garbage collector finish closing
    if problem:
        return report(False, "", problem)
    if rec.result != [0, 1, 2]:
        return report(False, "", f"first_three returned {rec.result!r}, expected [0, 1, 2].")
    if not closed_at_return[0]:
        return report(False, "", "the result is right, but the generator's `finally` had not run when first_three returned: "
                                 "after `break` it stays open until someone closes it. Use `async with contextlib.aclosing(...)`.")
    return report(True, "[0, 1, 2], and the generator was closed (its finally ran) before first_three returned.", "")


# --------------------------------------------------------------------------
# 6 · Back-pressure: writer.drain()
# --------------------------------------------------------------------------
class _WatchedWriter:
    """A StreamWriter that notes the largest amount of data waiting in its buffer."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer, self.most = writer, 0

    def write(self, data: bytes) -> None:
        self._writer.write(data)
        self.most = max(self.most, self._writer.transport.get_write_buffer_size())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)


async def check_send(send_all: Callable[..., Any], chunks: int = 64, size: int = 64 * 1024) -> Verdict:
    """``send_all(writer, chunks)`` to a slow reader must keep the buffer small and send everything."""
    exercise = EXERCISES["send_all"]
    if send_all is ... or not callable(send_all):
        return report(False, "", "`send_all` is not a function yet.")
    received = 0
    handlers: list[asyncio.Task] = []

    async def slow_reader(reader, writer):
        nonlocal received
        handlers.append(asyncio.current_task())
        while data := await reader.read(64 * 1024):
            received += len(data)
            await asyncio.sleep(0.001)
        writer.close()
        await writer.wait_closed()

    listener = socket.create_server(("127.0.0.1", 0))
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)  # inherited by the accepted socket
    server = await asyncio.start_server(slow_reader, sock=listener)
    try:
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        # small kernel buffers, so data that is not sent yet stays in the writer's buffer, where we see it
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)
        watched = _WatchedWriter(writer)
        data = [bytes(size) for _ in range(chunks)]
        rec, problem = await run_answer(exercise, send_all(watched, data))
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 5)
        except (OSError, TimeoutError):
            pass
        if handlers:
            await asyncio.wait(handlers, timeout=5)
    finally:
        server.close()
        await server.wait_closed()
    if problem:
        return report(False, "", problem)
    total = chunks * size
    if received != total:
        return report(False, "", f"the reader got {received // 1024} KB of the {total // 1024} KB: write every chunk.")
    if watched.most > 8 * size:
        return report(False, "", f"up to {watched.most // 1024} KB piled up in memory, waiting to be sent: "
                                 "after each write, `await writer.drain()` so a fast writer waits for a slow reader.")
    return report(True, f"{total // 1024} KB sent, and never more than a few chunks waited in memory: drain() held the writer back.", "")


# --------------------------------------------------------------------------
# 7 · Shutting down: cancel, then await
# --------------------------------------------------------------------------
async def _worker(cleaned: list[int], i: int) -> None:
    try:
        while True:
            await asyncio.sleep(0.05)
    finally:
        await asyncio.sleep(0.02)  # flush what it holds: clean-up that awaits
        cleaned.append(i)


async def check_shut_down(shut_down: Callable[..., Any], n: int = 3) -> Verdict:
    """``shut_down(tasks)`` must cancel every task and return only once their clean-up has run."""
    exercise = EXERCISES["shut_down"]
    if shut_down is ... or not callable(shut_down):
        return report(False, "", "`shut_down` is not a function yet.")
    cleaned: list[int] = []
    tasks = [asyncio.create_task(_worker(cleaned, i), name=f"worker-{i}") for i in range(n)]
    await asyncio.sleep(0.06)
    seen: dict[str, Any] = {}

    async def run():
        result = await shut_down(tasks)
        seen["done"] = sum(t.done() for t in tasks)
        seen["cleaned"] = len(cleaned)
        return result

    try:
        rec, problem = await run_answer(exercise, run())
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.wait(tasks, timeout=1)
    if problem:
        return report(False, "", problem)
    if seen["done"] < n or seen["cleaned"] < n:
        return report(False, "", f"shut_down returned when {seen['cleaned']} of {n} workers had cleaned up: "
                                 "after cancelling, await them all (asyncio.gather(*tasks, return_exceptions=True)).")
    if rec.result != n:
        return report(False, "", f"shut_down returned {rec.result!r}: return how many tasks ended cancelled ({n} here).")
    return report(True, f"all {n} workers were cancelled, cleaned up, and awaited before shut_down returned.", "")


# --------------------------------------------------------------------------
# 8 · Where is a task waiting?
# --------------------------------------------------------------------------
async def _inner() -> None:
    await asyncio.get_running_loop().create_future()  # a reply that never comes


async def _middle() -> None:
    await _inner()


async def _outer() -> None:
    await _middle()


async def check_innermost(innermost: Callable[..., Any]) -> Verdict:
    """``innermost(task)`` names the coroutine function the task is suspended in, innermost."""
    if innermost is ... or not callable(innermost):
        return report(False, "", "`innermost` is not a function yet.")
    task = asyncio.create_task(_outer(), name="stuck")
    await asyncio.sleep(0.01)
    try:
        answer = innermost(task)
    except BaseException as exc:  # the learner's mistake, in plain words
        answer = exc
    finally:
        task.cancel()
        await asyncio.wait({task}, timeout=1)
    if inspect.iscoroutine(answer):
        answer.close()
        return report(False, "", "innermost returned a coroutine: it is an ordinary `def` that only looks at the task.")
    if isinstance(answer, BaseException):
        if _is_blank_error(answer):
            return report(False, "", "a `...` blank is still there in innermost: replace it and run the cell again.")
        return report(False, "", f"innermost raised {type(answer).__name__}: {answer}.")
    if answer is None:
        return report(False, "", "innermost returned None: did you forget the `return`?")
    if answer in ("_outer", "outer"):
        return report(False, "", f"{answer!r} is the task's outermost coroutine (what get_coro() and get_stack() show). "
                                 "Follow `cr_await` down while it is a coroutine.")
    if answer in ("_middle", "middle"):
        return report(False, "", "one level short: keep following `cr_await` while it is a coroutine.")
    if answer == "_inner":
        return report(True, "the task is waiting inside _inner(), two awaits below the coroutine the task runs.", "")
    return report(False, "", f"innermost returned {answer!r}; expected the name of a coroutine function, here '_inner'.")
