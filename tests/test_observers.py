"""The compiled observer (``_fastrun.c``) records exactly what the Python one does.

``recorder.py`` has one observer of ``Handle._run`` written in Python and, when
``python -m asynclab.accelerate`` has built it, the same in C for the common
cases.  Each program below is measured with both, in one process, and the two
recordings must agree on everything but the times: the lanes, what each runs,
how it ended, and in each lane the sequence of running and waiting spans with
their segments and reasons.  The corpus (test_transparency.py) and the
timeline tests run with whichever observer is in use; test_transparency.py also
runs the corpus with ASYNCLAB_PURE_PYTHON=1 when the compiled one is built.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from asynclab import recorder
from asynclab.timeline import measure

BUILT = recorder._C_HOOK is not None
needs_c = pytest.mark.skipif(not BUILT, reason="the compiled observer is not built (python -m asynclab.accelerate)")


def can_build() -> bool:
    from asynclab import accelerate
    try:
        accelerate.command(accelerate.target())
    except OSError:
        return False
    return True


@pytest.mark.skipif(BUILT or not can_build(), reason="it is built, or it cannot be here (no C compiler or headers)")
def test_where_it_can_be_built_it_was():
    pytest.fail("a C compiler and Python's headers are here, but the compiled observer is not built "
                f"({'stale: ' if recorder._FASTRUN_STALE else ''}run python -m asynclab.accelerate in notebooks/)")


async def nap(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def steps(n: int) -> int:
    for _ in range(n):
        await asyncio.sleep(0)
    return n


async def helper_between_sleeps() -> None:
    await asyncio.sleep(0.002)
    await nap(0.002)
    await asyncio.sleep(0.002)


async def gathered() -> list:
    return await asyncio.gather(nap(0.003), steps(3), helper_between_sleeps(), asyncio.to_thread(time.sleep, 0.004))


async def queue_workers() -> None:
    queue: asyncio.Queue = asyncio.Queue()

    async def worker(name: str) -> None:
        while True:
            item = await queue.get()
            await asyncio.sleep(item)
            queue.task_done()

    for delay in (0.005, 0.010, 0.015, 0.005):
        queue.put_nowait(delay)
    workers = [asyncio.create_task(worker(f"w{i}")) for i in range(2)]
    await queue.join()
    for w in workers:
        w.cancel()
    await asyncio.gather(*workers, return_exceptions=True)


async def locked() -> None:
    lock = asyncio.Lock()
    sem = asyncio.Semaphore(1)
    event = asyncio.Event()

    waiting = []
    all_waiting = asyncio.Event()

    async def holder(i: int) -> None:
        async with lock:
            await asyncio.sleep(0.002)
        async with sem:
            await asyncio.sleep(0.001)
        waiting.append(i)
        if len(waiting) == 3:
            all_waiting.set()
        await event.wait()

    tasks = [asyncio.create_task(holder(i), name=f"holder-{i}") for i in range(3)]
    await all_waiting.wait()  # every holder waits for the event, however busy the machine is
    event.set()
    await asyncio.gather(*tasks)


async def failing_group() -> None:
    async def bad() -> None:
        await asyncio.sleep(0.002)
        raise ValueError("bad child")

    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(nap(0.05))
            group.create_task(bad())
    except* ValueError:
        pass


async def timed_out() -> None:
    try:
        async with asyncio.timeout(0.003):
            await asyncio.sleep(1)
    except TimeoutError:
        pass
    async with asyncio.timeout(1):  # beaten: a deadline not reached
        await asyncio.sleep(0.001)


async def blocking() -> None:
    await asyncio.sleep(0.001)
    time.sleep(0.12)
    await asyncio.sleep(0.001)


async def future_waits() -> None:
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    loop.call_later(0.002, fut.set_result, 1)
    task = asyncio.create_task(nap(0.004))
    await fut
    await task


async def many(n: int = 300) -> None:
    await asyncio.gather(*(nap(0.002) for _ in range(n)))


async def many_named_and_wrapped(n: int = 100) -> None:
    # beyond the first 64 tasks of a function: named ones keep their names, a wrapped
    # coroutine its own qualified name, the rest are labelled by function ("nap(…)")
    def wrapped(seconds: float):
        coro = nap(seconds)
        coro.__qualname__ = "renamed"
        return coro

    tasks = [asyncio.create_task(nap(0.002), name=f"job-{i}" if i % 3 == 0 else None) for i in range(n)]
    tasks += [asyncio.create_task(wrapped(0.002)) for _ in range(n)]
    await asyncio.gather(*tasks)


PROGRAMS = [gathered, queue_workers, locked, failing_group, timed_out, blocking, future_waits, many,
            many_named_and_wrapped, helper_between_sleeps]


def shape(rec) -> dict:
    """Everything in a recording but its times."""
    lanes = {}
    numbers = sorted(int(i.task_name[5:]) for i in rec.info.values()
                     if i.task_name and i.task_name.startswith("Task-") and i.task_name[5:].isdigit())
    for name, info in rec.info.items():
        task_name = info.task_name  # asyncio numbers tasks for the whole process: compare their order
        if task_name and task_name.startswith("Task-") and task_name[5:].isdigit():
            task_name = f"Task-#{numbers.index(int(task_name[5:]))}"
        lanes[name] = (info.kind, info.runs, task_name, info.outcome, info.error)
    sequence: dict[str, list] = {}
    for span in sorted(rec.spans, key=lambda s: (s.lane, s.start, s.end)):
        sequence.setdefault(span.lane, []).append((span.state, span.segment, span.reason,
                                                   bool(getattr(span, "where", None))))
    return {"lanes": lanes, "order": list(rec.lanes), "spans": sequence, "max_overlap": rec.max_overlap(),
            "deadlines": [lane for _, lane in rec.deadlines],
            "not reached": [lane for _, lane in rec.deadlines_not_reached], "left out": rec.left_out}


def recorded(program, python: bool):
    recorder.select_observer(python=python)
    try:
        return asyncio.run(measure(program.__name__, program()))
    finally:
        recorder.select_observer(python=not recorder.ACCELERATED)


@needs_c
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_the_compiled_observer_records_what_the_python_one_does(program):
    in_python, in_c = shape(recorded(program, True)), shape(recorded(program, False))
    assert in_c == in_python


@needs_c
def test_the_compiled_observer_is_the_one_installed_and_adds_no_frame_to_a_step():
    recorder.select_observer(python=False)
    try:
        seen = []

        async def child() -> None:
            import traceback
            seen.append([f.name for f in traceback.extract_stack()])

        async def main() -> None:
            await asyncio.create_task(child())

        asyncio.run(measure("stack", main()))
        assert asyncio.events.Handle._run is recorder._C_HOOK
        assert seen and seen[0][-3:] == ["_run_once", "_run", "child"], seen  # as without the recorder
    finally:
        recorder.select_observer(python=not recorder.ACCELERATED)


@needs_c
def test_select_observer_refuses_while_measuring_and_the_built_one_matches_its_source():
    async def main() -> None:
        with pytest.raises(RuntimeError, match="while a measurement is open"):
            recorder.select_observer(python=True)

    asyncio.run(measure("open", main()))
    assert not recorder._FASTRUN_STALE
    if not os.environ.get("ASYNCLAB_PURE_PYTHON"):
        assert recorder.ACCELERATED and recorder._HOOK is recorder._C_HOOK


@needs_c
def test_a_thread_of_its_own_does_not_matter():
    # the compiled observer keeps no per-thread state: a loop in another thread is observed alike
    out = {}

    def other() -> None:
        out["rec"] = asyncio.run(measure("other thread", gathered()))

    t = threading.Thread(target=other)
    t.start()
    t.join(30)
    assert "rec" in out and out["rec"].max_overlap() >= 3


@needs_c
@pytest.mark.parametrize("python", [True, False], ids=["python", "compiled"])
def test_a_keyboard_interrupt_inside_the_observers_own_look_is_not_swallowed(python):
    # A Task subclass's done() is Python code, which the observer calls after a step:
    # Ctrl-C arriving there must go on (the Python observer only catches Exception).
    class Touchy(asyncio.Task):
        armed = False

        def done(self):
            if Touchy.armed:
                Touchy.armed = False  # once: a second look would not raise
                raise KeyboardInterrupt
            return super().done()

    async def main() -> None:
        asyncio.get_running_loop().set_task_factory(lambda loop, coro, **kw: Touchy(coro, loop=loop, **kw))

        async def child() -> None:
            Touchy.armed = True
            await asyncio.sleep(0)  # the step ends: the observer asks done()

        await asyncio.create_task(child())

    recorder.select_observer(python=python)
    try:
        with pytest.raises(KeyboardInterrupt):
            asyncio.run(measure("touchy", main()))
    finally:
        Touchy.armed = False
        recorder.select_observer(python=not recorder.ACCELERATED)


def test_the_build_uses_pythons_compiler_or_the_systems_when_that_one_is_missing(monkeypatch):
    # conda's Python names the compiler it was built with (x86_64-conda-linux-gnu-gcc),
    # which is seldom installed (Binder): the system's compiler is used instead
    import shutil
    import sysconfig

    from asynclab import accelerate

    if shutil.which("cc") is None and shutil.which("gcc") is None and shutil.which("clang") is None:
        pytest.skip("no C compiler here")
    real = sysconfig.get_config_var
    monkeypatch.setattr(sysconfig, "get_config_var", lambda name: "x86_64-conda-linux-gnu-gcc -shared -Wl,-O2"
                        if name == "LDSHARED" else real(name))
    cmd = accelerate.command(accelerate.target())
    assert cmd[0] != "x86_64-conda-linux-gnu-gcc" and shutil.which(cmd[0])
    assert "-shared" in cmd or "-bundle" in cmd
    assert any(flag.startswith("-DFASTRUN_SOURCE=") for flag in cmd)  # the source's hash goes in
