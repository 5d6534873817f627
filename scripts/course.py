#!/usr/bin/env python3
"""Set up and use the course with nothing but python3 (3.11 or newer) on PATH.

    python3 scripts/course.py lab              # make the environment, open JupyterLab
    python3 scripts/course.py lab --no-browser # same, print the URL instead
    python3 scripts/course.py test             # make the environment, run every test
    python3 scripts/course.py refresh          # re-run notebooks with the pinned Python, write outputs
    python3 scripts/course.py nav              # regenerate contents and links
    python3 scripts/course.py student          # student copies (no solutions) in build/student/
    python3 scripts/course.py handouts         # HTML and PDF handouts in build/handouts/
    python3 scripts/course.py bench [--quick]  # download benchmark
    python3 scripts/course.py bench-recorder   # what the timeline recorder and show() cost
    python3 scripts/course.py budgets          # run time and peak memory per notebook
    python3 scripts/course.py pythons          # nbval and unit tests under Python 3.11 to 3.15
    python3 scripts/course.py setup [--dev]    # only build the environment

The environment lives in .venv/ (COURSE_VENV chooses another folder).  `lab`
and `setup` install requirements.txt only, what a learner needs; every other
command also installs the maintainer tools of requirements-dev.txt (a second
layer with its own stamp).  Each layer is reinstalled only when its
requirements or the Python version changed, so a second run starts at once.
This file uses only the standard library on purpose.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tomllib
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIN_PYTHON = (3, 11)


def start_notebook() -> str:
    """The notebook JupyterLab opens at (course.toml's repository.start_notebook)."""
    with open(ROOT / "course.toml", "rb") as f:
        return tomllib.load(f)["repository"]["start_notebook"]


def pinned_python() -> str:
    """The Python that Binder runs and committed outputs are made with ("3.14", from binder/runtime.txt)."""
    return (ROOT / "binder" / "runtime.txt").read_text().strip().removeprefix("python-")


def fail(message: str) -> "None":
    print(f"course.py: {message}", file=sys.stderr)
    raise SystemExit(2)


def venv_dir() -> Path:
    return Path(os.environ.get("COURSE_VENV", ROOT / ".venv")).resolve()


def venv_python(env: Path) -> Path:
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


# Two layers in one environment: what learners need, then the maintainer tools.
LEARNER = ("requirements.txt", "binder/overrides.json")
MAINTAINER = ("requirements-dev.txt",)


def wanted_stamp(python: Path, files: tuple[str, ...], below: str = "") -> str:
    """A hash of the layer's files, the Python version and the layer below it."""
    version = subprocess.run([str(python), "-c", "import sys; print(sys.version)"],
                             capture_output=True, text=True, check=True).stdout
    digest = hashlib.sha256(below.encode())
    for name in files:
        path = ROOT / name
        if path.exists():
            digest.update(path.read_bytes())
    digest.update(version.encode())
    return digest.hexdigest()


def pip_install(python: Path, requirements: str, quiet: bool) -> None:
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
    if quiet or os.environ.get("CI"):
        pip.append("--quiet")
    result = subprocess.run(pip + ["-r", str(ROOT / requirements)])
    if result.returncode != 0:
        fail(f"installing {requirements} failed (see pip's message above). "
             "Check your network or proxy, then run the same command again.")


def ensure_env(quiet: bool = False, dev: bool = True) -> Path:
    """Create or update the virtual environment; return its python.

    The learner layer (requirements.txt, JupyterLab settings) always; with
    ``dev`` also the maintainer layer (requirements-dev.txt)."""
    if sys.version_info < MIN_PYTHON:
        fail(f"Python {'.'.join(map(str, MIN_PYTHON))} or newer is needed, this is {sys.version.split()[0]}. "
             "Run the command with a newer python3 (for example python3.11).")
    env = venv_dir()
    python = venv_python(env)
    stamp_file, dev_stamp_file = env / ".course-stamp", env / ".course-dev-stamp"
    if not python.exists():
        print(f"Setting up the course environment in {env} (first run takes a minute or two)...", flush=True)
        try:
            venv.EnvBuilder(with_pip=True, clear=False).create(env)
        except Exception as exc:  # e.g. Debian without python3-venv
            fail(f"could not create a virtual environment ({exc}). On Debian/Ubuntu: apt install python3-venv")
    stamp = wanted_stamp(python, LEARNER)
    if not (stamp_file.exists() and stamp_file.read_text() == stamp):
        print(f"Installing the course's packages into {env} (requirements.txt)...", flush=True)
        dev_stamp_file.unlink(missing_ok=True)
        pip_install(python, "requirements.txt", quiet)
        settings = env / "share" / "jupyter" / "lab" / "settings"
        settings.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "binder" / "overrides.json", settings / "overrides.json")
        stamp_file.write_text(stamp)
    if dev and (ROOT / "requirements-dev.txt").exists():
        dev_stamp = wanted_stamp(python, MAINTAINER, below=stamp)
        if not (dev_stamp_file.exists() and dev_stamp_file.read_text() == dev_stamp):
            print(f"Installing the maintainer tools into {env} (requirements-dev.txt)...", flush=True)
            pip_install(python, "requirements-dev.txt", quiet)
            dev_stamp_file.write_text(dev_stamp)
    ensure_accelerator(python, env)
    return python


