"""Run one corpus program plainly or under asynclab's recorder, and print what the caller sees.

    python _run.py MODULE plain|measured|bare

``plain`` runs ``asyncio.run(driver())`` where the driver does ``await main()``;
``measured`` does ``await measure("x", main())`` instead.  Everything else is the
same, so the two runs' stdout, stderr and exit code must be equal (after
``normalise``).  asynclab is imported from ``$COURSE_ASYNCLAB`` (a notebooks
directory) or from this repository's ``notebooks/``, in both modes, as in a
notebook that imports it at the top.  ``bare`` is ``plain`` without importing
asynclab at all (to see what the import alone changes).

After main() the driver prints: the return value or the exception (type,
message, traceback function names without this file's frames, cause/context,
sub-exceptions), the module's context variables, the loop's task factory, the
driver task's ``cancelling()``, the other tasks still alive (before and after a
``gc.collect()``), and whether a second run works (a second ``measure()`` in
measured mode).  Warnings are recorded and printed at the end.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import importlib
import os
import re
import sys
import traceback
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.abspath(__file__)
REPO_NOTEBOOKS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "notebooks")

# Run-to-run noise only: object addresses, ports, temporary paths, timings, process ids.
NOISE = [
    (re.compile(r"0x[0-9a-fA-F]+"), "0xADDR"),
    (re.compile(r"(127\.0\.0\.1['\"]?(?:, |:))\d+"), r"\1PORT"),
    (re.compile(r"/tmp/[^\s'\"\])>]+"), "/tmp/TMP"),
    (re.compile(r"\b\d+\.\d+ (s|sec|seconds)\b"), r"T \1"),
    (re.compile(r"\bpid=\d+"), "pid=PID"),
]


def normalise(text: str) -> str:
    for pattern, repl in NOISE:
        text = pattern.sub(repl, text)
    return text


def say(*parts: object) -> None:
    print(normalise(" ".join(str(p) for p in parts)), flush=True)


def frames(tb) -> list[str]:
    """``file:function`` of each traceback entry, without this file's frames.

    Frames that set ``__tracebackhide__`` are left out as well: IPython (what a
    learner's notebook shows) and pytest hide those.
    """
    out = []
    while tb is not None:
        frame, tb = tb.tb_frame, tb.tb_next
        if os.path.abspath(frame.f_code.co_filename) == RUNNER or frame.f_locals.get("__tracebackhide__"):
            continue
        out.append(f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_code.co_name}")
    return out


def describe(exc: BaseException, indent: str = "") -> None:
    say(f"{indent}exception: {type(exc).__module__}.{type(exc).__qualname__}: {exc}")
    say(f"{indent}  args: {exc.args!r}")
    say(f"{indent}  traceback: {frames(exc.__traceback__)}")
    for note in getattr(exc, "__notes__", ()):
        say(f"{indent}  note: {note}")
    if exc.__cause__ is not None:
        say(f"{indent}  cause:")
        describe(exc.__cause__, indent + "    ")
    elif exc.__context__ is not None and not exc.__suppress_context__:
        say(f"{indent}  context: {type(exc.__context__).__qualname__}: {exc.__context__}")
    if isinstance(exc, BaseExceptionGroup):
        for sub in exc.exceptions:
            describe(sub, indent + "    ")


def name_of(obj) -> str:
    if obj is None:
        return "None"
    return getattr(obj, "__qualname__", None) or type(obj).__qualname__


def tasks_alive(me) -> list[str]:
    return sorted(f"{t.get_name()}:{name_of(t.get_coro())}:{'done' if t.done() else 'pending'}"
                  for t in asyncio.all_tasks() if t is not me)


async def probe() -> str:
    """A second run after the first: a little gather and a named task."""
    child = asyncio.create_task(asyncio.sleep(0, "child"), name="probe-child")
    values = await asyncio.gather(child, asyncio.sleep(0.001, "sleep"))
    return f"probe ok {values}"


async def driver(module, measured: bool, measure) -> None:
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()
    sys.modules["__main__"].CALLER_TASK = me  # programs may compare current_task() with it
    say("== main ==")
    coro = module.main()
    outcome: BaseException | None = None
    try:
        if measured:
            value = (await measure("x", coro)).result
        else:
            value = await coro
    except BaseException as exc:  # noqa: B902 - the caller's view of every outcome
        outcome = exc
    say("== caller ==")
    if outcome is None:
        say(f"returned: {value!r}")
    else:
        describe(outcome)
    for name, var in sorted(vars(module).items()):
        if isinstance(var, contextvars.ContextVar):
            say(f"context var {var.name}: {var.get('<unset>')!r}")
    say(f"caller's context: {sorted(var.name for var in contextvars.copy_context())}")
    say(f"task factory: {name_of(loop.get_task_factory())}")
    say(f"caller task: {me.get_name()} cancelling={me.cancelling()} is current={asyncio.current_task() is me}")
    say(f"tasks alive: {tasks_alive(me)}")
    gc.collect()
    say(f"tasks alive after gc: {tasks_alive(me)}")
    try:
        if measured:
            again = (await measure("again", probe())).result
        else:
            again = await probe()
        say(f"second run: {again}")
    except BaseException as exc:  # noqa: B902
        say(f"second run failed: {type(exc).__qualname__}: {exc}")
    say(f"task factory after second run: {name_of(loop.get_task_factory())}")
    if outcome is not None:
        raise outcome


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[2] not in ("plain", "measured", "bare"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    name, mode = argv[1], argv[2]
    notebooks = os.path.abspath(os.environ.get("COURSE_ASYNCLAB") or REPO_NOTEBOOKS)
    sys.path.insert(0, HERE)
    sys.path.insert(0, notebooks)
    measure = None
    if mode != "bare":
        import asynclab  # imported in both modes, so that its import has the same effects
        from asynclab import measure

        if not os.path.abspath(asynclab.__file__).startswith(os.path.join(notebooks, "")):
            print(f"_run.py: asynclab came from {asynclab.__file__}, not from {notebooks}", file=sys.stderr)
            return 2

    module = importlib.import_module(name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            asyncio.run(driver(module, mode == "measured", measure))
        except SystemExit as exc:
            say(f"asyncio.run raised SystemExit({exc.code!r})")
            code: object = exc.code
        except BaseException as exc:  # noqa: B902
            say(f"asyncio.run raised {type(exc).__qualname__}: {exc}")
            code = 1
        else:
            say("asyncio.run returned")
            code = 0
        gc.collect()
    for w in caught:
        say(f"warning: {w.category.__name__}: {w.message} ({os.path.basename(w.filename)}:{w.lineno})")
    sys.stdout.flush()
    if isinstance(code, int) or code is None:
        return code or 0
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
