#!/usr/bin/env python3
"""What the recorder costs: each program run plainly and under ``measure()``,
side by side in one process, several times, medians printed.

    python3 scripts/course.py bench-recorder          # or run this file with the course's python

Programs (the two of the recorder's issue, plus the sizes between, to see the
cost grow linearly):
* ``gather N×3``: N tasks, each awaiting ``asyncio.sleep(0.01)`` three times;
* ``sleep(0) ×S``: one task taking S steps of ``await asyncio.sleep(0)``.

"plain" runs with the observer taken out of ``Handle._run`` entirely (as if
asynclab were never imported); "clock only" with ``Handle._run`` replaced by a
function that does nothing but read the clock around each callback and append
the two readings to a list (the least any observer of this kind can do: the
floor of the mechanism); "idle hook" with the recorder's observer in place but no
measurement open (what a notebook that imported asynclab pays); "measured"
inside ``await measure(...)``, until it returns; "run only" is the measured
program's own wall time (``rec.wall``).  The Recording's spans are built when
it is first read (``show()``, ``max_overlap()``...), outside the measured time:
"build" is that first read, timed on its own.
Peak memory per recorded task comes from tracemalloc in a separate run.
Where a recording reports the loop blocked (creating 10,000 tasks in one step
takes 0.1-0.2 s on Python 3.11), the same step of the plain program is timed
beside it, so it can be seen to be the program's own time, not the recorder's.
Targets: ≤ 1.3× for 10,000 tasks × 3 awaits, ≤ 2× for 100,000 sleep(0) steps.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "notebooks"))

from asynclab import recorder  # noqa: E402
from asynclab.recorder import measure  # noqa: E402

TARGETS = {("gather", 10_000): 1.3, ("sleep0", 100_000): 2.0}
C_BUILT = recorder._C_HOOK is not None  # the compiled observer (python -m asynclab.accelerate)


async def one(delay: float) -> None:
    for _ in range(3):
        await asyncio.sleep(delay)


async def gather_program(n: int) -> None:
    await asyncio.gather(*(one(0.01) for _ in range(n)))


async def sleep0_program(steps: int) -> None:
    for _ in range(steps):
        await asyncio.sleep(0)


PROGRAMS = {"gather": gather_program, "sleep0": sleep0_program}


_READINGS: list = []


def _clock_only(self, _run=recorder._ORIGINAL_RUN, _clock=time.perf_counter, _keep=_READINGS.append):
    t0 = _clock()
    _run(self)
    _keep((t0, _clock()))


def timed(kind: str, size: int, how: str) -> tuple[float, object]:
    program = PROGRAMS[kind]
    if how == "plain":
        recorder.uninstall()
    elif how == "clock":
        asyncio.events.Handle._run = _clock_only
    else:
        recorder.select_observer(python=how == "python" or not C_BUILT)
        recorder.install()

    async def driver():
        gc.collect()
        start = time.perf_counter()
        if how in ("measured", "python"):
            rec = await measure(kind, program(size), grace=0)
            seconds = time.perf_counter() - start
            built = time.perf_counter()
            rec.spans  # the first read builds the spans
            rec.build_seconds = time.perf_counter() - built
            return seconds, rec
        rec = await program(size)
        return time.perf_counter() - start, rec

    try:
        return asyncio.run(driver())
    finally:
        _READINGS.clear()
        recorder.select_observer(python=not C_BUILT)
        recorder.install()


def first_step(kind: str, size: int) -> float:
    """Seconds the plain program's first step takes: for ``gather``, creating
    its tasks (the only step that can be long enough to count as blocking)."""
    if kind != "gather":
        return 0.0
    recorder.uninstall()

    async def driver() -> float:
        start = time.perf_counter()
        waiting = asyncio.gather(*(one(0.01) for _ in range(size)))
        seconds = time.perf_counter() - start
        await waiting
        return seconds

    try:
        return asyncio.run(driver())
    finally:
        recorder.install()


def time_show(rec) -> float:
    """Seconds for summary + drawing + rendering to PNG, as show() does in a notebook."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from asynclab.timeline import draw, summary

    start = time.perf_counter()
    summary(rec)
    fig = draw(rec)
    fig.savefig(io.BytesIO(), format="png")
    seconds = time.perf_counter() - start
    plt.close(fig)
    return seconds


def memory_per_task(size: int) -> tuple[float, float]:
    """Peak bytes the recorder adds per task for ``gather size×3``: while the
    program runs under ``measure()``, and when the recording is first read
    (its log turned into spans)."""
    async def measured():
        return await measure("gather", gather_program(size), grace=0)

    gc.collect()
    recorder.install()
    tracemalloc.start()
    asyncio.run(gather_program(size))
    plain = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    gc.collect()
    tracemalloc.start()
    rec = asyncio.run(measured())
    running = tracemalloc.get_traced_memory()[1]
    rec.spans  # the first read builds the spans
    reading = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del rec
    return (running - plain) / size, (reading - plain) / size


