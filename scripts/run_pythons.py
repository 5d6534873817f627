#!/usr/bin/env python3
"""Run the notebooks (strict nbval) and the unit tests under every supported Python.

    python3 scripts/course.py pythons                  # 3.11 to 3.15
    python3 scripts/course.py pythons 3.11 3.15        # only some versions
    python3 scripts/course.py pythons 3.12 -- -k 04    # extra arguments go to pytest
    python3 scripts/course.py pythons --only notebooks # nbval only (or: --only tests, --only recorder)

For each version it finds an interpreter: ``pythonX.Y`` on PATH, then pyenv's
versions (pyenv shims are run with ``PYENV_VERSION`` set).  Python 3.14 and 3.15
are not in Debian 12: there, as root, it builds (once, about 100 s) or reuses a
Debian forky chroot in /var/cache/async-course/forky (scripts/forky.py) and
runs them inside it, the repository mounted at the same path; elsewhere it says
how to get the interpreter.  Then it builds the course environment (with the
maintainer tools) in ``.venv-X.Y`` (``COURSE_VENV=.venv-X.Y python
scripts/course.py setup --dev``, rebuilt only when the requirements change),
runs ``scripts/course.py test notebooks`` (nbval: every notebook, every output
compared with the committed one) and ``scripts/course.py test tests`` (the unit
tests), and prints one row per version.  Each run's full output is saved in
``build/pythons/X.Y.log``.  Exits 1 if any version failed or was not found.

This file uses only the standard library, so any python3 can run it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import forky  # noqa: E402  (standard library only, like this file)

ROOT = Path(__file__).resolve().parent.parent


def supported_versions() -> tuple[str, ...]:
    """course.toml's [python] supported, e.g. ("3.11", ..., "3.15")."""
    import tomllib

    with open(ROOT / "course.toml", "rb") as f:
        return tuple(tomllib.load(f)["python"]["supported"])


VERSIONS = supported_versions()
LOGS = ROOT / "build" / "pythons"
PROBE = "import json, sys; print(json.dumps([sys.version_info[0], sys.version_info[1], sys.executable, sys.version.split()[0]]))"
SUITES = {"notebooks": "nbval", "tests": "unit tests", "recorder": "recorder tests"}
# what each suite runs; "recorder" is part of "tests": the differential corpus,
# the recorder's timelines and its counted cost (3.12+), for CI on the newest Python
PATHS = {"notebooks": ["notebooks"], "tests": ["tests"],
         "recorder": ["tests/test_transparency.py", "tests/test_timeline.py", "tests/test_recorder_cost.py",
                      "tests/test_observers.py"]}
DEFAULT_SUITES = ["notebooks", "tests"]


@dataclass
class Row:
    version: str
    python: str = "-"
    full_version: str = "-"
    where: str = "host"
    result: str = "not found"
    summaries: dict[str, str] = field(default_factory=dict)
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


