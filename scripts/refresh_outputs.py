#!/usr/bin/env python3
"""Re-execute notebooks on a fresh kernel and write the outputs back in place.

    python3 scripts/course.py refresh                      # every notebook
    python3 scripts/course.py refresh notebooks/01_*.ipynb # some

This is how the committed outputs are made: run it in the course environment,
look at the diff, commit.  Cells tagged ``raises-exception`` may raise; any
other error stops with the cell that failed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from coursemeta import NOTEBOOKS

TIMEOUT = 180  # seconds per cell


def refresh(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:  # timestamps only add noise to diffs
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return time.perf_counter() - started


def main(args: list[str]) -> int:
    paths = [Path(a) for a in args] or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"{path.name:45s}", end="", flush=True)
        print(f"{refresh(path):6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
