#!/usr/bin/env python3
"""Benchmark: many downloads from the course's local server, four ways.

    .venv/bin/python scripts/benchmark_downloads.py            # full run, about a minute
    .venv/bin/python scripts/benchmark_downloads.py --quick    # 10 and 100 files, 0.1 s only

For every size (10, 100, 1,000 files of 64 KiB) and server latency (0.05 s and
0.1 s per request) it times:

* ``sequential`` — one aiohttp request after another (skipped at 1,000 files:
  it would take 50–100 s and only confirm n × latency);
* ``gather``     — every request at once, aiohttp with no connection cap;
* ``bounded``    — ``asyncio.Semaphore(100)``, at most 100 requests in flight;
* ``threads``    — ``ThreadPoolExecutor(100)`` of blocking ``urllib`` requests;
* ``httpx``      — ``httpx.AsyncClient`` with ``gather``, only if httpx is
  importable (it is not a course requirement; JupyterLab depends on it, so it
  is usually present in the course environment).

Each run opens a fresh client (connections are part of the cost), downloads
every file, and is checked afterwards: every body must have the catalogue's
size and SHA-256.  The table shows the median of ``--repeat`` runs (sequential,
and httpx at 1,000 files, run once: each takes many seconds), the speed-up against sequential, and the most requests the server
saw at once.  The results go to ``build/benchmarks/downloads.json``.

The server (asynclab.server.LocalServer) runs in a child process on 127.0.0.1,
so client and server share this machine's cores: a real remote server would
not take CPU from the client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "notebooks"))

import aiohttp  # noqa: E402

from asynclab import downloads  # noqa: E402
from asynclab.server import LocalServer  # noqa: E402

SIZE = 64 * 1024
LIMIT = 100  # in flight for "bounded", and threads for "threads"
SEQUENTIAL_MAX_FILES = 100


async def run_sequential(urls: list[str]) -> list[bytes]:
    async with downloads.open_session() as session:
        return await downloads.sequential(session, urls)


async def run_gather(urls: list[str]) -> list[bytes]:
    async with downloads.open_session(limit=0) as session:
        return await downloads.gather_all(session, urls)


async def run_bounded(urls: list[str]) -> list[bytes]:
    async with downloads.open_session(limit=0) as session:
        return await downloads.bounded(session, urls, LIMIT)


async def run_threads(urls: list[str]) -> list[bytes]:
    return await asyncio.to_thread(downloads.threaded, urls, LIMIT)


async def run_httpx(urls: list[str]) -> list[bytes]:
    import httpx

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(limits=limits, timeout=60.0) as client:
        async def one(url: str) -> bytes:
            response = await client.get(url)
            response.raise_for_status()
            return response.content

        return list(await asyncio.gather(*(one(url) for url in urls)))


def strategies(with_httpx: bool) -> dict[str, Callable[[list[str]], Any]]:
    found = {"sequential": run_sequential, "gather": run_gather, "bounded": run_bounded,
             "threads": run_threads}
    if with_httpx:
        found["httpx"] = run_httpx
    return found


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages (None where the system does not say)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def httpx_version() -> str | None:
    try:
        import httpx
    except ImportError:
        return None
    return httpx.__version__


async def one_run(server: LocalServer, run: Callable[[list[str]], Any]) -> dict[str, Any]:
    """Time one strategy once; check every body; read the server's counters."""
    await asyncio.to_thread(server.reset_stats)
    urls = [f.url for f in server.files]
    started = time.perf_counter()
    bodies = await run(urls)
    seconds = time.perf_counter() - started
    problems = downloads.check_bodies(server.files, bodies)
    stats = await asyncio.to_thread(server.stats)
    return {"seconds": seconds, "max_in_flight": stats["max_in_flight"],
            "requests": stats["requests"], "problems": problems[:5], "intact": not problems}


async def bench(sizes: list[int], latencies: list[float], repeat: int, with_httpx: bool) -> list[dict[str, Any]]:
    results = []
    for latency in latencies:
        for n in sizes:
            with LocalServer(files=n, size=SIZE, latency=latency, name="benchmark") as server:
                for name, run in strategies(with_httpx).items():
                    if name == "sequential" and n > SEQUENTIAL_MAX_FILES:
                        results.append({"files": n, "latency": latency, "strategy": name, "skipped":
                                        f"more than {SEQUENTIAL_MAX_FILES} files: would take about "
                                        f"{n * latency:.0f} s"})
                        continue
                    slow_anyway = name == "sequential" or (name == "httpx" and n >= 1000)
                    times = 1 if slow_anyway else repeat
                    runs = [await one_run(server, run) for _ in range(times)]
                    row = {
                        "files": n, "latency": latency, "strategy": name,
                        "runs": [r["seconds"] for r in runs],
                        "median": statistics.median(r["seconds"] for r in runs),
                        "best": min(r["seconds"] for r in runs),
                        "max_in_flight": max(r["max_in_flight"] for r in runs),
                        "intact": all(r["intact"] for r in runs),
                        "problems": [p for r in runs for p in r["problems"]][:5],
                    }
                    results.append(row)
                    print(f"  {n:5d} files  latency {latency:.2f} s  {name:10s} {row['median']:7.3f} s"
                          f"  (server saw {row['max_in_flight']} at once){'' if row['intact'] else '  DAMAGED'}",
                          flush=True)
    return results


