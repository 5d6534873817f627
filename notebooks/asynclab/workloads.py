"""Workloads for notebook 08: one that waits (downloads) and one that computes.

Everything here is a plain module-level function on purpose.  A process pool
sends a function to its workers *by name* (``asynclab.workloads.count_primes``)
and each worker imports it; a function defined in a notebook cell lives in
``__main__`` of the kernel, which a freshly started worker does not have.

* :func:`count_primes` is pure-Python CPU work: it holds the GIL all the time.
* :func:`download` fetches one URL with blocking ``urllib.request``.
* :func:`count_primes_traced` and :func:`download_timed` do the same work and
  also return a :class:`Run`: who did it (thread and process) and when it was
  running or waiting, as ``time.perf_counter()`` readings.  On Linux that clock
  is ``CLOCK_MONOTONIC``, shared by every process, so readings taken inside a
  worker process line up with readings taken in the notebook.
* :func:`worker_recording` turns those runs into a :class:`~asynclab.timeline.Recording`
  with one lane per worker, named ``worker 1``, ``worker 2``... in order of first
  appearance (thread names and process ids change on every run).
* :func:`rss_kb` reads the resident memory of this process (no psutil needed).
* :func:`process_context` is the start method for process pools.
* :func:`blocking_fetch` stands in for a blocking library call (notebook 10), and
  :func:`threads_busy` says how many of them are still running in threads.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Any, Iterable, Literal

from .recording import seconds
from .timeline import BLOCKING_THRESHOLD, Recording, merge

__all__ = [
    "GAP",
    "Stopwatch",
    "Run",
    "blocking_fetch",
    "count_primes",
    "count_primes_traced",
    "download",
    "download_timed",
    "is_prime",
    "lane_names",
    "parallel_seconds",
    "process_context",
    "ran_in_parallel",
    "quiet_worker",
    "rss_kb",
    "threads_busy",
    "worker_name",
    "worker_recording",
]

State = Literal["run", "wait"]

#: A pause longer than this (seconds) between two prime candidates means the
#: worker was not running: another thread held the GIL, or the OS ran someone
#: else.  One candidate takes microseconds, so 0.3 ms is a clear signal.
GAP = 0.0003

#: The timeline paints a run longer than ``BLOCKING_THRESHOLD`` as "blocked the
#: event loop", which only means something for asyncio.  Runs of threads and
#: processes are handed to it in slices no longer than this, which draw as one
#: solid bar.
SLICE = BLOCKING_THRESHOLD / 2


def is_prime(n: int) -> bool:
    """Trial division: slow on purpose, pure Python, never releases the GIL."""
    if n < 2:
        return False
    d = 2
    while d * d <= n:
        if n % d == 0:
            return False
        d += 1
    return True


def count_primes(limit: int) -> int:
    """How many primes are below ``limit``.

    ``count_primes(150_000)`` keeps one core busy for a few tenths of a second.
    """
    return sum(1 for n in range(2, limit) if is_prime(n))


@dataclass(frozen=True)
class Run:
    """One piece of work done by a worker thread or process.

    ``spans`` are ``(start, end, state)`` with ``time.perf_counter()`` readings
    taken inside the worker; ``state`` is ``"run"`` (computing) or ``"wait"``
    (not running: waiting for the network, the GIL, or a CPU).
    """

    worker: str
    result: Any
    spans: tuple[tuple[float, float, State], ...]

    @property
    def start(self) -> float:
        return min(s[0] for s in self.spans)

    @property
    def end(self) -> float:
        return max(s[1] for s in self.spans)


def worker_name() -> str:
    """``"ThreadPoolExecutor-0_1 in pid 4242"``: which thread of which process is running."""
    return f"{threading.current_thread().name} in pid {os.getpid()}"


def count_primes_traced(limit: int, gap: float = GAP) -> Run:
    """Do the work of :func:`count_primes` and note when it really ran.

    The clock is read after every candidate.  A jump of more than ``gap``
    seconds means this thread was paused (by the GIL or the OS) in between:
    that stretch is recorded as ``"wait"``, the rest as ``"run"``.
    """
    clock = time.perf_counter
    spans: list[tuple[float, float, State]] = []
    count = 0
    slice_start = last = clock()
    for n in range(2, limit):
        if is_prime(n):
            count += 1
        now = clock()
        if now - last > gap:
            spans.append((slice_start, last, "run"))
            spans.append((last, now, "wait"))
            slice_start = now
        last = now
    spans.append((slice_start, last, "run"))
    return Run(worker_name(), count, tuple(s for s in spans if s[1] > s[0]))


def download(url: str, timeout: float = 30.0) -> bytes:
    """Fetch ``url`` with blocking ``urllib.request`` and return the body."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def download_timed(url: str, timeout: float = 30.0) -> Run:
    """:func:`download`, recorded as one ``"wait"`` span (the worker waits for the server)."""
    start = time.perf_counter()
    data = download(url, timeout)
    return Run(worker_name(), data, ((start, time.perf_counter(), "wait"),))


