"""Tweak and observe: sliders that re-run a measured demo and redraw its timeline.

In a notebook cell::

    async def demo(limit, latency):
        rec = await measure(f"at most {limit} at once", download(limit, latency))
        return rec                        # or several: return seq, con, "one more line"

    await explore(demo, limit=(1, 20, 3), latency=(0.01, 0.3, 0.1))

The protocol for ``demo``
-------------------------
* ``demo`` is an ``async def`` (or any function returning an awaitable); it is
  called with one keyword argument per control: ``demo(limit=3, latency=0.1)``.
* It returns one :class:`~asynclab.recording.Recording`, or a tuple/list of
  Recordings (drawn as stacked panels, as ``show`` does) and strings (printed
  under the summaries, e.g. what a server counted).
* Whatever it starts it also ends, even when cancelled (``try``/``finally``,
  ``async with``): a control moved during a run cancels that run.  A server it
  needs is started and stopped by the demo, or made by the cell and passed in
  (a closure); threads can be waited for with :func:`in_thread`.

Controls
--------
``name=(min, max, default)`` or ``(min, max, default, step)``: a slider, of whole
numbers when all are ints, else of decimals; ``name=["a", "b"]``: buttons, the
first chosen.  Every control must be a parameter of ``demo``.

What happens
------------
``await explore(...)`` runs the default setting once and awaits it.  The cell's
output then holds, in this order:

1. the controls (a widget) with a live area below them, which shows the
   current setting's summary and timeline;
2. the *static* summary (printed) and timeline (a PNG) of the default setting,
   for readers who cannot run the notebook: on the web, in the HTML/PDF
   handouts, in the student edition before it runs.  While the widget is live
   in JupyterLab it hides these with a CSS rule, so the picture is not shown twice.

Moving a control waits ``debounce`` seconds for it to settle, cancels a run
still in progress (and waits until it has ended), then runs the demo with the
new values and replaces the live area in one step: the summary of a cancelled
run never appears.  Re-running the cell, ``explorer.close()``, or the kernel
shutting down cancels everything that instance started.

For nbval (``--nbval``, strict): the widget's output is a display whose
``application/vnd.jupyter.widget-view+json`` nbval skips (model ids are
random) and whose ``text/plain`` is a fixed description of the controls; the
static summary goes through ``tests/sanitize.cfg`` like any ``show()`` output;
the PNG is not compared.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import inspect
import math
import weakref
from typing import Any, Awaitable, Callable

from .recording import Recording, seconds

__all__ = ["ExploreError", "Explorer", "close_all", "explore", "in_thread"]

#: Seconds a control must rest before the demo re-runs.
DEBOUNCE = 0.3

_LIVE: dict[str, "Explorer"] = {}   # demo's name -> the explorer showing it now
_ALL: "weakref.WeakSet[Explorer]" = weakref.WeakSet()

# Shown while the widget is live: hide the static copy (the outputs after the
# widget in the same cell).  Only a rendered widget carries the rule, so readers
# without a kernel see the static copy.
_HIDE_STATIC = ("<style>.jp-OutputArea-child:has(.asynclab-explore) ~ .jp-OutputArea-child"
                "{display:none}</style>")


class ExploreError(TypeError, ValueError):
    """explore() was called in a way it cannot work (bad control, demo, result)."""


# --------------------------------------------------------------------------
# Controls
# --------------------------------------------------------------------------
def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _nice_step(lo: float, hi: float) -> float:
    """A round step giving 10 to 100 positions between lo and hi."""
    return 10 ** math.floor(math.log10((hi - lo) / 10))


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9))


class _Control:
    """One control's spec, checked, and the widget made from it."""

    def __init__(self, name: str, spec: Any) -> None:
        self.name = name
        if isinstance(spec, list):
            if not spec or not all(isinstance(c, (str, int, float)) and not isinstance(c, bool) for c in spec) \
                    or len(set(spec)) != len(spec):
                raise ExploreError(f"{name}: a list of choices must hold distinct strings or numbers, got {spec!r}")
            self.kind, self.choices, self.default = "choice", list(spec), spec[0]
            return
        if not isinstance(spec, tuple) or len(spec) not in (3, 4) or not all(_is_number(x) for x in spec):
            raise ExploreError(
                f"{name}: give a slider as (min, max, default) or (min, max, default, step) of numbers, "
                f"or choices as a list, not {spec!r}")
        lo, hi, default = spec[:3]
        if not lo < hi:
            raise ExploreError(f"{name}: min must be less than max, got min={lo!r}, max={hi!r}")
        if not lo <= default <= hi:
            raise ExploreError(f"{name}: the default {default!r} is outside {lo!r}…{hi!r}")
        whole = all(isinstance(x, int) for x in spec)
        step = spec[3] if len(spec) == 4 else (1 if whole else _nice_step(lo, hi))
        if not step > 0 or step > hi - lo:
            raise ExploreError(f"{name}: the step must be > 0 and at most max - min, got {step!r}")
        self.kind = "int" if whole else "float"
        self.lo, self.hi, self.default, self.step = lo, hi, default, step

    def widget(self) -> Any:
        import ipywidgets as w

        style = {"description_width": "initial"}
        if self.kind == "choice":
            return w.ToggleButtons(options=self.choices, value=self.default, description=self.name, style=style)
        if self.kind == "int":
            return w.IntSlider(min=self.lo, max=self.hi, step=self.step, value=self.default,
                               description=self.name, continuous_update=False, style=style)
        digits = _decimals(self.step)
        return w.FloatSlider(min=self.lo, max=self.hi, step=self.step, value=self.default, description=self.name,
                             continuous_update=False, readout_format=f".{digits}f", style=style)

    def value(self, raw: Any) -> Any:
        if self.kind == "float":
            return round(float(raw), _decimals(self.step))
        return raw

    def describe(self) -> str:
        if self.kind == "choice":
            return f"{self.name} ({' / '.join(map(str, self.choices))})"
        return f"{self.name} {self.lo:g}–{self.hi:g}"


