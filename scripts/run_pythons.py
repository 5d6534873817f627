#!/usr/bin/env python3
"""Run the notebooks (nbval) under every Python the course supports, and tabulate.

    python3 scripts/course.py pythons                  # 3.11, 3.12 and 3.13, those found
    python3 scripts/course.py pythons 3.13             # only some versions
    python3 scripts/course.py pythons 3.12 -- -k 04    # extra arguments go to pytest

For each version it finds an interpreter (``pythonX.Y`` on PATH, then pyenv's
versions; pyenv shims are run with ``PYENV_VERSION`` set), builds the course
environment in ``.venv-X.Y`` with ``COURSE_VENV=.venv-X.Y python scripts/course.py
setup`` (rebuilt only when the requirements change), runs
``scripts/course.py test notebooks`` (nbval: every notebook, outputs compared
with the committed ones, which Python 3.11 made) and prints one row per
version.  Each run's full output is saved in ``build/pythons/X.Y.log``.
Exits 1 if any version failed or was not found.

This file uses only the standard library, so any python3 can run it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ("3.11", "3.12", "3.13")
LOGS = ROOT / "build" / "pythons"
PROBE = "import json, sys; print(json.dumps([sys.version_info[0], sys.version_info[1], sys.executable, sys.version.split()[0]]))"


@dataclass
class Row:
    version: str
    python: str = "-"
    full_version: str = "-"
    result: str = "not found"
    summary: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.result == "pass"


def pyenv_root() -> Path | None:
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    if shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    default = Path.home() / ".pyenv"
    return default if default.exists() else None


def _version_key(name: str) -> tuple:
    return tuple(int(p) if p.isdigit() else -1 for p in re.split(r"[.\-]", name))


def pyenv_versions(version: str) -> list[str]:
    """Installed pyenv versions X.Y.Z for X.Y, newest first (no variants like 3.13t)."""
    root = pyenv_root()
    if root is None or not (root / "versions").is_dir():
        return []
    names = [p.name for p in (root / "versions").iterdir() if re.fullmatch(rf"{re.escape(version)}\.\d+", p.name)]
    return sorted(names, key=_version_key, reverse=True)


def probe(command: str, env_extra: dict[str, str] | None = None) -> tuple[str, str, str] | None:
    """(real executable, full version, "X.Y") of ``command``, or None if it does not run."""
    try:
        out = subprocess.run([command, "-c", PROBE], capture_output=True, text=True, timeout=60,
                             env={**os.environ, **(env_extra or {})}, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    major, minor, executable, full = json.loads(out.stdout.strip().splitlines()[-1])
    return executable, full, f"{major}.{minor}"


def find_python(version: str) -> tuple[str, str] | None:
    """(real executable, full version) for ``version`` ("3.12"): PATH first, then pyenv."""
    candidates: list[tuple[str, dict[str, str]]] = []
    on_path = shutil.which(f"python{version}")
    installed = pyenv_versions(version)
    if on_path:
        candidates.append((on_path, {}))
        # a pyenv shim runs only when PYENV_VERSION names an installed version
        candidates += [(on_path, {"PYENV_VERSION": v}) for v in installed]
    root = pyenv_root()
    for v in installed:
        candidates.append((str(root / "versions" / v / "bin" / f"python{version}"), {}))
    for command, extra in candidates:
        found = probe(command, extra)
        if found and found[2] == version:
            return found[0], found[1]
    return None


def last_summary(text: str) -> str:
    """pytest's closing line, e.g. '12 passed, 1 failed in 80.1s'."""
    lines = [l.strip("= ").strip() for l in text.splitlines() if re.search(r"\d+ (passed|failed|error)|no tests ran", l)]
    return lines[-1] if lines else ""


def run_version(version: str, pytest_args: list[str], quiet: bool) -> Row:
    row = Row(version)
    found = find_python(version)
    if found is None:
        print(f"--- Python {version}: not found (looked for python{version} on PATH and in pyenv)", flush=True)
        return row
    row.python, row.full_version = found
    env = {**os.environ, "COURSE_VENV": str(ROOT / f".venv-{version}")}
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{version}.log"
    started = time.monotonic()
    print(f"--- Python {row.full_version} ({row.python}): environment .venv-{version}, then nbval "
          f"(log: {log_path.relative_to(ROOT)})", flush=True)
    with open(log_path, "w") as log:
        steps = [[row.python, "scripts/course.py", "setup"],
                 [row.python, "scripts/course.py", "test", "notebooks", *pytest_args]]
        for step in steps:
            log.write(f"$ {' '.join(step)}\n")
            log.flush()
            proc = subprocess.Popen(step, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, stdin=subprocess.DEVNULL)
            assert proc.stdout is not None
            output = []
            for line in proc.stdout:
                log.write(line)
                output.append(line)
                if not quiet:
                    print(f"  {version}| {line}", end="", flush=True)
            code = proc.wait()
            if code != 0:
                row.result = "setup failed" if step is steps[0] else "FAIL"
                row.summary = last_summary("".join(output)) or f"exit {code}"
                break
        else:
            row.result = "pass"
            row.summary = last_summary("".join(output))
    row.seconds = time.monotonic() - started
    return row


def table(rows: list[Row]) -> str:
    head = ("Python", "result", "pytest", "time", "interpreter")
    body = [(r.full_version if r.full_version != "-" else r.version, r.result, r.summary or "-",
             f"{r.seconds / 60:.1f} min" if r.seconds else "-", r.python) for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), rule, *map(line, body)])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    pytest_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, pytest_args = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("versions", nargs="*", default=list(VERSIONS), help="e.g. 3.12 3.13 (default: all three)")
    parser.add_argument("-q", "--quiet", action="store_true", help="do not echo pytest's output (it is in the log)")
    ns = parser.parse_args(argv)
    rows = [run_version(v, pytest_args, ns.quiet) for v in ns.versions]
    print()
    print(table(rows))
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
