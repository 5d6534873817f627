"""Tests for asynclab.workloads: the workloads and timelines of notebook 08."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest

from asynclab import timeline
from asynclab.workloads import process_context
from asynclab.server import LocalServer
from asynclab.workloads import (
    SLICE,
    Run,
    count_primes,
    count_primes_traced,
    download,
    download_timed,
    is_prime,
    lane_names,
    parallel_seconds,
    ran_in_parallel,
    rss_kb,
    worker_name,
    worker_recording,
)

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
GIL = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True


def test_is_prime_and_count_primes_match_known_values():
    assert [n for n in range(20) if is_prime(n)] == [2, 3, 5, 7, 11, 13, 17, 19]
    assert count_primes(100) == 25
    assert count_primes(10_000) == 1229
    assert count_primes(2) == 0


def test_traced_count_gives_the_same_result_and_ordered_spans():
    run = count_primes_traced(20_000)
    assert run.result == 2262
    assert run.worker == worker_name()
    assert f"pid {os.getpid()}" in run.worker
    assert run.spans and all(state in ("run", "wait") for _, _, state in run.spans)
    assert all(end > start for start, end, _ in run.spans)
    ends = [end for _, end, _ in run.spans]
    starts = [start for start, _, _ in run.spans]
    assert all(s >= e - 1e-12 for e, s in zip(ends, starts[1:])), "spans must follow one another"
    assert run.spans[0][2] == "run" and run.spans[-1][2] == "run"


def test_a_paused_thread_shows_waiting_spans():
    # A tiny gap makes every switch count; with a second thread computing,
    # the GIL must pause this one at least once.
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(count_primes_traced, [60_000, 60_000]))
    assert all(r.result == count_primes(60_000) for r in runs)
    assert any(state == "wait" for r in runs for _, _, state in r.spans)


def _run(worker: str, spans) -> Run:
    return Run(worker, worker.upper(), tuple(spans))


def test_lane_names_follow_first_start_not_argument_order():
    runs = [_run("b", [(5.0, 6.0, "run")]), _run("a", [(1.0, 2.0, "run")]), _run("b", [(0.5, 0.6, "wait")])]
    assert lane_names(runs) == {"b": "worker 1", "a": "worker 2"}


def test_worker_recording_lanes_slices_and_results():
    t0 = 100.0
    runs = [_run("x", [(100.0, 100.3, "run")]), _run("y", [(100.1, 100.2, "wait"), (100.2, 100.25, "run")])]
    rec = worker_recording("pool", t0, runs, end=100.4)
    assert rec.lanes == ["worker 1", "worker 2"]
    assert rec.result == ["X", "Y"]  # the order the runs were given
    assert rec.wall == pytest.approx(0.4)
    assert rec.blocking_spans() == []  # a long run is sliced, not "blocking the loop"
    x_runs = [s for s in rec.spans_of("worker 1") if s.state == "run"]
    assert len(x_runs) > 1 and all(s.duration <= SLICE + 1e-9 for s in x_runs)
    assert sum(s.duration for s in x_runs) == pytest.approx(0.3)
    assert min(s.start for s in x_runs) == pytest.approx(0.0)
    assert rec.max_overlap() == 2


def test_worker_recording_refuses_no_runs():
    with pytest.raises(ValueError, match="no runs"):
        worker_recording("empty", 0.0, [])


def test_parallel_seconds_counts_only_simultaneous_running():
    rec = timeline.Recording("x", t0=0.0)
    rec.add("a", 0.0, 1.0, "run")
    rec.add("b", 0.5, 2.0, "run")
    rec.add("c", 0.0, 3.0, "wait")  # waiting never counts
    rec.add("a", 1.0, 1.2, "run")   # touching spans of one lane merge
    assert parallel_seconds(rec) == pytest.approx(0.7)
    solo = timeline.Recording("y", t0=0.0)
    solo.add("a", 0.0, 1.0, "run")
    solo.add("b", 1.0, 2.0, "run")
    assert parallel_seconds(solo) == 0.0


@pytest.mark.skipif(not GIL, reason="on a free-threaded build threads do compute in parallel")
def test_two_computing_threads_never_run_at_the_same_instant():
    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(count_primes_traced, [80_000, 80_000]))
    rec = worker_recording("threads", t0, runs)
    assert len(rec.lanes) == 2
    assert parallel_seconds(rec) < 0.02


def test_process_workers_report_on_the_parents_clock():
    t0 = time.perf_counter()
    with ProcessPoolExecutor(2, mp_context=process_context()) as pool:
        runs = list(pool.map(count_primes_traced, [20_000, 20_000]))
    end = time.perf_counter()
    assert [r.result for r in runs] == [2262, 2262]
    assert all(f"pid {os.getpid()}" not in r.worker for r in runs)
    assert all(t0 <= r.start <= r.end <= end for r in runs)
    rec = worker_recording("processes", t0, runs, end=end)
    assert rec.lanes[0] == "worker 1" and 1 <= len(rec.lanes) <= 2


def test_download_and_download_timed_fetch_the_published_bytes():
    with LocalServer(files=2, size=4096, latency=0.05, name="test-workloads") as server:
        data = download(server.files[0].url)
        run = download_timed(server.files[1].url)
    assert hashlib.sha256(data).hexdigest() == server.files[0].sha256
    assert hashlib.sha256(run.result).hexdigest() == server.files[1].sha256
    (start, end, state), = run.spans
    assert state == "wait" and end - start >= 0.05


def test_threads_download_in_parallel_lanes():
    with LocalServer(files=4, size=1024, latency=0.2, name="test-workloads") as server:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            runs = list(pool.map(download_timed, [f.url for f in server.files]))
        rec = worker_recording("threads", t0, runs)
    assert rec.lanes == ["worker 1", "worker 2", "worker 3", "worker 4"]
    assert rec.max_overlap("wait") == 4


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_rss_kb_sees_memory_being_touched():
    before = rss_kb()
    block = bytearray(64 * 1024 * 1024)  # zero-filled pages are touched by bytearray
    after = rss_kb()
    assert before is not None and before > 0
    assert after - before > 32 * 1024
    del block


def test_quiet_worker_silences_both_python_and_fd_level_stderr():
    code = ("from asynclab.workloads import quiet_worker; quiet_worker(); import os, sys; "
            "print('python', file=sys.stderr); os.write(2, b'fd'); print('still here')")
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=dict(os.environ, PYTHONPATH=str(NOTEBOOKS)), timeout=60)
    assert child.returncode == 0
    assert child.stdout.strip() == "still here"
    assert child.stderr == ""



def test_ran_in_parallel_needs_a_real_share_of_the_run():
    from asynclab.timeline import Recording
    jitter = Recording("threads", on_loop=False)
    jitter.add("worker 1", 0.0, 0.503, "run")
    jitter.add("worker 2", 0.5, 1.0, "run")  # 3 ms of overlap: clock jitter, not parallelism
    assert not ran_in_parallel(jitter)
    real = Recording("processes", on_loop=False)
    real.add("worker 1", 0.0, 0.5, "run")
    real.add("worker 2", 0.1, 0.6, "run")
    assert ran_in_parallel(real)
    assert not ran_in_parallel(Recording("empty", on_loop=False))
