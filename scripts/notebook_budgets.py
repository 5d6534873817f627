#!/usr/bin/env python3
"""Measure each notebook against its budget: run time and the kernel's peak memory.

    python3 scripts/course.py budgets            # every notebook
    python3 scripts/course.py budgets notebooks/07_*.ipynb

Each notebook runs on a fresh kernel (nbclient) from an in-memory copy, so
nothing is written back.  After the last cell, the kernel reports its peak
resident memory (VmHWM from /proc, Linux only).  Budgets from the course
design: under 60 s and under 500 MB per notebook, since Binder gives a learner
1-2 GB.  Prints a table; exits 1 if a notebook is over budget.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from coursemeta import NOTEBOOKS

SECONDS, MEGABYTES = 60.0, 500.0
PEAK = "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"


def measure(path: Path) -> tuple[float, float]:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK))
    started = time.perf_counter()
    NotebookClient(nb, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - started
    kilobytes = float(nb.cells[-1].outputs[0]["text"].strip())
    return elapsed, kilobytes / 1024


def main(args: list[str]) -> int:
    paths = [Path(a) for a in args] or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    print(f"{'notebook':40s} {'time':>8s} {'peak memory':>12s}")
    over = 0
    for path in paths:
        elapsed, megabytes = measure(path)
        flag = "" if elapsed < SECONDS and megabytes < MEGABYTES else "  OVER BUDGET"
        over += bool(flag)
        print(f"{path.name:40s} {elapsed:6.1f} s {megabytes:8.0f} MB{flag}", flush=True)
    print(f"budgets: {SECONDS:.0f} s and {MEGABYTES:.0f} MB per notebook (kernel only; servers and "
          "pools run in their own processes)")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
