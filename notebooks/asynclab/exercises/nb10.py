"""Exercise checks for the notebook *Coordination, cancellation and debugging*.

Each check sets the stage (a payment, a slow reader, workers to stop...), runs the learner's
code with :func:`asynclab.check.run` and judges it with :func:`asynclab.check.expect`: the
shared rules first, then the exercise's own, as data.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import socket
import sys
import warnings
from typing import Any, Callable

from .. import check
from ..check import Verdict, report
from ..recording import seconds
from ..workloads import blocking_fetch, threads_busy  # the lesson's stand-in for a blocking call

__all__ = ["blocking_fetch", "check_checkout", "check_deadline", "check_deposit", "check_first_three",
           "check_innermost", "check_send", "check_sensor", "check_shut_down", "threads_busy"]

BLANK = "a `...` blank is still there in {}: replace it and run the cell again."


async def _attempt(func: Any, name: str, work: Callable[[], Any], limit: float, *, raises: type | None = None,
                   errors: tuple[tuple[type, str, str], ...] = (), **rules: Any) -> Verdict:
    """Run ``work()`` (the learner's ``func``, or the check's coroutine calling it) and judge it by ``rules``.
    ``errors`` are (exception type, words in its message, advice) explained specially; an exception of
    type ``raises`` is the expected outcome (it becomes the result)."""
    if func is ... or not callable(func):
        return report(False, "", f"`{name}` is not a function yet.")
    try:
        coro = work()
    except BaseException as exc:  # a plain `def` that raised when called
        return report(False, "", check.explain(exc, name))
    run = await check.run(coro, time_limit=limit, call=f"{name}(...)")
    if raises is not None and isinstance(run.error, raises):
        run.result, run.error = raises, None
    if run.error is not None and "ellipsis" in str(run.error):
        return report(False, "", BLANK.format(name))
    for kind, words, advice in errors:
        if isinstance(run.error, kind) and words in str(run.error):
            return report(False, "", f"{name} raised {kind.__name__}: {advice}")
    return check.expect(run, who=name, may_block=True, **rules)


# -- 1 · A lock around a read-modify-write --------------------------------------------------------
async def check_deposit(deposit: Any, n: int = 50) -> Verdict:
    """``deposit(account, lock, amount)`` called ``n`` times at once must lose nothing."""
    lock, account = asyncio.Lock(), {"balance": 0}

    async def bank() -> None:
        await asyncio.gather(*(deposit(account, lock, 1) for _ in range(n)))

    def whole(run: check.Run) -> str | None:
        total = account["balance"]
        if total != n:
            return (f"{n} deposits of 1 left a balance of {total}: {n - total} updates were lost. The read, the "
                    "await and the write must all be inside one `async with lock:`." if total < n else
                    f"the balance is {total}, more than the {n} deposited: deposit once per call.")
        if not any(span.reason == "lock" for span in run.rec.spans):
            return ("the balance is right, but the deposits did not queue on the lock (nothing waited for it): "
                    "take the lock with `async with lock:` around the update.")
        return None

    return await _attempt(deposit, "deposit", bank, 2, checks=[whole],
                          hang="Something is waiting for a lock that is never released: use `async with lock:`, "
                               "which releases it even if the body fails.",
                          errors=((TypeError, "context manager",
                                   "an asyncio.Lock is entered with `async with lock:`, not `with lock:`."),
                                  (RuntimeError, "different event loop",
                                   "use the `lock` the check passes in, not one made elsewhere.")),
                          done=f"{n} concurrent deposits, balance {n}: the lock made each update whole.")


# -- 2 · Handing work from a thread to the loop ---------------------------------------------------
_NOT_THREADSAFE = {asyncio.Queue.put_nowait.__code__: "queue.put_nowait(...)",
                   asyncio.BaseEventLoop.call_soon.__code__: "loop.call_soon(...)",
                   asyncio.run.__code__: "asyncio.run(...)"}
_SAFELY = "use loop.call_soon_threadsafe(queue.put_nowait, item)"


async def check_sensor(sensor: Any, n: int = 5) -> Verdict:
    """``sensor(loop, queue, n)`` runs in a thread and must deliver 0..n-1 then None, thread-safely."""
    if inspect.iscoroutinefunction(sensor):
        return report(False, "", "sensor runs in a plain thread, so it is an ordinary `def`, not `async def`.")
    loop, queue, wrong = asyncio.get_running_loop(), asyncio.Queue(), []

    def note(frame: Any, event: str, _: Any) -> None:  # a profiler in the sensor's thread: what it calls
        if event == "call" and frame.f_code in _NOT_THREADSAFE:
            wrong.append(_NOT_THREADSAFE[frame.f_code])

    def watched() -> None:
        with warnings.catch_warnings(record=True) as caught:  # coroutines made in the thread, never awaited
            warnings.simplefilter("always", RuntimeWarning)
            sys.setprofile(note)
            try:
                sensor(loop, queue, n)
            finally:
                sys.setprofile(None)
                gc.collect()
        if any("'Queue.put' was never awaited" in str(w.message) for w in caught):
            wrong.append("queue.put(...)")

    async def deliveries() -> list[Any]:
        await asyncio.to_thread(watched)  # what it handed over is in the queue when it ends
        return [queue.get_nowait() for _ in range(queue.qsize())]

    def safely(got: Any) -> str | None:
        if "asyncio.run(...)" in wrong:
            return ("asyncio.run(...) was called in the sensor thread: it starts a second event loop there, but the "
                    f"queue belongs to the notebook's loop, which is not told anything. Hand the item over: {_SAFELY}.")
        if "queue.put(...)" in wrong:
            return ("queue.put(...) was called in the sensor thread but never awaited: it only made a coroutine, so "
                    f"nothing reached the queue (and a thread cannot `await`). {_SAFELY[0].upper()}{_SAFELY[1:]}.")
        if wrong:
            return (f"{wrong[0]} was called from the sensor thread. asyncio objects are not thread-safe, and the "
                    f"loop may not even wake up: {_SAFELY}.")
        if got[-1:] != [None]:
            return (f"the reader got {got} and then waited in vain. The reader never got the final `None`: "
                    "send it too, with loop.call_soon_threadsafe(queue.put_nowait, None).")
        return None if got == [*range(n), None] else f"the reader got {got[:-1]}, expected {list(range(n))} and then None."

    return await _attempt(sensor, "sensor", deliveries, 3, wrong_result=safely,
                          done=f"all {n} readings crossed from the thread to the loop safely, then None ended the reader.")


# -- 3 · shield: a caller's timeout must not cut the payment in half ------------------------------
async def _pay(ledger: list[str]) -> str:
    ledger.append("charged")
    await asyncio.sleep(0.2)
    ledger.append("receipt")
    return "paid"


async def check_checkout(checkout: Any) -> Verdict:
    """``checkout(payment)`` under a 0.05 s deadline gives up while the payment finishes; with 1 s, it returns 'paid'."""

    async def callers() -> list[tuple[Any, list[str], bool]]:
        seen = []
        for deadline in (0.05, 1.0):  # an impatient caller, then a patient one
            ledger: list[str] = []
            payment = asyncio.create_task(_pay(ledger), name="payment")
            try:
                async with asyncio.timeout(deadline):
                    got = await checkout(payment)
            except TimeoutError:
                got = TimeoutError
            await asyncio.wait({payment}, timeout=1)
            seen.append((got, ledger, payment.cancelled()))
        return seen

    def shielded(seen: Any) -> str | None:
        (got, ledger, cancelled), (patient, _, _) = seen
        if cancelled or ledger != ["charged", "receipt"]:
            return ("the caller's timeout cancelled the payment half way (charged, no receipt). Await it through "
                    "asyncio.shield(payment) so a cancellation stops the waiting, not the payment.")
        if got is not TimeoutError:
            return f"checkout returned {got!r} at once: it should wait for the payment (and give up when the caller does)."
        if patient != "paid":
            how = "gave up after 1 s" if patient is TimeoutError else f"returned {patient!r}"
            return f"with time to spare, checkout {how}; it should return the payment's result, 'paid'."
        return None

    return await _attempt(checkout, "checkout", callers, 3, wrong_result=shielded,
                          hang="checkout should wait only for the payment it is given.",
                          done="the impatient caller gave up after 0.05 s while the shielded payment finished; "
                               "the patient caller got 'paid'.")


# -- 4 · A thread cannot be cancelled: the blocking call needs its own timeout --------------------
async def check_deadline(fetch_with_deadline: Any) -> Verdict:
    """``fetch_with_deadline()`` must give up with TimeoutError within 0.5 s, *and* leave no thread working."""

    def gave_up(run: check.Run) -> str | None:
        blocked = run.rec.blocking_spans() if run.rec is not None else []
        if blocked:
            return (f"fetch_with_deadline blocked the loop: {check._blocked_words(check._first(blocked))} "
                    "blocking_fetch belongs in `asyncio.to_thread(...)`: "
                    "`await asyncio.to_thread(nb10.blocking_fetch, 1.0, timeout=0.2)`.")
        if threads_busy():
            return ("the await gave up, but the thread went on waiting: a timeout cancels the coroutine, "
                    "never the thread. Pass blocking_fetch a timeout of its own.")
        if run.result is not TimeoutError:
            return (f"fetch_with_deadline waited the full {seconds(run.rec.wall)} and returned {run.result!r}: "
                    "it should give up after 0.2 s with TimeoutError.")
        return f"it gave up, but only after {seconds(run.rec.wall)}: give up after 0.2 s." if run.rec.wall > 0.5 else None

    verdict = await _attempt(fetch_with_deadline, "fetch_with_deadline", fetch_with_deadline, 3,
                             raises=TimeoutError, checks=[gave_up],
                             hang="Give blocking_fetch a timeout of its own (its `timeout` argument).",
                             done="TimeoutError after about 0.2 s, and no thread was left working.")
    for _ in range(300):  # let an abandoned thread finish, so nothing runs on after the cell
        if not threads_busy():
            break
        await asyncio.sleep(0.01)
    return verdict


# -- 5 · Closing an async generator on time ------------------------------------------------------
async def _ticker(log: list[str]):
    log.append("opened")
    try:
        for i in range(100):
            await asyncio.sleep(0.01)
            yield i
    finally:
        await asyncio.sleep(0.01)  # closing a connection takes an await
        log.append("closed")


async def check_first_three(first_three: Any) -> Verdict:
    """``first_three(ticker, log)`` returns [0, 1, 2] with the generator closed before it returns."""
    log: list[str] = []
    closed: list[bool] = []

    async def attempt() -> Any:
        items = await first_three(_ticker, log)
        closed.append("closed" in log)
        return items

    def on_time(run: check.Run) -> str | None:
        return None if closed[0] else (
            "the result is right, but the generator's `finally` had not run when first_three returned: after "
            "`break` it stays open until someone closes it. Use `async with contextlib.aclosing(...)`.")

    verdict = await _attempt(first_three, "first_three", attempt, 2, result=[0, 1, 2], checks=[on_time],
                             hang="Stop after three items: `break` out of the `async for` loop.",
                             errors=((TypeError, "asynchronous context manager", "wrap the generator as "
                                      "`async with contextlib.aclosing(ticker(log)) as ticks:`."),),
                             done="[0, 1, 2], and the generator was closed (its finally ran) before first_three returned.")
    await asyncio.sleep(0.05)  # let a generator left to the garbage collector finish closing
    return verdict


# -- 6 · Back-pressure: writer.drain() ------------------------------------------------------------
class _Writer:
    """A StreamWriter that notes the largest amount of data waiting in its buffer."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer, self.most = writer, 0

    def write(self, data: bytes) -> None:
        self._writer.write(data)
        self.most = max(self.most, self._writer.transport.get_write_buffer_size())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)


