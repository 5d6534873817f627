"""The checks of the notebook *Coordination, cancellation and debugging*.

For every exercise: the solution passes, and typical wrong answers each get
their own ❌ line (a hang, KeyboardInterrupt, None, a task left running, a
forgotten await, and the mistakes specific to the exercise).  Nothing may be
left running after a check, whatever the answer did.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pytest

from asynclab.exercises import nb10 as co
from verdicts import failed, passed, run_and_list_leftovers


blank = ...


def run(awaitable):
    verdict, left = run_and_list_leftovers(awaitable)
    assert left == [], f"the check left tasks running: {left}"
    return verdict


# -- 1 · deposit -----------------------------------------------------------------------
async def deposit_right(account, lock, amount):
    async with lock:
        balance = account["balance"]
        await asyncio.sleep(0.001)
        account["balance"] = balance + amount


async def deposit_racy(account, lock, amount):
    balance = account["balance"]
    await asyncio.sleep(0.001)
    account["balance"] = balance + amount


async def deposit_lock_only_write(account, lock, amount):
    balance = account["balance"]
    await asyncio.sleep(0.001)
    async with lock:
        account["balance"] = balance + amount


async def deposit_sync_with(account, lock, amount):
    with lock:
        account["balance"] += amount


async def deposit_hangs(account, lock, amount):
    await lock.acquire()            # never released
    account["balance"] += amount


async def deposit_interrupt(account, lock, amount):
    raise KeyboardInterrupt


async def deposit_forgets_await(account, lock, amount):
    async with lock:
        asyncio.sleep(0.001)
        account["balance"] += amount


async def deposit_leaves_task(account, lock, amount):
    async with lock:
        account["balance"] += amount
    asyncio.create_task(asyncio.sleep(1))


async def deposit_blank(account, lock, amount):
    async with ...:
        account["balance"] += amount


async def deposit_no_wait(account, lock, amount):
    account["balance"] += amount    # right total, but no lock: it only works without an await


def test_deposit_solution(capsys):
    passed(capsys, run(co.check_deposit(deposit_right)))


@pytest.mark.parametrize("answer, words", [
    (deposit_racy, "updates were lost"),
    (deposit_lock_only_write, "updates were lost"),
    (deposit_sync_with, "not `with lock:`"),
    (deposit_hangs, "a lock that is never released"),
    (deposit_interrupt, "KeyboardInterrupt"),
    (deposit_forgets_await, "never awaited"),
    (deposit_leaves_task, "still running"),
    (deposit_blank, "blank"),
    (deposit_no_wait, "did not queue on the lock"),
    (..., "not a function"),
])
def test_deposit_wrong(capsys, answer, words):
    failed(capsys, run(co.check_deposit(answer)), words)


# -- 2 · sensor ------------------------------------------------------------------------
import time  # noqa: E402


def sensor_right(loop, queue, n):
    for i in range(n):
        time.sleep(0.005)
        loop.call_soon_threadsafe(queue.put_nowait, i)
    loop.call_soon_threadsafe(queue.put_nowait, None)


def sensor_direct(loop, queue, n):
    for i in range(n):
        queue.put_nowait(i)
    queue.put_nowait(None)


def sensor_call_soon(loop, queue, n):
    for i in range(n):
        loop.call_soon(queue.put_nowait, i)
    loop.call_soon(queue.put_nowait, None)


def sensor_no_end(loop, queue, n):
    for i in range(n):
        loop.call_soon_threadsafe(queue.put_nowait, i)


def sensor_blank(loop, queue, n):
    for i in range(n):
        blank(queue.put_nowait, i)


def sensor_interrupt(loop, queue, n):
    raise KeyboardInterrupt


def sensor_returns_none_only(loop, queue, n):
    loop.call_soon_threadsafe(queue.put_nowait, None)


async def sensor_async(loop, queue, n):
    pass


def sensor_coroutine_threadsafe(loop, queue, n):
    for i in [*range(n), None]:
        asyncio.run_coroutine_threadsafe(queue.put(i), loop).result(timeout=1)


def test_sensor_solution(capsys):
    passed(capsys, run(co.check_sensor(sensor_right)))


def test_sensor_run_coroutine_threadsafe_also_passes(capsys):
    passed(capsys, run(co.check_sensor(sensor_coroutine_threadsafe)))


@pytest.mark.parametrize("answer, words", [
    (sensor_direct, "queue.put_nowait(...) was called from the sensor thread"),
    (sensor_call_soon, "loop.call_soon(...) was called from the sensor thread"),
    (sensor_no_end, "waited in vain"),
    (sensor_blank, "blank"),
    (sensor_interrupt, "KeyboardInterrupt"),
    (sensor_returns_none_only, "expected [0, 1, 2, 3, 4]"),
    (sensor_async, "ordinary `def`"),
])
def test_sensor_wrong(capsys, answer, words):
    before = threading.active_count()
    failed(capsys, run(co.check_sensor(answer)), words)
    assert threading.active_count() <= before + 1  # the sensor thread was joined (a pool thread may stay)


# -- 3 · checkout ----------------------------------------------------------------------
async def checkout_right(payment):
    return await asyncio.shield(payment)


async def checkout_plain(payment):
    return await payment


async def checkout_no_wait(payment):
    return "ok"


async def checkout_hangs(payment):
    await asyncio.Event().wait()


async def checkout_interrupt(payment):
    raise KeyboardInterrupt


async def checkout_forgets_await(payment):
    asyncio.shield(payment)
    asyncio.sleep(1)


async def checkout_leaves_task(payment):
    asyncio.create_task(asyncio.sleep(1))
    return "ok"


def test_checkout_solution(capsys):
    passed(capsys, run(co.check_checkout(checkout_right)))


@pytest.mark.parametrize("answer, words", [
    (checkout_plain, "cancelled the payment half way"),
    (checkout_no_wait, "at once"),
    (checkout_hangs, "gave up after"),   # never returns the payment's result
    (checkout_interrupt, "KeyboardInterrupt"),
    (checkout_forgets_await, "never awaited"),
    (checkout_leaves_task, "still running"),
])
def test_checkout_wrong(capsys, answer, words):
    failed(capsys, run(co.check_checkout(answer)), words)


# -- 4 · deadline ----------------------------------------------------------------------
async def deadline_right():
    return await asyncio.to_thread(co.blocking_fetch, 1.0, timeout=0.2)


async def deadline_outside():
    async with asyncio.timeout(0.2):
        return await asyncio.to_thread(co.blocking_fetch, 1.0)


async def deadline_none():
    return await asyncio.to_thread(co.blocking_fetch, 0.3)


async def deadline_blank():
    return await asyncio.to_thread(co.blocking_fetch, 1.0, ...)


async def deadline_hangs():
    await asyncio.Event().wait()


async def deadline_interrupt():
    raise KeyboardInterrupt


async def deadline_forgets_await():
    asyncio.to_thread(co.blocking_fetch, 1.0, timeout=0.2)


async def deadline_leaves_task():
    asyncio.create_task(asyncio.sleep(1))
    raise TimeoutError


def test_deadline_solution(capsys):
    passed(capsys, run(co.check_deadline(deadline_right)))
    assert co.threads_busy() == 0


@pytest.mark.parametrize("answer, words", [
    (deadline_outside, "the thread went on waiting"),
    (deadline_none, "waited the full"),
    (deadline_blank, "blank"),
    (deadline_hangs, "still running after 3 s"),
    (deadline_interrupt, "KeyboardInterrupt"),
    (deadline_forgets_await, "never awaited"),
    (deadline_leaves_task, "still running when fetch_with_deadline returned"),
])
def test_deadline_wrong(capsys, answer, words):
    failed(capsys, run(co.check_deadline(answer)), words)
    assert co.threads_busy() == 0


def test_blocking_fetch():
    assert co.blocking_fetch(0.01) == "data"
    with pytest.raises(TimeoutError):
        co.blocking_fetch(0.5, timeout=0.01)


# -- 5 · first_three -------------------------------------------------------------------
async def first_right(ticker, log):
    items = []
    async with contextlib.aclosing(ticker(log)) as ticks:
        async for tick in ticks:
            items.append(tick)
            if len(items) == 3:
                break
    return items


async def first_no_close(ticker, log):
    items = []
    async for tick in ticker(log):
        items.append(tick)
        if len(items) == 3:
            break
    return items


async def first_no_return(ticker, log):
    await first_right(ticker, log)


async def first_hangs(ticker, log):
    async with contextlib.aclosing(ticker(log)) as ticks:
        async for tick in ticks:
            pass
    await asyncio.Event().wait()


async def first_interrupt(ticker, log):
    raise KeyboardInterrupt


async def first_forgets_await(ticker, log):
    first_right(ticker, log)
    return [0, 1, 2]


async def first_leaves_task(ticker, log):
    asyncio.create_task(asyncio.sleep(1))
    return await first_right(ticker, log)


async def first_plain_with(ticker, log):
    with ticker(log) as ticks:
        return [t async for t in ticks]


def test_first_three_solution(capsys):
    passed(capsys, run(co.check_first_three(first_right)))


@pytest.mark.parametrize("answer, words", [
    (first_no_close, "had not run"),
    (first_no_return, "returned None"),
    (first_hangs, "`break` out of the `async for` loop"),
    (first_interrupt, "KeyboardInterrupt"),
    (first_forgets_await, "never awaited"),
    (first_leaves_task, "still running"),
    (first_plain_with, "raised TypeError"),
])
def test_first_three_wrong(capsys, answer, words):
    failed(capsys, run(co.check_first_three(answer)), words)


# -- 6 · send_all ----------------------------------------------------------------------
async def send_right(writer, chunks):
    for chunk in chunks:
        writer.write(chunk)
        await writer.drain()


async def send_no_drain(writer, chunks):
    for chunk in chunks:
        writer.write(chunk)


async def send_forgets_await(writer, chunks):
    for chunk in chunks:
        writer.write(chunk)
        writer.drain()


async def send_half(writer, chunks):
    for chunk in chunks[: len(chunks) // 2]:
        writer.write(chunk)
        await writer.drain()


async def send_hangs(writer, chunks):
    await asyncio.Event().wait()


async def send_interrupt(writer, chunks):
    raise KeyboardInterrupt


async def send_leaves_task(writer, chunks):
    asyncio.create_task(asyncio.sleep(1))
    await send_right(writer, chunks)


def test_send_solution(capsys):
    passed(capsys, run(co.check_send(send_right)))


@pytest.mark.parametrize("answer, words", [
    (send_no_drain, "piled up in memory"),
    (send_forgets_await, "never awaited"),
    (send_half, "the reader got"),
    (send_hangs, "still running after 5 s"),
    (send_interrupt, "KeyboardInterrupt"),
    (send_leaves_task, "still running"),
])
def test_send_wrong(capsys, answer, words):
    failed(capsys, run(co.check_send(answer)), words)


# -- 7 · shut_down ---------------------------------------------------------------------
async def shut_right(tasks):
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    return sum(isinstance(r, asyncio.CancelledError) for r in results)


async def shut_no_await(tasks):
    for task in tasks:
        task.cancel()
    return len(tasks)


async def shut_no_cancel(tasks):
    await asyncio.gather(*tasks, return_exceptions=True)
    return len(tasks)


async def shut_gather_raises(tasks):
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks)


async def shut_no_return(tasks):
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def shut_interrupt(tasks):
    raise KeyboardInterrupt


async def shut_forgets_await(tasks):
    for task in tasks:
        task.cancel()
    asyncio.sleep(0.1)
    return len(tasks)


async def shut_leaves_task(tasks):
    asyncio.create_task(asyncio.sleep(1))
    return await shut_right(tasks)


def test_shut_down_solution(capsys):
    passed(capsys, run(co.check_shut_down(shut_right)))


@pytest.mark.parametrize("answer, words", [
    (shut_no_await, "had cleaned up"),
    (shut_no_cancel, "call task.cancel() on each"),
    (shut_gather_raises, "CancelledError"),
    (shut_no_return, "returned None"),
    (shut_interrupt, "KeyboardInterrupt"),
    (shut_forgets_await, "never awaited"),
    (shut_leaves_task, "still running"),
])
def test_shut_down_wrong(capsys, answer, words):
    failed(capsys, run(co.check_shut_down(answer)), words)


# -- 8 · innermost ---------------------------------------------------------------------
def innermost_right(task):
    coro = task.get_coro()
    while inspect.iscoroutine(coro.cr_await):
        coro = coro.cr_await
    return coro.__name__


def innermost_outer(task):
    return task.get_coro().__name__


def innermost_middle(task):
    return task.get_coro().cr_await.__name__


def innermost_none(task):
    task.get_coro()


def innermost_interrupt(task):
    raise KeyboardInterrupt


async def innermost_async(task):
    return "_inner"


def innermost_blank(task):
    return blank(task)


def innermost_loops(task):
    coro = task.get_coro()
    while inspect.iscoroutine(coro.cr_await):
        coro = coro                     # never goes down
    return coro.__name__


import inspect  # noqa: E402


def test_innermost_solution(capsys):
    passed(capsys, run(co.check_innermost(innermost_right)))


@pytest.mark.parametrize("answer, words", [
    (innermost_outer, "outermost"),
    (innermost_middle, "one level short"),
    (innermost_none, "returned None"),
    (innermost_interrupt, "KeyboardInterrupt"),
    (innermost_async, "ordinary `def`, not `async def`"),
    (innermost_blank, "blank"),
    (innermost_loops, "still running after 1 s"),
    (..., "not a function"),
])
def test_innermost_wrong(capsys, answer, words):
    failed(capsys, run(co.check_innermost(answer)), words)


# -- the answers of a learner who tried every exercise in a real kernel ------------------
def sensor_put_not_awaited(loop, queue, n):
    for i in range(n):
        queue.put(i)
    queue.put(None)


def sensor_asyncio_run(loop, queue, n):
    for i in range(n):
        asyncio.run(queue.put(i))
    asyncio.run(queue.put(None))


def test_sensor_put_not_awaited_is_named_and_no_warning_leaks(capsys):
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = failed(capsys, run(co.check_sensor(sensor_put_not_awaited)),
                      "queue.put(...) was called in the sensor thread but never awaited",
                      "loop.call_soon_threadsafe(queue.put_nowait, item)")
    assert "final" not in line, line
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in caught]
    assert capsys.readouterr().err == ""


def test_sensor_asyncio_run_in_the_thread_is_named(capsys):
    failed(capsys, run(co.check_sensor(sensor_asyncio_run)), "asyncio.run(...) was called in the sensor thread",
           "starts a second event loop", "the queue belongs to the notebook's loop",
           "loop.call_soon_threadsafe(queue.put_nowait, item)")


async def deadline_on_the_loop():
    return co.blocking_fetch(1.0, timeout=0.2)


def test_deadline_blocking_call_on_the_loop(capsys):
    failed(capsys, run(co.check_deadline(deadline_on_the_loop)), "fetch_with_deadline blocked the loop",
           "`return co.blocking_fetch(1.0, timeout=0.2)`", "held the event loop",
           "blocking_fetch belongs in `asyncio.to_thread(...)`")


async def checkout_result(payment):
    return payment.result()


def test_checkout_result_of_a_pending_future(capsys):
    line = failed(capsys, run(co.check_checkout(checkout_result)), "InvalidStateError: Result is not set, at",
                  ".result() on a Task or Future that is not done yet raises this", "`await` it instead")
    assert ".." not in line.replace("(...)", ""), line


def test_send_drain_not_awaited_reads_plainly(capsys):
    failed(capsys, run(co.check_send(send_forgets_await)),
           "`writer.drain()` in send_forgets_await was called but never awaited")


def innermost_while_true(task):
    coro = task.get_coro()
    while True:
        coro = coro
    return coro.__name__


def innermost_returns_coro(task):
    coro = task.get_coro()
    while inspect.iscoroutine(coro.cr_await):
        coro = coro.cr_await
    return coro


def test_innermost_endless_loop_is_stopped(capsys):
    failed(capsys, run(co.check_innermost(innermost_while_true)), "innermost(task) was still running after 1 s")


def test_innermost_returning_the_coroutine(capsys):
    line = failed(capsys, run(co.check_innermost(innermost_returns_coro)),
                  "innermost returned the coroutine _inner(...) itself", "`coro.__name__`", "`coro.cr_code.co_name`")
    assert "Put `await`" not in line