def lane_names(runs: Iterable[Run]) -> dict[str, str]:
    """Map each worker to ``"worker 1"``, ``"worker 2"``... in order of its first start."""
    names: dict[str, str] = {}
    for run in sorted(runs, key=lambda r: r.start):
        names.setdefault(run.worker, f"worker {len(names) + 1}")
    return names


def worker_recording(title: str, t0: float, runs: Iterable[Run], end: float | None = None) -> Recording:
    """A Recording with one lane per worker, built from runs measured in the workers.

    ``t0`` is the ``time.perf_counter()`` reading taken before the work was
    started (pool start-up included), ``end`` the one taken after every result
    came back (default: now).  Run spans are added in slices of at most
    :data:`SLICE` seconds so the timeline does not call them "blocking the
    loop": a thread or a process has no event loop to block.

    Like ``measure()``, it puts the results in ``rec.result``: a list in the
    order the runs were given (for ``pool.map``, the order of the jobs).
    """
    runs = list(runs)
    if not runs:
        raise ValueError(f"worker_recording({title!r}) got no runs: did the pool do any work?")
    names = lane_names(runs)
    rec = Recording(title, t0=t0, on_loop=False)  # threads or processes: no loop to block
    for run in sorted(runs, key=lambda r: r.start):
        lane = names[run.worker]
        for start, stop, state in run.spans:
            if state == "run":
                while stop - start > SLICE:
                    rec.add_absolute(lane, start, start + SLICE, "run")
                    start += SLICE
            rec.add_absolute(lane, start, stop, state)
    rec.result = [run.result for run in runs]
    return rec.finish(None if end is None else end - t0)


def parallel_seconds(rec: Recording) -> float:
    """Seconds during which two or more lanes were *running* at the same instant."""
    events: list[tuple[float, int]] = []
    for lane in rec.lanes:
        for a, b in merge(rec.spans_of(lane), "run"):
            events += [(a, 1), (b, -1)]
    total, active, previous = 0.0, 0, 0.0
    for t, delta in sorted(events):
        if active >= 2:
            total += t - previous
        active += delta
        previous = t
    return total


def ran_in_parallel(rec: Recording, share: float = 0.10) -> bool:
    """True when lanes computed at the same instant for more than ``share`` of
    the time anything computed.  A share, not a fixed time: on a busy machine
    the clock readings of GIL-bound threads can overlap by a few milliseconds,
    which must not count as parallel, while real parallel work overlaps for
    a large part of the run."""
    busy = rec.busy()
    return busy > 0 and parallel_seconds(rec) > share * busy


def quiet_worker() -> None:
    """Pool initializer: send this worker process's stderr to the null device.

    A worker that dies prints its traceback to the stderr it inherited, and a
    Jupyter kernel forwards that into whichever cell happens to be running.
    Use it only where a crash is the point of the demonstration.
    """
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stderr = open(os.devnull, "w")


def rss_kb() -> int | None:
    """Resident memory of this process in KB, from ``/proc/self/status`` (Linux).

    Elsewhere it falls back to the *peak* resident size from
    ``resource.getrusage`` (which only grows), and returns ``None`` on systems
    that have neither (Windows).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        import resource
        import sys
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KB elsewhere


class Stopwatch:
    """Print messages stamped with the time since the last :meth:`restart` (notebook 04)."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def restart(self) -> None:
        """Start counting from zero again."""
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since the last restart."""
        return time.perf_counter() - self.t0

    def log(self, text: str) -> None:
        """Print ``text`` after the elapsed time in the course's format."""
        print(f"{seconds(self.elapsed()):>7}  {text}")


def process_context() -> multiprocessing.context.BaseContext:
    """The ``forkserver`` start method where it exists (Linux's default from 3.14), else ``spawn``."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


_busy = [0]
_busy_lock = threading.Lock()


def threads_busy() -> int:
    """How many calls of :func:`blocking_fetch` are running right now (in any thread)."""
    return _busy[0]


def blocking_fetch(delay: float, timeout: float | None = None) -> str:
    """A stand-in for a blocking library call that takes ``delay`` seconds.

    Like a socket read, it gives up after ``timeout`` seconds (if given) with
    ``TimeoutError``; without one it waits the full ``delay``.
    """
    with _busy_lock:
        _busy[0] += 1
    try:
        if timeout is not None and timeout < delay:
            time.sleep(timeout)
            raise TimeoutError(f"no answer within {timeout} s")
        time.sleep(delay)
        return "data"
    finally:
        with _busy_lock:
            _busy[0] -= 1
