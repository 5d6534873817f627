"""The recorder is transparent: ``await measure(t, main())`` behaves as ``await main()``.

Each program in ``tests/corpus/`` is run twice in fresh processes by
``tests/corpus/_run.py``: plainly and under ``measure()``.  Their stdout, stderr
and exit code must be equal after normalising run-to-run noise (addresses,
ports, temporary paths, timings; see ``_run.NOISE``).

    COURSE_ASYNCLAB=/path/to/notebooks   which asynclab to test (default: this repo's notebooks/)
    COURSE_PYTHON=/path/to/python        interpreter for the runs (default: the one running pytest)
    CORPUS_REPEAT=3                      also check that plain runs agree with each other
    CORPUS_BARE=1                        also check that importing asynclab alone changes nothing

``COURSE_ASYNCLAB=tests/corpus/_reference`` (a measure() that only awaits) must pass
everything: that is the harness's check against false alarms.
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "corpus"
RUNNER = CORPUS / "_run.py"
NOTEBOOKS = Path(os.environ.get("COURSE_ASYNCLAB") or Path(__file__).resolve().parent.parent / "notebooks").resolve()
PYTHON = os.environ.get("COURSE_PYTHON") or sys.executable
TIMEOUT = 30

_spec = importlib.util.spec_from_file_location("_corpus_run", RUNNER)
_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_run)


def _target_facts() -> tuple[tuple[int, int], set[str]]:
    """Version of the interpreter under test, and which optional packages it has."""
    code = ("import sys, importlib.util; print(*sys.version_info[:2]);"
            "print(*[m for m in ('aiohttp',) if importlib.util.find_spec(m)])")
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    major, minor = map(int, out[0].split())
    return (major, minor), set(out[1].split()) if len(out) > 1 else set()


VERSION, HAVE = _target_facts()


def _metadata(path: Path) -> dict:
    """MIN_PYTHON / WHY / NEEDS literals of a program, read without importing it."""
    meta: dict = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("MIN_PYTHON", "WHY", "NEEDS"):
                meta[node.targets[0].id] = ast.literal_eval(node.value)
    return meta


def _programs():
    for path in sorted(CORPUS.glob("[!_]*.py")):
        meta = _metadata(path)
        marks = []
        need = tuple(meta.get("MIN_PYTHON", (3, 11)))
        if VERSION < need:
            why = meta.get("WHY", f"needs Python {'.'.join(map(str, need))}")
            marks.append(pytest.mark.skip(reason=f"{why}; running {VERSION[0]}.{VERSION[1]}"))
        missing = [m for m in meta.get("NEEDS", ()) if m not in HAVE]
        if missing:
            marks.append(pytest.mark.skip(reason=f"{', '.join(missing)} not installed for {PYTHON}"))
        yield pytest.param(path.stem, marks=marks, id=path.stem)


PROGRAMS = list(_programs())


def run(module: str, mode: str, **extra: str) -> tuple[str, str, int]:
    env = dict(os.environ, COURSE_ASYNCLAB=str(NOTEBOOKS), PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1", **extra)
    env.pop("PYTHONWARNINGS", None)
    env.pop("PYTHONASYNCIODEBUG", None)
    proc = subprocess.run([PYTHON, str(RUNNER), module, mode], cwd=CORPUS, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)
    return _run.normalise(proc.stdout), _run.normalise(proc.stderr), proc.returncode


def _diff(a: str, b: str, what: str, left: str, right: str) -> str:
    lines = difflib.unified_diff(a.splitlines(), b.splitlines(), f"{what} ({left})", f"{what} ({right})",
                                 lineterm="", n=2)
    return "\n".join(lines)


def compare(module: str, left: tuple[str, str, int], right: tuple[str, str, int],
            names: tuple[str, str] = ("plain", "measured")) -> None:
    if "== main ==" not in left[0] or not re.search(r"^asyncio\.run (returned|raised)", left[0], re.M):
        pytest.fail(f"{module}: the {names[0]} run did not get through the runner (exit code {left[2]}):\n"
                    f"{left[0]}\n{left[1]}", pytrace=False)
    problems = []
    for what, a, b in (("stdout", left[0], right[0]), ("stderr", left[1], right[1])):
        if a != b:
            problems.append(_diff(a, b, what, *names))
    if left[2] != right[2]:
        problems.append(f"exit code: {left[2]} ({names[0]}) != {right[2]} ({names[1]})")
    if problems:
        pytest.fail(f"{module}: {names[1]} run differs from the {names[0]} run "
                    f"(asynclab from {NOTEBOOKS})\n" + "\n\n".join(problems), pytrace=False)


# The recorder's documented traces (see the docstring of asynclab/recorder.py): the
# measured output is expected to differ from the plain one in exactly these ways.
# Each substitution must apply, so a trace that disappears (or changes) is noticed too.
KNOWN_TRACES = {
    # capture_call_graph() from inside the measured coroutine lists the frames that await
    # it, and the learner's cell did await measure(...): it is in the chain.
    "own_call_graph": [("'main', 'measure', 'driver'", "'main', 'driver'")],
}


def without_known_traces(module: str, measured: tuple[str, str, int]) -> tuple[str, str, int]:
    out = measured[0]
    for trace, plain in KNOWN_TRACES.get(module, ()):
        if trace not in out:
            pytest.fail(f"{module}: the documented trace {trace!r} did not appear in the measured run:\n{out}",
                        pytrace=False)
        out = out.replace(trace, plain)
    return out, measured[1], measured[2]


ADAPTED = [p for p in PROGRAMS if not p.id.startswith("own_")]  # from the Python and aiohttp docs
OWN = [p for p in PROGRAMS if p.id.startswith("own_")]


# Two classes, so that `pytest -n 2 --dist loadscope` (scripts/course.py test) shares them between workers.
class TestAdaptedExamples:
    @pytest.mark.parametrize("module", ADAPTED)
    def test_measure_is_transparent(self, module):
        compare(module, run(module, "plain"), run(module, "measured"))


class TestOwnPrograms:
    @pytest.mark.parametrize("module", OWN)
    def test_measure_is_transparent(self, module):
        compare(module, run(module, "plain"), without_known_traces(module, run(module, "measured")))


def _compiled_observer_in_use() -> bool:
    """Whether the interpreter under test measures with the compiled observer (asynclab.accelerate)."""
    code = "import asynclab.recorder as r; print(r._HOOK is r._C_HOOK and r._C_HOOK is not None)"
    env = dict(os.environ, PYTHONPATH=str(NOTEBOOKS))
    env.pop("ASYNCLAB_PURE_PYTHON", None)
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, env=env, cwd=CORPUS)
    return done.stdout.strip() == "True"


COMPILED = _compiled_observer_in_use()


@pytest.mark.skipif(not COMPILED, reason="the classes above already ran the Python observer")
class TestWithThePythonObserver:
    """When the compiled observer is built, the classes above test it: this runs the Python one."""

    @pytest.mark.parametrize("module", PROGRAMS)
    def test_measure_is_transparent(self, module):
        # plain too: the Python observer, idle, is a Python frame under the loop's in a thread's whole stack
        compare(module, run(module, "plain", ASYNCLAB_PURE_PYTHON="1"),
                without_known_traces(module, run(module, "measured", ASYNCLAB_PURE_PYTHON="1")))


@pytest.mark.skipif(not os.environ.get("CORPUS_REPEAT"), reason="set CORPUS_REPEAT=N to check plain runs agree")
@pytest.mark.parametrize("module", PROGRAMS)
def test_plain_runs_agree(module):
    first = run(module, "plain")
    for _ in range(int(os.environ["CORPUS_REPEAT"]) - 1):
        compare(module, first, run(module, "plain"), ("plain #1", "plain again"))


@pytest.mark.skipif(not os.environ.get("CORPUS_BARE"), reason="set CORPUS_BARE=1 to check that the import is inert")
@pytest.mark.parametrize("module", PROGRAMS)
def test_import_alone_changes_nothing(module):
    compare(module, run(module, "bare"), run(module, "plain"), ("without asynclab imported", "asynclab imported"))