def count_bytecodes(kind: str, size: int) -> tuple[float, float, float]:
    """Bytecode instructions run per task (or per step), counted with
    ``sys.monitoring`` (3.12+): the plain program's, and under ``measure()``
    the program's and the recorder's own.  A count, not a time: it does not
    depend on how busy the machine is."""
    monitoring = sys.monitoring
    tool = next((i for i in (3, 4, monitoring.PROFILER_ID) if monitoring.get_tool(i) is None), None)
    if tool is None:
        raise RuntimeError("no free sys.monitoring tool id to count bytecodes with")
    counts = {"program": 0, "recorder": 0}
    ours = str(Path(recorder.__file__).resolve().parent)

    loop_thread = threading.get_ident()  # the sampler thread's looks are timed, not counted

    def on_instruction(code, _offset):
        if threading.get_ident() == loop_thread:
            counts["recorder" if code.co_filename.startswith(ours) else "program"] += 1

    monitoring.use_tool_id(tool, "bench-recorder")
    monitoring.register_callback(tool, monitoring.events.INSTRUCTION, on_instruction)
    found = []
    try:
        for how in ("plain", "measured"):
            if how == "plain":
                recorder.uninstall()
            else:
                recorder.install()

            async def driver():
                monitoring.set_events(tool, monitoring.events.INSTRUCTION)
                try:
                    if how == "measured":
                        await measure(kind, PROGRAMS[kind](size), grace=0)
                    else:
                        await PROGRAMS[kind](size)
                finally:
                    monitoring.set_events(tool, 0)

            counts.update(program=0, recorder=0)
            asyncio.run(driver())
            found.append(dict(counts))
    finally:
        recorder.install()
        monitoring.register_callback(tool, monitoring.events.INSTRUCTION, None)
        monitoring.free_tool_id(tool)
    plain, measured = found
    return plain["program"] / size, measured["program"] / size, measured["recorder"] / size


def one_run(how: str, kind: str, size: int) -> None:
    """One run, for ``--instructions`` (a separate process under valgrind)."""
    if how != "plain":
        recorder.select_observer(python=how == "python")

    async def driver() -> None:
        if how == "plain":
            recorder.uninstall()
            await PROGRAMS[kind](size)
        else:
            await measure(kind, PROGRAMS[kind](size), grace=0)

    asyncio.run(driver())