async def check_send(send_all: Any, chunks: int = 64, size: int = 64 * 1024) -> Verdict:
    """``send_all(writer, chunks)`` to a slow reader must keep the buffer small and send everything."""
    received, handlers = [0], []

    async def slow_reader(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.current_task())
        while data := await reader.read(64 * 1024):
            received[0] += len(data)
            await asyncio.sleep(0.001)
        writer.close()
        await writer.wait_closed()

    def all_sent(run: check.Run) -> str | None:
        if received[0] != chunks * size:
            return f"the reader got {received[0] // 1024} KB of the {chunks * size // 1024} KB: write every chunk."
        if watched.most > 8 * size:
            return (f"up to {watched.most // 1024} KB piled up in memory, waiting to be sent: after each write, "
                    "`await writer.drain()` so a fast writer waits for a slow reader.")
        return None

    listener = socket.create_server(("127.0.0.1", 0))
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)  # inherited by the accepted socket
    server = await asyncio.start_server(slow_reader, sock=listener)
    _, writer = await asyncio.open_connection(*listener.getsockname())
    # small kernel buffers, so data that is not sent yet stays in the writer's buffer, where we see it
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)
    watched = _Writer(writer)
    run = await check.run(send_all, watched, [bytes(size)] * chunks, time_limit=5, call="send_all(writer, chunks)")
    writer.close()
    if handlers:
        await asyncio.wait(handlers, timeout=5)  # the reader has all there is
    server.close()
    await server.wait_closed()
    return check.expect(run, who="send_all", may_block=True, checks=[all_sent],
                        hang="send_all should only write the chunks and drain the writer.",
                        done=f"{chunks * size // 1024} KB sent, and never more than a few chunks waited in memory: "
                             "drain() held the writer back.")


