#!/usr/bin/env python3
"""Set up and use the course with nothing but python3 (3.11 or newer) on PATH.

    python3 scripts/course.py lab              # make the environment, open JupyterLab
    python3 scripts/course.py lab --no-browser # same, print the URL instead
    python3 scripts/course.py test             # make the environment, run every test
    python3 scripts/course.py refresh          # re-run notebooks, write fresh outputs
    python3 scripts/course.py nav              # regenerate contents and links
    python3 scripts/course.py student          # student edition in build/student/
    python3 scripts/course.py handouts         # HTML and PDF handouts in build/handouts/
    python3 scripts/course.py bench [--quick]  # download benchmark
    python3 scripts/course.py budgets          # run time and peak memory per notebook
    python3 scripts/course.py pythons          # the notebooks under Python 3.11, 3.12, 3.13
    python3 scripts/course.py student          # student copies (no solutions) in build/student/
    python3 scripts/course.py handouts         # HTML and PDF handouts in build/handouts/
    python3 scripts/course.py pythons          # run the notebooks under Python 3.11, 3.12, 3.13

The environment lives in .venv/ (COURSE_VENV chooses another folder).  It is
rebuilt only when requirements.txt or the Python version changed, so a second
run starts at once.  This file uses only the standard library on purpose.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIN_PYTHON = (3, 11)
START = "notebooks/00_start_here.ipynb"


def fail(message: str) -> "None":
    print(f"course.py: {message}", file=sys.stderr)
    raise SystemExit(2)


def venv_dir() -> Path:
    return Path(os.environ.get("COURSE_VENV", ROOT / ".venv")).resolve()


def venv_python(env: Path) -> Path:
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def wanted_stamp(python: Path) -> str:
    version = subprocess.run([str(python), "-c", "import sys; print(sys.version)"],
                             capture_output=True, text=True, check=True).stdout
    digest = hashlib.sha256()
    for name in ("requirements.txt", "requirements-dev.txt", "binder/overrides.json"):
        path = ROOT / name
        if path.exists():
            digest.update(path.read_bytes())
    digest.update(version.encode())
    return digest.hexdigest()


def ensure_env(quiet: bool = False) -> Path:
    """Create or update the virtual environment; return its python."""
    if sys.version_info < MIN_PYTHON:
        fail(f"Python {'.'.join(map(str, MIN_PYTHON))} or newer is needed, this is {sys.version.split()[0]}. "
             "Run the command with a newer python3 (for example python3.11).")
    env = venv_dir()
    python = venv_python(env)
    stamp_file = env / ".course-stamp"
    if python.exists():
        stamp = wanted_stamp(python)
        if stamp_file.exists() and stamp_file.read_text() == stamp:
            return python
    print(f"Setting up the course environment in {env} (first run takes a minute or two)...", flush=True)
    if not python.exists():
        try:
            venv.EnvBuilder(with_pip=True, clear=False).create(env)
        except Exception as exc:  # e.g. Debian without python3-venv
            fail(f"could not create a virtual environment ({exc}). On Debian/Ubuntu: apt install python3-venv")
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
    if quiet or os.environ.get("CI"):
        pip.append("--quiet")
    reqs = ["-r", str(ROOT / "requirements.txt")]
    if (ROOT / "requirements-dev.txt").exists():
        reqs += ["-r", str(ROOT / "requirements-dev.txt")]
    result = subprocess.run(pip + reqs)
    if result.returncode != 0:
        fail("installing the requirements failed (see pip's message above). "
             "Check your network or proxy, then run the same command again.")
    settings = env / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "binder" / "overrides.json", settings / "overrides.json")
    stamp_file.write_text(wanted_stamp(python))
    return python


def run(python: Path, args: list[str]) -> int:
    return subprocess.run([str(python), *args], cwd=ROOT).returncode


def cmd_lab(extra: list[str]) -> int:
    python = ensure_env()
    # Serve the whole repository and make the start notebook the default page:
    # the browser (or the URL printed with --no-browser) opens it directly.
    args = ["-m", "jupyterlab", "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={ROOT}",
            f"--LabApp.default_url=/lab/tree/{START}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        print("Running as root: adding --allow-root (JupyterLab refuses root otherwise).")
        args.append("--allow-root")
    print(f"Opening JupyterLab at {START}. Stop it with Ctrl+C (twice).", flush=True)
    return run(python, args + extra)


def cmd_test(extra: list[str]) -> int:
    python = ensure_env(quiet=True)
    workers = os.environ.get("COURSE_TEST_WORKERS", "auto")
    args = ["-m", "pytest", "-n", workers, "--dist", "loadscope", *extra]
    print("Running:", "python", " ".join(args), flush=True)
    return run(python, args)


def cmd_setup(extra: list[str]) -> int:
    python = ensure_env()
    print(f"Environment ready: {python}")
    return 0


def cmd_pythons(extra: list[str]) -> int:
    # builds its own environments (.venv-3.X), so it runs under this python
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "run_pythons.py"), *extra], cwd=ROOT).returncode


# Maintainer scripts run in the course environment: command -> scripts/<file>.
SCRIPTS = {
    "refresh": "refresh_outputs.py",     # re-run notebooks, write fresh outputs
    "nav": "make_navigation.py",         # contents, prev/next links, README map
    "student": "build_student.py",       # build/student/: notebooks without solutions
    "handouts": "build_handouts.py",     # build/handouts/: HTML and PDF
    "bench": "benchmark_downloads.py",   # download benchmark (table + JSON)
    "budgets": "notebook_budgets.py",    # each notebook: run time and peak memory
}


def script_command(script: str):
    def command(extra: list[str]) -> int:
        return run(ensure_env(), [f"scripts/{script}", *extra])

    return command


COMMANDS = {"lab": cmd_lab, "test": cmd_test, "setup": cmd_setup, "pythons": cmd_pythons,
            **{name: script_command(script) for name, script in SCRIPTS.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=sorted(COMMANDS), help="what to do")
    parser.add_argument("extra", nargs=argparse.REMAINDER, help="passed on (to jupyter lab, pytest, ...)")
    ns = parser.parse_args(argv)
    return COMMANDS[ns.command](ns.extra)


if __name__ == "__main__":
    sys.exit(main())