def probe(command: list[str], env: dict[str, str] | None = None) -> tuple[str, str, str] | None:
    """(real executable, full version, "X.Y") of ``command``, or None if it does not run."""
    try:
        out = subprocess.run([*command, "-c", PROBE], capture_output=True, text=True, timeout=60,
                             env=env or dict(os.environ), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    major, minor, executable, full = json.loads(out.stdout.strip().splitlines()[-1])
    return executable, full, f"{major}.{minor}"


def find_python(version: str) -> tuple[str, str] | None:
    """(real executable, full version) for ``version`` ("3.12") on this host: PATH first, then pyenv."""
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
        found = probe([command], {**os.environ, **extra})
        if found and found[2] == version:
            return found[0], found[1]
    return None


def last_summary(text: str) -> str:
    """pytest's closing line, e.g. '12 passed, 1 failed in 80.1s'."""
    lines = [l.strip("= ").strip() for l in text.splitlines() if re.search(r"\d+ (passed|failed|error)|no tests ran", l)]
    return lines[-1] if lines else ""


class Host:
    """Runs commands on this machine."""
    where = "host"

    def __init__(self, python: str):
        self.python = python

    def command(self, argv: list[str]) -> list[str]:
        return argv

    def env(self, extra: dict[str, str]) -> dict[str, str]:
        return {**os.environ, **extra}


class Chroot(Host):
    """Runs commands inside the forky chroot (the caller holds forky.mounted())."""
    where = "forky chroot"

    def command(self, argv: list[str]) -> list[str]:
        return forky.command(argv)

    def env(self, extra: dict[str, str]) -> dict[str, str]:
        return forky.environment(extra)


def stream(cmd: list[str], env: dict[str, str], log, prefix: str, quiet: bool) -> tuple[int, str]:
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    output = []
    for line in proc.stdout:
        log.write(line)
        output.append(line)
        if not quiet:
            print(f"  {prefix}| {line}", end="", flush=True)
    return proc.wait(), "".join(output)


def run_version(version: str, runner: Host, full_version: str, suites: list[str],
                pytest_args: list[str], quiet: bool) -> Row:
    row = Row(version, runner.python, full_version, runner.where)
    env = runner.env({"COURSE_VENV": str(ROOT / f".venv-{version}")})
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{version}.log"
    started = time.monotonic()
    print(f"--- Python {full_version} ({runner.where}: {runner.python}): environment .venv-{version}, "
          f"then {' and '.join(SUITES[s] for s in suites)} (log: {log_path.relative_to(ROOT)})", flush=True)
    with open(log_path, "w") as log:
        code, output = stream(runner.command([runner.python, "scripts/course.py", "setup", "--dev"]), env, log,
                              version, quiet)
        if code != 0:
            row.result = "setup failed"
            row.summaries["setup"] = last_summary(output) or f"exit {code}"
        else:
            row.result = "pass"
            for suite in suites:
                code, output = stream(runner.command([runner.python, "scripts/course.py", "test", *PATHS[suite],
                                                      *pytest_args]), env, log, version, quiet)
                row.summaries[suite] = (last_summary(output) or f"exit {code}") + ("" if code == 0 else " FAIL")
                if code != 0:
                    row.result = "FAIL"
    row.seconds = time.monotonic() - started
    return row


def table(rows: list[Row], suites: list[str]) -> str:
    head = ("Python", "result", *(SUITES[s] for s in suites), "time", "interpreter")
    body = [(r.full_version if r.full_version != "-" else r.version, r.result,
             *(r.summaries.get(s, r.summaries.get("setup", "-")) for s in suites),
             f"{r.seconds / 60:.1f} min" if r.seconds else "-",
             r.python if r.where == "host" else f"{r.python} (forky chroot)") for r in rows]
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
    parser.add_argument("versions", nargs="*", default=list(VERSIONS), help="e.g. 3.12 3.15 (default: course.toml's supported ones)")
    parser.add_argument("--only", choices=sorted(SUITES),
                        help="run only the notebooks (nbval), only the unit tests, or only the recorder's tests")
    parser.add_argument("-q", "--quiet", action="store_true", help="do not echo pytest's output (it is in the log)")
    ns = parser.parse_args(argv)
    suites = [ns.only] if ns.only else list(DEFAULT_SUITES)

    runners: dict[str, tuple[Host, str] | None] = {}
    for v in ns.versions:
        found = find_python(v)
        runners[v] = (Host(found[0]), found[1]) if found else None
    need_chroot = [v for v in ns.versions if runners[v] is None and v in forky.VERSIONS]
    rows: list[Row] = []
    with contextlib.ExitStack() as stack:
        if need_chroot:
            started = time.monotonic()
            present = forky.ready()
            try:
                forky.build()
            except forky.Unavailable as exc:
                print(f"--- Python {', '.join(need_chroot)}: {exc}", flush=True)
            else:
                stack.enter_context(forky.mounted())
                print(f"--- forky chroot {forky.CHROOT}: {'present' if present else 'built'}, ready in "
                      f"{time.monotonic() - started:.1f} s", flush=True)
                for v in need_chroot:
                    runner = Chroot(forky.python(v))
                    found = probe(runner.command([runner.python]), runner.env({}))
                    if found and found[2] == v:
                        runners[v] = (runner, found[1])
        for v in ns.versions:
            if runners[v] is None:
                print(f"--- Python {v}: not found (looked for python{v} on PATH, in pyenv"
                      f"{' and in the forky chroot' if v in forky.VERSIONS else ''})", flush=True)
                rows.append(Row(v))
                continue
            runner, full = runners[v]
            rows.append(run_version(v, runner, full, suites, pytest_args, ns.quiet))
    print()
    print(table(rows, suites))
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
