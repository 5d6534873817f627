"""Checks for notebook 05, "The event loop".

Each ``check_*`` prints what it found and then one line, ``✅ ...`` or
``❌ Not yet: ...``, and returns a :class:`asynclab.check.Verdict`.  A learner's
wrong answer never raises.

* :func:`check_breakfast`: Exercise 1, a generator task for the tiny loop that
  must yield a sleep request so that the two tasks interleave.
* :func:`check_loop_predictions`: Exercise 2, where ``asyncio.get_running_loop()``
  returns a loop and where it raises; the check runs each case for real.
* :data:`CRAWL`: Exercise 3 (rules for check.expect), a "concurrent" crawl secretly blocked by
  ``time.sleep``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import math
import subprocess
import sys
from typing import Any, Callable

from .. import check
from ..check import Verdict, report
from ..recording import seconds
from ..tinyloop import BadRequest, Sleep, TinyLoop

__all__ = [
    "BREAKFAST_ORDER",
    "CRAWL_RESULT",
    "LOOP_CASES",
    "check_breakfast",
    "CRAWL",
    "check_loop_predictions",
]


# --------------------------------------------------------------------------------------
# Exercise 1: the tiny loop
# --------------------------------------------------------------------------------------
#: The order in which the two breakfast tasks must print their lines.
BREAKFAST_ORDER = [
    "kettle: filling",
    "toaster: bread in",
    "kettle: heating",
    "toaster: toast up",
    "kettle: boiled",
]
_KETTLE_WAITS = [0.1, 0.3]  # the seconds the kettle must ask to sleep, in order


class _TimedLines:
    """A stand-in for ``sys.stdout`` that notes the loop time of every line printed."""

    def __init__(self, loop: TinyLoop) -> None:
        self.loop, self.lines, self._partial = loop, [], ""

    def write(self, text: str) -> int:
        self._partial += text
        while "\n" in self._partial:
            line, self._partial = self._partial.split("\n", 1)
            self.lines.append((self.loop.time(), line))
        return len(text)

    def flush(self) -> None:
        if self._partial:
            self.lines.append((self.loop.time(), self._partial))
            self._partial = ""


def _make_task(name: str, function: Any) -> tuple[Any, str]:
    """(generator, "") or (None, the reason in plain words)."""
    if function is ...:
        return None, f"`{name}` is still `...`. Write the generator function `def {name}():`."
    if not callable(function):
        return None, f"`{name}` should be a function, but it is a {type(function).__name__}."
    if inspect.iscoroutinefunction(function):
        return None, (f"`{name}` is an `async def` function. The tiny loop runs plain generators: "
                      f"write `def {name}():` with `yield` inside.")
    try:
        made = function()
    except BaseException as exc:  # the learner's, explained (KeyboardInterrupt included)
        return None, check.explain(exc, f"calling {name}()")
    if not inspect.isgenerator(made):
        return None, (f"{name}() ran to the end at once and returned {made!r}: it contains no `yield`, "
                      "so it is a plain function, not a task the loop can pause.")
    return made, ""


def _same_waits(requests: list[Sleep | None], expected: list[float]) -> bool:
    return (len(requests) == len(expected)
            and all(isinstance(r, Sleep) and math.isclose(r.seconds, e) for r, e in zip(requests, expected)))


def check_breakfast(kettle: Callable[[], Any], toaster: Callable[[], Any]) -> Verdict:
    """Exercise 1: run both generator functions on a :class:`TinyLoop` and check
    that their printed lines come in :data:`BREAKFAST_ORDER`.

    Prints every line the tasks printed with the loop time, then the verdict.
    The kettle must ask for ``Sleep(0.1)`` and then ``Sleep(0.3)``.
    """
    tasks = {}
    for name, function in (("kettle", kettle), ("toaster", toaster)):
        made, problem = _make_task(name, function)
        if problem:
            for other in tasks.values():
                other.close()
            return report(False, "", problem)
        tasks[name] = made

    tiny = TinyLoop()
    handles = {name: tiny.spawn(gen, name=name) for name, gen in tasks.items()}
    out = _TimedLines(tiny)
    error = ""
    try:
        with contextlib.redirect_stdout(out), check.time_limit(3):
            tiny.run()
    except BadRequest as exc:
        error = str(exc)
    except check.TimeLimit:
        error = "the tiny loop was still running after 3 s: a task loops forever without finishing."
    except BaseException as exc:  # the learner's, explained (KeyboardInterrupt included)
        error = check.explain(exc, "a task")
    finally:
        out.flush()
        for gen in tasks.values():
            try:
                gen.close()
            except BaseException:  # a generator that refuses to close: nothing more to do
                pass

    print("What the tasks printed, and when:")
    for when, line in out.lines:
        print(f"  {seconds(when):>7}  {line}")
    if error:
        return report(False, "", error)

    blocked = tiny.blocking_steps()
    if blocked:
        name, took = max(blocked, key=lambda b: b[1])
        return report(False, "", f"{name} held the loop for {seconds(took)} in one step, so nothing else could run. "
                                 "time.sleep blocks the tiny loop as it blocks asyncio's: yield a Sleep request instead.")
    requests = handles["kettle"].requests
    if not _same_waits(requests, _KETTLE_WAITS):
        if len(requests) < len(_KETTLE_WAITS):
            why = ("the kettle never paused after 'heating', so it boiled at once. "
                   "A task pauses only where it yields a request to the loop.")
        elif requests[-1] is None and len(requests) == len(_KETTLE_WAITS):
            why = ("a bare `yield` lets the others run but comes straight back: "
                   "the kettle must ask the loop to wake it later.")
        else:
            asked = ", ".join(seconds(r.seconds) if isinstance(r, Sleep) else "a bare yield" for r in requests)
            wanted = ", ".join(seconds(w) for w in _KETTLE_WAITS)
            why = f"the kettle asked for {asked}; the recipe is {wanted}."
        return report(False, "", why)
    printed = [line for _, line in out.lines]
    if printed != BREAKFAST_ORDER:
        return report(False, "", f"the lines came in the order {printed}, expected {BREAKFAST_ORDER}. "
                                 "Keep the print() lines of the exercise as they are.")
    if not handles["toaster"].done or not handles["kettle"].done:
        return report(False, "", "a task did not finish.")
    return report(True, "the toast popped up while the kettle was heating: "
                        "the two tasks took turns on one loop.", "")


# --------------------------------------------------------------------------------------
# Exercise 2: where is a loop running?
# --------------------------------------------------------------------------------------
#: The four places of the prediction exercise: (parameter name, description).
LOOP_CASES = [
    ("in_a_cell", "top level of a notebook cell"),
    ("script_top", "top level of a script (python script.py)"),
    ("script_in_main", "inside main(), run by asyncio.run(main())"),
    ("in_a_thread", "plain function run by asyncio.to_thread(f)"),
]

_WHY = {
    "in_a_cell": "the kernel runs an event loop all the time and runs your cell inside it, "
                 "which is why a cell may use `await` directly.",
    "script_top": "a script starts with no loop at all: one exists only while asyncio.run() is running.",
    "script_in_main": "asyncio.run() creates a loop and runs main() inside it, so main sees that loop.",
    "in_a_thread": "a loop runs in one thread only. to_thread() runs f in a worker thread, "
                   "where no loop is running (that is why asyncio.run() works there).",
}

_PROBE = """\
import asyncio
def probe():
    try:
        asyncio.get_running_loop()
        return "loop"
    except RuntimeError:
        return "error"
