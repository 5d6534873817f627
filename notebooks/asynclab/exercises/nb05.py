"""Checks for notebook 05, "The event loop": the tiny loop (1), where a loop runs (2), a crawl (3)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import math
import subprocess
import sys
from typing import Any

from .. import check
from ..check import Verdict, report
from ..recording import seconds
from ..tinyloop import BadRequest, Sleep, TinyLoop

__all__ = ["CRAWL", "LOOP_CASES", "check_breakfast", "check_loop_predictions"]


# -- Exercise 1: the tiny loop --------------------------------------------------------------------
BREAKFAST_ORDER = ["kettle: filling", "toaster: bread in", "kettle: heating", "toaster: toast up", "kettle: boiled"]
_KETTLE_WAITS = [0.1, 0.3]  # the seconds the kettle must ask to sleep, in order


class _TimedLines(io.StringIO):
    """A stand-in for ``sys.stdout`` that notes the loop time at the end of every line printed."""

    def __init__(self, loop: TinyLoop) -> None:
        super().__init__()
        self.loop, self.times = loop, []

    def write(self, text: str) -> int:
        self.times += [self.loop.time()] * text.count("\n")
        return super().write(text)


def _make_task(name: str, function: Any) -> tuple[Any, str | None]:  # (generator, None) or (None, why not)
    if function is ...:
        return None, f"`{name}` is still `...`. Write the generator function `def {name}():`."
    if not callable(function):
        return None, f"`{name}` should be a function, but it is a {type(function).__name__}."
    if inspect.iscoroutinefunction(function):
        return None, (f"`{name}` is an `async def` function. The tiny loop runs plain generators: "
                      f"write `def {name}():` with `yield` inside.")
    made, problem = check.call(function, who=f"calling {name}()")
    if not problem and not inspect.isgenerator(made):
        problem = (f"{name}() ran to the end at once and returned {made!r}: it contains no `yield`, "
                   "so it is a plain function, not a task the loop can pause.")
    return made, problem


def _kettle_problem(requests: list[Sleep | None]) -> str | None:
    if len(requests) == len(_KETTLE_WAITS) and all(
            isinstance(r, Sleep) and math.isclose(r.seconds, w) for r, w in zip(requests, _KETTLE_WAITS)):
        return None
    if len(requests) < len(_KETTLE_WAITS):
        return ("the kettle never paused after 'heating', so it boiled at once. "
                "A task pauses only where it yields a request to the loop.")
    if requests[-1] is None and len(requests) == len(_KETTLE_WAITS):
        return ("a bare `yield` lets the others run but comes straight back: "
                "the kettle must ask the loop to wake it later.")
    asked = ", ".join(seconds(r.seconds) if isinstance(r, Sleep) else "a bare yield" for r in requests)
    return f"the kettle asked for {asked}; the recipe is {', '.join(seconds(w) for w in _KETTLE_WAITS)}."


def check_breakfast(kettle: Any, toaster: Any) -> Verdict:
    """Exercise 1: both generator functions on a :class:`TinyLoop`, their lines (printed with the loop time)
    in :data:`BREAKFAST_ORDER`, the kettle asking for ``Sleep(0.1)`` then ``Sleep(0.3)``."""
    tasks: dict[str, Any] = {}
    for name, function in (("kettle", kettle), ("toaster", toaster)):
        tasks[name], problem = _make_task(name, function)
        if problem:
            for gen in filter(inspect.isgenerator, tasks.values()):
                gen.close()
            return report(False, "", problem)
    tiny = TinyLoop()
    handles = {name: tiny.spawn(gen, name=name) for name, gen in tasks.items()}
    out = _TimedLines(tiny)

    def run_tiny() -> str | None:
        try:
            tiny.run()
        except BadRequest as exc:
            return str(exc)
        return None

    with contextlib.redirect_stdout(out):
        bad, error = check.call(run_tiny, who="a task", limit=3)
    for gen in tasks.values():
        with contextlib.suppress(BaseException):  # a generator that refuses to close: nothing more to do
            gen.close()
    lines = list(zip(out.times + [tiny.time()], out.getvalue().splitlines()))
    print("What the tasks printed, and when:")
    for when, line in lines:
        print(f"  {seconds(when):>7}  {line}")
    blocked, printed = tiny.blocking_steps(), [line for _, line in lines]
    if bad or error:
        return report(False, "", bad or error)
    if blocked:
        name, took = max(blocked, key=lambda b: b[1])
        return report(False, "", f"{name} held the loop for {seconds(took)} in one step, so nothing else could run. "
                                 "time.sleep blocks the tiny loop as it blocks asyncio's: yield a Sleep request instead.")
    problem = _kettle_problem(handles["kettle"].requests)
    if not problem and printed != BREAKFAST_ORDER:
        problem = (f"the lines came in the order {printed}, expected {BREAKFAST_ORDER}. "
                   "Keep the print() lines of the exercise as they are.")
    if not problem and not all(h.done for h in handles.values()):
        problem = "a task did not finish."
    return report(not problem, "the toast popped up while the kettle was heating: "
                               "the two tasks took turns on one loop.", problem or "")


# -- Exercise 2: where is a loop running? ---------------------------------------------------------
#: The four places of the prediction exercise: parameter → (where, why the answer is what it is).
LOOP_CASES = {
    "in_a_cell": ("top level of a notebook cell", "the kernel runs an event loop all the time and runs your "
                  "cell inside it, which is why a cell may use `await` directly."),
    "script_top": ("top level of a script (python script.py)",
                   "a script starts with no loop at all: one exists only while asyncio.run() is running."),
    "script_in_main": ("inside main(), run by asyncio.run(main())",
                       "asyncio.run() creates a loop and runs main() inside it, so main sees that loop."),
    "in_a_thread": ("plain function run by asyncio.to_thread(f)", "a loop runs in one thread only. to_thread() "
                    "runs f in a worker thread, where no loop is running (that is why asyncio.run() works there)."),
}


def _probe() -> str:
    try:
        asyncio.get_running_loop()
        return "loop"
    except RuntimeError:
        return "error"


_SCRIPT = ("import asyncio\n" + inspect.getsource(_probe)
           + "print(_probe())\nasync def main():\n    print(_probe())\nasyncio.run(main())\n")


async def check_loop_predictions(in_a_cell: Any, script_top: Any, script_in_main: Any, in_a_thread: Any) -> Verdict:
    """Exercise 2: each answer is ``"loop"`` or ``"error"``.  Once all are filled in (not before, so as not
    to give them away), runs the four cases for real (the scripts in a fresh ``python``) and prints a table."""
    answers = dict(zip(LOOP_CASES, (in_a_cell, script_top, script_in_main, in_a_thread)))
    for name, answer in answers.items():
        if answer is ...:
            return report(False, "", f"`{name}` is still `...`. Replace it with \"loop\" or \"error\".")
    said = {name: answer.strip().lower() if isinstance(answer, str) else "" for name, answer in answers.items()}
    for name, answer in answers.items():
        if said[name] not in ("loop", "error"):
            return report(False, "", f"`{name}` is {answer!r}: answer with the string \"loop\" "
                                     "(it returns the running loop) or \"error\" (it raises RuntimeError).")
    here = _probe()  # this coroutine runs where the cell's code runs
    script = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", _SCRIPT],
                                     capture_output=True, text=True, timeout=60)
    truth = dict(zip(LOOP_CASES, [here, *(script.stdout.split() + ["?", "?"])[:2], await asyncio.to_thread(_probe)]))
    print(f"  {'where get_running_loop() is called':44}{'you said':10}really")
    for name, (where, _) in LOOP_CASES.items():
        print(f"  {where:44}{said[name]:10}{truth[name]:7}{'✔' if said[name] == truth[name] else '✘'}")
    wrong = [name for name in LOOP_CASES if said[name] != truth[name]]
    return report(not wrong, "all four right: a loop is running only in its own thread, and only while something runs it.",
                  f"{len(wrong)} of {len(LOOP_CASES)} predictions differ from what really happened. "
                  + " ".join(f"`{name}`: {LOOP_CASES[name][1]}" for name in wrong))


# -- Exercise 3: the crawl that was secretly blocking ---------------------------------------------
def _polite(run: check.Run) -> str | None:
    """Each page waits twice: the request, then the polite pause (a timer, or a thread as in
    ``await asyncio.to_thread(back_off, page)``, which keeps the loop free too; not a lock)."""
    rec = run.rec
    waits = sum(s.state == "wait" and s.reason in ("timer", "thread") and s.lane in rec.worker_lanes
                for s in rec.spans)
    if waits < 8:
        return (f"the polite pause is gone: each page should wait twice (the request, then the pause), and only "
                f"{waits} waits were recorded for 4 pages. Did an `await` go missing?")
    return None


#: Exercise 3: no blocking, the polite pause kept, the four fetches overlap.
CRAWL = dict(result=["page 1", "page 2", "page 3", "page 4"], overlap=4, checks=[_polite],
             done="the loop stayed free, every page still paused politely, and the four fetches overlapped.")
