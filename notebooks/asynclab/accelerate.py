"""Compile the recorder's optional C hot path: ``python -m asynclab.accelerate``.

The recorder (``recorder.py``) observes every callback the event loop runs
while a measurement is open.  In pure Python that costs about half as much
again as a program of 10,000 small tasks itself takes; the same observer in C
(``_fastrun.c``, about 900 lines, no dependency but Python's own headers)
costs a small fraction of that.  ``course.py setup`` and Binder's ``postBuild``
run this; without a C compiler it says so, and the recorder stays in Python:
the timelines are the same, only the overhead differs.

    python -m asynclab.accelerate          # build (or rebuild) it next to this file
    python -m asynclab.accelerate --check  # say whether it is built and in use

It uses the compiler and flags Python itself was built with (``sysconfig``),
on Linux and macOS.  Windows keeps the Python version.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "_fastrun.c"


def source_hash() -> str:
    """What a build records of its source, so that a stale build is never used."""
    return hashlib.sha256(SOURCE.read_bytes()).hexdigest()


def target() -> Path:
    return HERE / ("_fastrun" + (sysconfig.get_config_var("EXT_SUFFIX") or ".so"))


def command(output: Path) -> list[str]:
    """The compile-and-link command, from Python's own build configuration."""
    if os.name == "nt":
        raise OSError("building on Windows is not supported here: the recorder stays in Python")
    cc = sysconfig.get_config_var("CC") or "cc"
    ldshared = shlex.split(sysconfig.get_config_var("LDSHARED") or f"{cc} -shared")
    if not shutil.which(ldshared[0]):
        # conda's Python names the compiler it was built with (x86_64-conda-linux-gnu-gcc...),
        # which is seldom installed: the system's does as well for one C file
        system = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if system is None:
            raise OSError(f"no C compiler ({ldshared[0]}, cc, gcc or clang): the recorder stays in Python")
        ldshared = [system, "-bundle", "-undefined", "dynamic_lookup"] if sys.platform == "darwin" \
            else [system, "-shared"]
    include = sysconfig.get_paths()["include"]
    if not (Path(include) / "Python.h").exists():
        raise OSError(f"Python's headers are missing ({include}/Python.h): install python3-dev "
                      "(Debian/Ubuntu: apt install python3-dev), then run this again")
    flags = ["-O2", "-fPIC", "-DNDEBUG", f"-I{include}", "-Wall", f'-DFASTRUN_SOURCE="{source_hash()}"']
    return ldshared + flags + [str(SOURCE), "-o", str(output)]


def build(quiet: bool = False) -> Path:
    """Compile ``_fastrun.c``; raises OSError (with what to do) when it cannot."""
    out = target()
    with tempfile.TemporaryDirectory(dir=HERE, prefix=".build-") as tmp:  # same file system: os.replace
        partial = Path(tmp) / out.name
        cmd = command(partial)
        try:
            done = subprocess.run(cmd, capture_output=True, text=True)
        except FileNotFoundError:
            raise OSError(f"no C compiler ({cmd[0]}): the recorder stays in Python") from None
        if done.returncode != 0:
            raise OSError(f"compiling _fastrun.c failed:\n{done.stderr.strip()}")
        if done.stderr.strip() and not quiet:
            print(done.stderr.strip(), file=sys.stderr)
        os.replace(partial, out)  # a kernel importing it meanwhile sees the old file or the new, never half
    return out


def status() -> str:
    code = ("import asynclab.recorder as r; print('in use' if r.ACCELERATED else "
            "'built, not in use (ASYNCLAB_PURE_PYTHON is set)' if r._fastrun else "
            "'stale (built from another _fastrun.c): run python -m asynclab.accelerate' if r._FASTRUN_STALE "
            "else 'not built')")
    env = dict(os.environ, PYTHONPATH=str(HERE.parent) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    return done.stdout.strip() or done.stderr.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m asynclab.accelerate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only say whether it is built and in use")
    parser.add_argument("--quiet", action="store_true", help="print only failures")
    ns = parser.parse_args(argv)
    if ns.check:
        print(f"recorder's C hot path: {status()}")
        return 0
    try:
        out = build(ns.quiet)
    except OSError as exc:
        print(f"recorder's C hot path not built: {exc}", file=sys.stderr)
        return 1
    if not ns.quiet:
        print(f"built {out.relative_to(HERE.parent)}; {status()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