print(probe())
async def main():
    print(probe())
asyncio.run(main())
"""


def _probe() -> str:
    try:
        asyncio.get_running_loop()
        return "loop"
    except RuntimeError:
        return "error"


def _normalise(answer: Any) -> str | None:
    if isinstance(answer, str) and answer.strip().lower() in ("loop", "error"):
        return answer.strip().lower()
    return None


async def _truth() -> dict[str, str]:
    """Run get_running_loop() in each of the four places and note what happened."""
    here = _probe()  # this coroutine runs where the cell's code runs
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", _PROBE],
                                   capture_output=True, text=True, timeout=60)
    top, in_main = (done.stdout.split() + ["?", "?"])[:2]
    thread = await asyncio.to_thread(_probe)
    return {"in_a_cell": here, "script_top": top, "script_in_main": in_main, "in_a_thread": thread}


async def check_loop_predictions(in_a_cell: Any, script_top: Any, script_in_main: Any,
                                 in_a_thread: Any) -> Verdict:
    """Exercise 2: each answer is ``"loop"`` (a loop is returned) or ``"error"``
    (RuntimeError: no running event loop).

    When every answer is filled in, runs the four cases for real (the script
    cases in a fresh ``python`` process), prints a table and explains every
    wrong prediction.  Blanks are reported without running anything, so the
    answers are not given away.
    """
    answers = {"in_a_cell": in_a_cell, "script_top": script_top,
               "script_in_main": script_in_main, "in_a_thread": in_a_thread}
    for name, _ in LOOP_CASES:
        if answers[name] is ...:
            return report(False, "", f"`{name}` is still `...`. Replace it with \"loop\" or \"error\".")
    for name, _ in LOOP_CASES:
        if _normalise(answers[name]) is None:
            return report(False, "", f"`{name}` is {answers[name]!r}: answer with the string \"loop\" "
                                     "(it returns the running loop) or \"error\" (it raises RuntimeError).")
    truth = await _truth()
    print(f"  {'where get_running_loop() is called':44}{'you said':10}really")
    wrong = []
    for name, where in LOOP_CASES:
        said = _normalise(answers[name])
        mark = "✔" if said == truth[name] else "✘"
        print(f"  {where:44}{said:10}{truth[name]:7}{mark}")
        if said != truth[name]:
            wrong.append(name)
    if wrong:
        return report(False, "", f"{len(wrong)} of {len(LOOP_CASES)} predictions differ from what really happened. "
                                 + " ".join(f"`{name}`: {_WHY[name]}" for name in wrong))
    return report(True, "all four right: a loop is running only in its own thread, "
                        "and only while something runs it.", "")


# --------------------------------------------------------------------------------------
# Exercise 3: the crawl that was secretly blocking
# --------------------------------------------------------------------------------------
#: What ``crawl()`` returns when it is right.
CRAWL_RESULT = ["page 1", "page 2", "page 3", "page 4"]


def _polite(run: check.Run) -> str | None:
    """Each page waits twice: the request, then the polite pause (a timer, not a lock)."""
    rec = run.rec
    if rec is None:
        return None
    waits = sum(1 for s in rec.spans if s.state == "wait" and s.reason == "timer" and s.lane in rec.worker_lanes)
    if waits < 2 * len(CRAWL_RESULT):
        return (f"the polite pause is gone: each page should wait twice (the request, then the pause), and only "
                f"{waits} waits were recorded for {len(CRAWL_RESULT)} pages. Did an `await` go missing?")
    return None


#: Exercise 3: no blocking, the polite pause kept, the four fetches overlap.
CRAWL = dict(result=CRAWL_RESULT, overlap=4, checks=[_polite],
             done="the loop stayed free, every page still paused politely, and the four fetches overlapped.")