def count_instructions(how: str, kind: str, size: int) -> int:
    """Machine instructions the run takes, counted by valgrind's callgrind: the
    same number whatever else the machine is doing, C work (the compiled
    observer, allocation, garbage collection) included."""
    import os
    import re
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out",
                              sys.executable, __file__, "--one", how, kind, str(size)],
                             capture_output=True, text=True, env=dict(os.environ, PYTHONHASHSEED="0"))
    found = re.search(r"Collected\s*:\s*(\d+)", out.stderr)
    if out.returncode != 0 or found is None:
        raise RuntimeError(f"valgrind failed: {out.stderr.strip()[-500:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] == ["--one"]:
        one_run(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each (median shown)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, 3 runs")
    parser.add_argument("--bytecodes", action="store_true",
                        help="count bytecode instructions per task instead of timing (Python 3.12+)")
    parser.add_argument("--instructions", action="store_true",
                        help="count machine instructions with valgrind instead of timing (a few minutes)")
    ns = parser.parse_args(argv)
    if ns.instructions:
        import shutil
        if shutil.which("valgrind") is None:
            parser.error("--instructions needs valgrind (Debian/Ubuntu: apt install valgrind)")
        modes = ["plain", "python"] + (["compiled"] if C_BUILT else [])
        print(f"Python {sys.version.split()[0]}: machine instructions (valgrind), start-up taken off; "
              f"ratio to plain")
        print(f"{'program':<22}" + "".join(f"{m:>16}" for m in modes) + f"{'target':>8}")
        for kind, size in (("gather", 10_000), ("sleep0", 100_000)):
            base = {m: count_instructions(m, kind, 0) for m in modes}
            counts = {m: count_instructions(m, kind, size) - base[m] for m in modes}
            label = f"{'gather' if kind == 'gather' else 'sleep(0)'} {size:,}{'×3' if kind == 'gather' else ' steps'}"
            cells = "".join(f"{counts[m] / 1e6:>9.0f}M {counts[m] / counts['plain']:>4.2f}×" for m in modes)
            print(f"{label:<22}{cells}{TARGETS[(kind, size)]:>7.1f}×")
        return 0
    if ns.bytecodes:
        if sys.version_info < (3, 12):
            parser.error("--bytecodes needs sys.monitoring: Python 3.12 or newer")
        print(f"Python {sys.version.split()[0]}: bytecode instructions per task (gather) or per step (sleep(0))")
        print(f"{'program':<22}{'plain':>10}{'measured: program':>19}{'recorder':>10}{'ratio':>8}")
        for kind, size in (("gather", 1_000), ("gather", 10_000), ("sleep0", 100_000)):
            plain, program, ours = count_bytecodes(kind, size)
            label = f"{'gather' if kind == 'gather' else 'sleep(0)'} {size:,}{'×3' if kind == 'gather' else ' steps'}"
            print(f"{label:<22}{plain:>10.0f}{program:>19.0f}{ours:>10.0f}{(program + ours) / plain:>7.2f}×")
        return 0
    repeat = 3 if ns.quick else ns.repeat
    cases = [("gather", 1_000), ("gather", 10_000), ("sleep0", 10_000), ("sleep0", 100_000)]
    if ns.quick:
        cases = [("gather", 1_000), ("gather", 3_000), ("sleep0", 20_000)]
    observer = "the compiled observer" if C_BUILT else "the Python observer (the compiled one is not built)"
    print(f"Python {sys.version.split()[0]}, {repeat} runs each, in turn: plain, clock only, idle hook, measured "
          f"({observer}){', measured with the Python observer' if C_BUILT else ''}")
    print("ratio: median of each round's measured/plain (best: fastest measured over fastest plain)")
    print(f"{'program':<22}{'plain':>9}{'clock only':>11}{'idle hook':>10}{'measured':>10}{'ratio':>7}{'best':>7}"
          f"{'target':>7}{'Python obs.':>12}{'run only':>9}{'build':>8}  lanes  per task/step")
    failed = False
    for kind, size in cases:
        times: dict[str, list[float]] = {"plain": [], "clock": [], "idle": [], "measured": []}
        if C_BUILT:
            times["python"] = []
        walls: list[float] = []
        builds: list[float] = []
        lanes = 0
        blocks: dict[str, list[float]] = {}  # where the recording says the loop was blocked -> how long
        for _ in range(repeat):  # interleaved, so load changes hit all alike
            for how in times:
                seconds, rec = timed(kind, size, how)
                times[how].append(seconds)
                if how == "measured":
                    lanes = len(rec.lanes)
                    walls.append(rec.wall)
                    builds.append(rec.build_seconds)
                    for span in rec.blocking_spans():
                        blocks.setdefault(span.where or span.lane, []).append(span.end - span.start)
                # a recording kept alive would make the next run's garbage collections longer
                del rec
        med = {how: statistics.median(v) for how, v in times.items()}
        # the ratio of each round's two runs, a fraction of a second apart, then the median of those:
        # this machine's speed drifts by ±25 % over seconds, which a ratio of medians would carry
        def paired(how: str) -> float:
            return statistics.median(m / p for m, p in zip(times[how], times["plain"]))
        ratio = paired("measured")
        best = min(times["measured"]) / min(times["plain"])
        in_window = statistics.median(walls) / med["plain"]
        target = TARGETS.get((kind, size))
        verdict = "" if target is None else ("ok" if ratio <= target else "MISSED")
        failed |= verdict == "MISSED"
        label = f"{'gather' if kind == 'gather' else 'sleep(0)'} {size:,}{'×3' if kind == 'gather' else ' steps'}"
        unit = (med["measured"] - med["plain"]) / size * 1e6
        python = f"{paired('python'):.2f}×" if C_BUILT else "-"
        print(f"{label:<22}{med['plain']:>8.3f}s{paired('clock'):>10.2f}×{med['idle']:>9.3f}s"
              f"{med['measured']:>9.3f}s{ratio:>6.2f}×{best:>6.2f}×{(f'{target:.1f}×' if target else '-'):>7}"
              f"{python:>12}{in_window:>8.2f}×{statistics.median(builds):>7.3f}s"
              f"  {lanes:>5}  {unit:6.2f} µs {verdict}")
        for where, spans in blocks.items():
            own = [first_step(kind, size) for _ in range(3)]
            print(f"  the recording reports the loop blocked in {len(spans)} of {repeat} runs, for "
                  f"{statistics.median(spans):.3f} s, at {where}")
            print(f"  run plainly, that first step (creating {size:,} tasks) takes {statistics.median(own):.3f} s: "
                  "the program's own time, not the recorder's")
    for n in ((500, 2_000) if ns.quick else (2_000, 10_000)):
        _, rec = timed("gather", n, "measured")
        print(f"show() of a recording of {n:,} tasks: {time_show(rec):.2f} s (target ≤ 2 s)")
    size = 1_000 if ns.quick else 10_000
    running, reading = memory_per_task(size)
    print(f"recorder memory at gather {size:,}×3 (tracemalloc peak, measured minus plain): {running / 1024:.2f} KiB "
          f"per task while it runs, {reading / 1024:.2f} KiB when the recording is first read")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