def find(results: list[dict], files: int, latency: float, strategy: str) -> dict | None:
    for r in results:
        if r["files"] == files and r["latency"] == latency and r["strategy"] == strategy and "median" in r:
            return r
    return None


def targets(results: list[dict]) -> list[dict[str, Any]]:
    """The course's targets, each with the measured value and whether it was met."""
    out = []
    gather = find(results, 100, 0.1, "gather")
    seq = find(results, 100, 0.1, "sequential")
    if gather:
        out.append({"target": "100 files, 0.1 s latency: gather < 2 × latency (0.20 s)",
                    "measured": f"{gather['median']:.3f} s", "met": gather["median"] < 0.2})
    if gather and seq:
        ratio = seq["median"] / gather["median"]
        out.append({"target": "100 files, 0.1 s latency: gather >= 40× faster than sequential",
                    "measured": f"{ratio:.0f}×", "met": ratio >= 40})
    for latency in (0.05, 0.1):
        bounded = find(results, 1000, latency, "bounded")
        if bounded:
            limit = 1.5 * math.ceil(1000 / LIMIT) * latency
            out.append({"target": f"1,000 files, {latency} s latency: bounded (100 in flight) "
                                  f"<= 1.5 × ceil(1000/100) × latency ({limit:.2f} s)",
                        "measured": f"{bounded['median']:.3f} s", "met": bounded["median"] <= limit})
    return out


def table(results: list[dict]) -> str:
    rows = []
    for r in results:
        if "skipped" in r:
            rows.append([r["files"], f"{r['latency']:.2f}", r["strategy"], "", "", "", "",
                         "skipped: " + r["skipped"]])
            continue
        seq = find(results, r["files"], r["latency"], "sequential")
        speedup = f"{seq['median'] / r['median']:.1f}×" if seq else ""
        rows.append([r["files"], f"{r['latency']:.2f}", r["strategy"], f"{r['median']:.3f}",
                     speedup, r["max_in_flight"], "yes" if r["intact"] else "NO", ""])
    return downloads.format_table(rows, ["files", "latency s", "strategy", "median s", "vs sequential",
                                         "most in flight", "all intact", "note"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 and 100 files at 0.1 s only, one run each")
    parser.add_argument("--repeat", type=int, default=None, help="runs per strategy (default 3, quick 1)")
    parser.add_argument("--no-httpx", action="store_true", help="leave httpx out even if it is installed")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "benchmarks" / "downloads.json")
    args = parser.parse_args(argv)

    sizes = [10, 100] if args.quick else [10, 100, 1000]
    latencies = [0.1] if args.quick else [0.05, 0.1]
    repeat = args.repeat or (1 if args.quick else 3)
    with_httpx = not args.no_httpx and httpx_version() is not None
    soft, hard = downloads.raise_open_file_limit(4096)  # before the server starts: it inherits it
    load_before = load_average()
    print(f"Load average {load_before} (other work on this machine slows every number down)")
    print(f"Open-file limit: {soft} (hard {hard}); aiohttp {aiohttp.__version__}"
          f"{'; httpx ' + httpx_version() if with_httpx else '; httpx not used'}; "
          f"{os.cpu_count()} CPUs; Python {platform.python_version()}", flush=True)
    started = time.perf_counter()
    results = asyncio.run(bench(sizes, latencies, repeat, with_httpx))
    total = time.perf_counter() - started

    print()
    print(table(results))
    print()
    met_all = True
    for t in targets(results):
        met_all &= t["met"]
        print(f"{'MET   ' if t['met'] else 'MISSED'}  {t['target']}: {t['measured']}")
    damaged = [r for r in results if "intact" in r and not r["intact"]]
    for r in damaged:
        print(f"DAMAGED {r['files']} files {r['strategy']}: {r['problems']}")
    print(f"\nBenchmark took {total:.0f} s.")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "command": "scripts/benchmark_downloads.py" + (" --quick" if args.quick else ""),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "open_file_limit": [soft, hard],
                    "load_average_before": load_before, "load_average_after": load_average()},
        "clients": {"aiohttp": aiohttp.__version__, "httpx": httpx_version() if with_httpx else None},
        "file_size": SIZE, "limit": LIMIT, "repeat": repeat,
        "results": results, "targets": targets(results), "seconds": total,
    }
    args.out.write_text(json.dumps(report, indent=2))
    print(f"Wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 1 if damaged else 0


if __name__ == "__main__":
    sys.exit(main())