# -- 7 · Shutting down: cancel, then await --------------------------------------------------------
async def _worker(cleaned: list[int], i: int) -> None:
    try:
        while True:
            await asyncio.sleep(0.05)
    finally:
        await asyncio.sleep(0.02)  # flush what it holds: clean-up that awaits
        cleaned.append(i)


async def check_shut_down(shut_down: Any, n: int = 3) -> Verdict:
    """``shut_down(tasks)`` must cancel every task and return, once their clean-up has run, how many were cancelled."""
    cleaned: list[int] = []
    seen: dict[str, int] = {}

    async def attempt() -> Any:
        tasks = [asyncio.create_task(_worker(cleaned, i), name=f"worker-{i}") for i in range(n)]
        await asyncio.sleep(0.06)
        result = await shut_down(tasks)
        seen.update(done=sum(t.done() for t in tasks), cleaned=len(cleaned))
        return result

    def awaited(run: check.Run) -> str | None:
        if min(seen["done"], seen["cleaned"]) < n:
            return (f"shut_down returned when {seen['cleaned']} of {n} workers had cleaned up: after cancelling, "
                    "await them all (asyncio.gather(*tasks, return_exceptions=True)).")
        return None

    return await _attempt(shut_down, "shut_down", attempt, 2, result=n, checks=[awaited],
                          hang="The workers loop forever until they are cancelled: call task.cancel() on each "
                               "before awaiting them.",
                          errors=((TypeError, "awaitable is required", "a `...` is still among gather's "
                                   "arguments: its option for this is `return_exceptions=True`."),),
                          advice={asyncio.CancelledError: "Something it awaited was cancelled and the error escaped: "
                                                          "gather(..., return_exceptions=True) hands it back instead."},
                          done=f"all {n} workers were cancelled, cleaned up, and awaited before shut_down returned.")