def ensure_accelerator(python: Path, env: Path) -> None:
    """Compile the recorder's optional C hot path (notebooks/asynclab/_fastrun.c) for
    this environment's Python, once per version of the source.  Without a C compiler
    the recorder stays in Python: one line says so, and it is not tried again until
    the source changes."""
    source = ROOT / "notebooks" / "asynclab" / "_fastrun.c"
    if not source.exists():
        return
    stamp_file = env / ".course-fastrun-stamp"
    stamp = hashlib.sha256(source.read_bytes()).hexdigest()
    seen = stamp_file.read_text().split() if stamp_file.exists() else []
    if seen[:1] == [stamp] and (seen[1:] == ["failed"] or (seen[1:2] == ["built"]
                                                         and (source.parent / seen[-1]).exists())):
        return
    result = subprocess.run([str(python), "-m", "asynclab.accelerate", "--quiet"], cwd=ROOT / "notebooks",
                            capture_output=True, text=True)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["unknown reason"])[0]
        print(f"note: {reason}. The timelines are the same; measuring only costs more.", flush=True)
    built = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))"],
                           capture_output=True, text=True).stdout.strip()
    stamp_file.write_text(f"{stamp} built _fastrun{built}" if result.returncode == 0 else f"{stamp} failed")


def run(python: Path, args: list[str]) -> int:
    return subprocess.run([str(python), *args], cwd=ROOT).returncode


def cmd_lab(extra: list[str]) -> int:
    python = ensure_env(dev=False)
    start = start_notebook()
    # Serve the whole repository and make the start notebook the default page:
    # the browser (or the URL printed with --no-browser) opens it directly.
    args = ["-m", "jupyterlab", "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={ROOT}",
            f"--LabApp.default_url=/lab/tree/{start}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        print("Running as root: adding --allow-root (JupyterLab refuses root otherwise).")
        args.append("--allow-root")
    print(f"Opening JupyterLab at {start}. Stop it with Ctrl+C (twice).", flush=True)
    return run(python, args + extra)


def cmd_test(extra: list[str]) -> int:
    python = ensure_env(quiet=True)
    workers = os.environ.get("COURSE_TEST_WORKERS", "auto")
    args = ["-m", "pytest", "-n", workers, "--dist", "loadscope", *extra]
    print("Running:", "python", " ".join(args), flush=True)
    return run(python, args)


def cmd_setup(extra: list[str]) -> int:
    dev = "--dev" in extra
    python = ensure_env(dev=dev)
    print(f"Environment ready{' (with the maintainer tools)' if dev else ''}: {python}")
    return 0


def cmd_refresh(extra: list[str]) -> int:
    """Committed outputs are made by the pinned Python: here if this is it, else
    by another interpreter (PATH, pyenv, or the forky chroot on Debian as root)."""
    pinned = pinned_python()
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == pinned:
        return run(ensure_env(), ["scripts/refresh_outputs.py", *extra])
    sys.path.insert(0, str(ROOT / "scripts"))
    import forky
    import run_pythons

    env = {"COURSE_VENV": str(ROOT / f".venv-{pinned}")}
    argv = ["scripts/course.py", "refresh", *extra]
    found = run_pythons.find_python(pinned)
    if found:
        print(f"Refreshing with Python {found[1]} ({found[0]}), the pinned one (binder/runtime.txt).", flush=True)
        return subprocess.run([found[0], *argv], cwd=ROOT, env={**os.environ, **env}).returncode
    if pinned not in forky.VERSIONS:
        fail(f"outputs are made with Python {pinned} (binder/runtime.txt), which is not installed: "
             f"install python{pinned} and run the command again")
    try:
        forky.build()
    except forky.Unavailable as exc:
        fail(f"outputs are made with Python {pinned} (binder/runtime.txt). {exc}")
    print(f"Refreshing with Python {pinned} in the forky chroot {forky.CHROOT} (binder/runtime.txt pins it).",
          flush=True)
    with forky.mounted():
        return subprocess.run(forky.command([forky.python(pinned), *argv]), cwd=ROOT,
                              env=forky.environment(env)).returncode


def cmd_pythons(extra: list[str]) -> int:
    # builds its own environments (.venv-3.X), so it runs under this python
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "run_pythons.py"), *extra], cwd=ROOT).returncode


# Maintainer scripts run in the course environment: command -> scripts/<file>.
SCRIPTS = {
    "nav": "make_navigation.py",         # contents, prev/next links, README map
    "student": "build_student.py",       # build/student/: notebooks without solutions
    "handouts": "build_handouts.py",     # build/handouts/: HTML and PDF
    "bench": "benchmark_downloads.py",   # download benchmark (table + JSON)
    "bench-recorder": "../benchmarks/recorder_overhead.py",  # what measure() and show() cost
    "budgets": "notebook_budgets.py",    # each notebook: run time and peak memory
}


def script_command(script: str):
    def command(extra: list[str]) -> int:
        return run(ensure_env(), [f"scripts/{script}", *extra])

    return command


COMMANDS = {"lab": cmd_lab, "test": cmd_test, "setup": cmd_setup, "pythons": cmd_pythons, "refresh": cmd_refresh,
            **{name: script_command(script) for name, script in SCRIPTS.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=sorted(COMMANDS), help="what to do")
    parser.add_argument("extra", nargs=argparse.REMAINDER, help="passed on (to jupyter lab, pytest, ...)")
    ns = parser.parse_args(argv)
    return COMMANDS[ns.command](ns.extra)


if __name__ == "__main__":
    sys.exit(main())