def _setting(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())


def _check_demo(demo: Any, names: list[str]) -> None:
    if inspect.iscoroutine(demo):
        demo.close()
        raise ExploreError("explore() takes the demo function itself, not a call of it: "
                           "write explore(demo, ...), not explore(demo(...), ...)")
    if not callable(demo):
        raise ExploreError(f"explore() needs an async def function as its demo, got {type(demo).__name__}")
    try:
        params = inspect.signature(demo).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    keywords = {n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    unknown = [n for n in names if n not in keywords and not takes_any]
    if unknown:
        raise ExploreError(f"{demo.__name__}() has no parameter {', '.join(map(repr, unknown))}; "
                           f"its parameters are: {', '.join(params) or 'none'}")
    missing = [n for n, p in params.items() if p.default is p.empty and n not in names
               and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if missing:
        raise ExploreError(f"{demo.__name__}() needs {', '.join(map(repr, missing))}: give each a control "
                           f"(e.g. {missing[0]}=(1, 10, 3)) or a default value in the def")


def _parse(result: Any, demo_name: str) -> tuple[list[Recording], list[str]]:
    items = list(result) if isinstance(result, (tuple, list)) else [result]
    recs = [r for r in items if isinstance(r, Recording)]
    lines = [r for r in items if isinstance(r, str)]
    wrong = [r for r in items if not isinstance(r, (Recording, str))]
    if wrong or not recs:
        what = type(wrong[0]).__name__ if wrong else "no Recording"
        raise ExploreError(f"{demo_name}() must return a Recording (from `await measure(...)`), or a tuple of "
                           f"Recordings and strings; it returned {what}")
    return recs, lines


def _summary_lines(recs: list[Recording]) -> list[str]:
    from .timeline import summary

    lines = [summary(r) for r in recs]
    base = recs[0]
    for rec in recs[1:]:
        if rec.total_wall > 0 and base.total_wall > 0:
            lines.append(f"{rec.title} took {rec.total_wall / base.total_wall:.0%} of the time of {base.title}: "
                         f"speed-up {base.total_wall / rec.total_wall:.1f}×")
    return lines


def _png(recs: list[Recording]) -> str:
    """The timeline of ``recs`` as base64 PNG, drawn and closed (never left to pyplot)."""
    import matplotlib.pyplot as plt
    from IPython.core.pylabtools import print_figure

    from .timeline import draw

    fig = draw(*recs)
    try:
        data = print_figure(fig, "png", bbox_inches="tight")
    finally:
        plt.close(fig)
    return base64.b64encode(data).decode("ascii")


# --------------------------------------------------------------------------
# The explorer
# --------------------------------------------------------------------------
class Explorer:
    """Controls + live timeline + summary for one demo; made by :func:`explore`.

    Counters, for tests and the curious: ``started``, ``cancelled``,
    ``shown`` (runs whose result reached the live area), ``failed``.
    """

    def __init__(self, demo: Callable[..., Awaitable[Any]], controls: dict[str, _Control],
                 debounce: float = DEBOUNCE) -> None:
        import ipywidgets as w

        self.demo, self.controls, self.debounce = demo, controls, debounce
        self.name = getattr(demo, "__qualname__", repr(demo))
        self.started = self.cancelled = self.shown = self.failed = 0
        self.last_text = ""
        self.closed = False
        self._tasks: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.widgets = {name: c.widget() for name, c in controls.items()}
        self.status = w.HTML(value="")
        self.output = w.Output()
        self.box = w.VBox([w.HTML(value=_HIDE_STATIC), *self.widgets.values(), self.status, self.output])
        self.box.add_class("asynclab-explore")

    # -- values ----------------------------------------------------------------
    @property
    def values(self) -> dict[str, Any]:
        return {n: self.controls[n].value(wd.value) for n, wd in self.widgets.items()}

    def set(self, **values: Any) -> None:
        """Move controls from code, as a learner would with the mouse."""
        unknown = [n for n in values if n not in self.widgets]
        if unknown:
            raise ExploreError(f"no control called {', '.join(map(repr, unknown))}; "
                               f"the controls are: {', '.join(self.widgets)}")
        for name, value in values.items():
            self.widgets[name].value = value

    def describe(self) -> str:
        """The fixed text shown where the widget cannot be (nbval compares it)."""
        return (f"[controls: {', '.join(c.describe() for c in self.controls.values())}; "
                "run the notebook in JupyterLab to move them]")

    # -- running -----------------------------------------------------------------
    async def _run(self, values: dict[str, Any]) -> tuple[list[Recording], list[str]]:
        try:
            pending = self.demo(**values)
        except TypeError as exc:
            raise ExploreError(f"calling {self.name}(**{values!r}) failed: {exc}") from exc
        if not inspect.isawaitable(pending):
            raise ExploreError(f"{self.name}() returned {type(pending).__name__}, not a coroutine: "
                               f"make it an `async def` (a demo awaits measure(...))")
        return _parse(await pending, self.name)

    def _render(self, values: dict[str, Any], recs: list[Recording], extra: list[str]) -> tuple[str, str]:
        text = f"{_setting(values)}\n" + "\n".join(_summary_lines(recs) + extra) + "\n"
        return text, _png(recs)

    def _show_live(self, text: str, png: str) -> None:
        self.last_text = text
        self.output.outputs = (
            {"output_type": "stream", "name": "stdout", "text": text},
            {"output_type": "display_data", "data": {"image/png": png, "text/plain": "[timeline]"}, "metadata": {}},
        )

    def _say(self, html: str) -> None:
        self.status.value = f"<span style='font-size:90%;color:#555'>{html}</span>"

    async def first_run(self) -> None:
        from IPython.display import display

        self._loop = asyncio.get_running_loop()
        bundle = self.box._repr_mimebundle_()
        bundle["text/plain"] = self.describe()
        values = self.values
        self.started += 1
        self._say(f"run 1 ({_setting(values)}): running…")
        display(bundle, raw=True)
        recs, extra = await self._run(values)
        text, png = self._render(values, recs, extra)
        print(text, end="")
        display({"image/png": png, "text/plain": "[timeline of the default setting]"}, raw=True)
        self._show_live(text, png)
        self.shown += 1
        self._say(self._done_text(1, values, recs))
        for wd in self.widgets.values():
            wd.observe(self._changed, names="value")

    def _done_text(self, n: int, values: dict[str, Any], recs: list[Recording]) -> str:
        return (f"run {n} ({_setting(values)}): shown, {seconds(sum(r.total_wall for r in recs))} measured"
                f" · {self.cancelled} cancelled so far · move a control to re-run")

    def _changed(self, change: Any = None) -> None:
        if self.closed or self._loop is None or self._loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._restart()
        else:  # a callback from another thread
            self._loop.call_soon_threadsafe(self._restart)

    def _restart(self) -> None:
        if self.closed:
            return
        earlier = set(self._tasks)
        for task in earlier:
            task.cancel()
        task = self._loop.create_task(self._later(earlier), name=f"explore {self.name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _later(self, earlier: set[asyncio.Task]) -> None:
        if earlier:  # a run that is being cancelled ends (its finally blocks) before the next starts
            await asyncio.wait(earlier)
        await asyncio.sleep(self.debounce)
        values = self.values
        self.started += 1
        n = self.started
        self._say(f"run {n} ({_setting(values)}): running…")
        try:
            recs, extra = await self._run(values)
            text, png = self._render(values, recs, extra)
        except asyncio.CancelledError:
            self.cancelled += 1
            self._say(f"run {n} ({_setting(values)}): cancelled, a control moved")
            raise
        except Exception as exc:  # shown, not raised: nobody awaits this task
            self.failed += 1
            self._say(f"run {n} ({_setting(values)}): failed")
            self.output.outputs = ({"output_type": "stream", "name": "stderr",
                                    "text": f"{_setting(values)}\n{type(exc).__name__}: {exc}\n"},)
            return
        self._show_live(text, png)
        self.shown += 1
        self._say(self._done_text(n, values, recs))

    async def wait(self) -> None:
        """Wait until the runs started by moving controls have ended."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    # -- ending --------------------------------------------------------------------
    def close(self) -> int:
        """Cancel every run this explorer started and close its widgets; returns how many were cancelled."""
        self.closed = True
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        for wd in self.widgets.values():
            wd.unobserve_all()
        if _LIVE.get(self.name) is self:
            del _LIVE[self.name]
        try:
            self.box.close()
            for wd in (*self.widgets.values(), self.status, self.output):
                wd.close()
        except Exception:  # pragma: no cover - the kernel is going away
            pass
        return len(tasks)

    async def aclose(self) -> None:
        """close(), then wait until the cancelled runs have ended."""
        tasks = set(self._tasks)
        self.close()
        if tasks:
            await asyncio.wait(tasks)

    def _ipython_display_(self) -> None:
        """Already on screen: ``await explore(...)`` as a cell's last line shows nothing more."""

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self._tasks)} run(s) pending"
        return (f"<Explorer {self.name}: {', '.join(self.widgets)}; {self.started} started, "
                f"{self.cancelled} cancelled, {self.shown} shown; {state}>")


async def explore(demo: Callable[..., Awaitable[Any]], *, debounce: float = DEBOUNCE, **controls: Any) -> Explorer:
    """Show controls for ``demo``'s parameters, run the default once, re-run on every change.

    ``controls`` map parameter names to ``(min, max, default[, step])`` (a
    slider) or to a list of choices (buttons, the first chosen).  Returns the
    :class:`Explorer` (``.set(...)``, ``.close()``, counters).  Raises
    :class:`ExploreError` for a control that is not a parameter of ``demo``, a
    bad range, a demo that is not async, or a result that is not Recordings;
    an exception of the default run propagates unchanged.
    """
    if not controls:
        raise ExploreError("explore() needs at least one control, e.g. explore(demo, limit=(1, 10, 3))")
    if not isinstance(debounce, (int, float)) or not 0 <= debounce < 10:
        raise ExploreError(f"debounce must be a number of seconds from 0 to 10, got {debounce!r}")
    _check_demo(demo, list(controls))
    specs = {name: _Control(name, spec) for name, spec in controls.items()}
    explorer = Explorer(demo, specs, debounce)
    old = _LIVE.get(explorer.name)
    if old is not None:  # the cell runs again: the old controls stop working
        await old.aclose()
    _LIVE[explorer.name] = explorer
    _ALL.add(explorer)
    try:
        await explorer.first_run()
    except BaseException:
        explorer.close()
        raise
    return explorer


async def in_thread(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """``await asyncio.to_thread(func, ...)``, except that when cancelled it first
    waits for ``func`` to return (a thread cannot be stopped), then re-raises.

    A demo that runs a thread or process pool uses it so that a cancelled run
    never leaves work behind to disturb the next one's timeline.
    """
    future = asyncio.ensure_future(asyncio.to_thread(func, *args, **kwargs))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        while not future.done():
            try:
                await asyncio.wait({future})
            except asyncio.CancelledError:  # cancelled again: the thread still has to end
                continue
        if not future.cancelled():
            future.exception()  # retrieved: the cancellation is what the caller hears about
        raise


def close_all() -> int:
    """Close every explorer of this kernel (also run when the kernel exits)."""
    return sum(e.close() for e in list(_ALL) if not e.closed)


atexit.register(close_all)