# -- 8 · Where is a task waiting? -----------------------------------------------------------------
async def _inner() -> None:
    await asyncio.get_running_loop().create_future()  # a reply that never comes


async def _middle() -> None:
    await _inner()


async def _outer() -> None:
    await _middle()


async def check_innermost(innermost: Any) -> Verdict:
    """``innermost(task)`` names the coroutine function the task is suspended in, innermost."""
    if inspect.iscoroutinefunction(innermost):
        return report(False, "", "innermost only looks at the task: it is an ordinary `def`, not `async def`.")

    problems: list[str] = []

    async def look() -> Any:
        task = asyncio.create_task(_outer(), name="stuck")  # the check cancels it afterwards
        await asyncio.sleep(0.01)
        # in a tuple, so that check.call does not close a coroutine the task is still running
        answer, problem = check.call(lambda t: (innermost(t),), task, who="innermost(task)", limit=1)
        if problem:
            problems.append(problem)
            return None
        if inspect.iscoroutine(answer[0]):
            problems.append(f"innermost returned the coroutine {answer[0].__qualname__}(...) itself: return its "
                            "name, `coro.__name__` (or `coro.cr_code.co_name`).")
            return None
        return answer[0]

    def deepest(answer: Any) -> str | None:
        if problems:
            return problems[0]
        if answer in ("_outer", "outer"):
            return (f"{answer!r} is the task's outermost coroutine (what get_coro() and get_stack() show). "
                    "Follow `cr_await` down while it is a coroutine.")
        if answer in ("_middle", "middle"):
            return "one level short: keep following `cr_await` while it is a coroutine."
        return None

    return await _attempt(innermost, "innermost", look, 2, result="_inner", wrong_result=deepest,
                          hang="Go down one level each time round: `coro = coro.cr_await`.",
                          done="the task is waiting inside _inner(), two awaits below the coroutine the task runs.")
