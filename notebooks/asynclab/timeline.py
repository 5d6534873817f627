"""Draw recordings as timelines, and say in one line what each shows.

``rec = await measure("gather", main())`` records a run (see
:mod:`asynclab.recorder`); ``show(rec1, rec2)`` prints one summary line per
recording and draws them as stacked panels on one time axis:

* one lane per task (the measured coroutine's own lane in grey on top); a
  task that awaited several coroutines one after another gets one row per
  coroutine, under it;
* solid = running Python code, hatched = waiting, with the pattern saying what
  for: ``///`` I/O or a timer, ``...`` a lock, semaphore, queue or event,
  ``\\\\`` another task, ``---`` a wait nobody said the reason for (hand-made
  lanes of threads and processes); vermilion cross-hatch = a step that blocked the loop;
* how each task ended: ✕ raised (with the exception's name), ■ cancelled,
  ▶ still running when the measured coroutine returned (the dotted line);
  expired ``asyncio.timeout`` deadlines as a dash-dot line;
* above :data:`MAX_LANES` rows, a concurrency profile over time instead of
  lanes: how many tasks were running, waiting for I/O or a timer, queueing for
  a lock or semaphore, waiting for other tasks.

The same job keeps its colour and its row order in every panel of a figure.
"""

from __future__ import annotations

import math
import os
from typing import Any, Sequence

from .recorder import measure
from .recording import (BLOCKING_THRESHOLD, SYNC_REASONS, WAIT_REASONS, LaneInfo, Recording, Span,
                        merge, seconds)

__all__ = [
    "BLOCKING_THRESHOLD",
    "LaneInfo",
    "Recording",
    "Span",
    "draw",
    "measure",
    "merge",
    "profile",
    "seconds",
    "show",
    "summary",
]

#: Above this many rows a panel shows a concurrency profile instead of lanes.
MAX_LANES = 30

# Okabe–Ito palette: distinguishable with the common colour-vision deficiencies.
LANE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442"]  # black is the legend's
BLOCKED_COLOUR = "#D55E00"
ROOT_COLOUR = "#888888"
LEGEND_COLOUR = "#333333"

#: What a wait is for -> (group, hatch, legend text)
WAIT_GROUPS = {
    "plain": ("---", "waiting (not running)"),
    "world": ("///", "waiting: I/O or a timer"),
    "sync": ("...", "waiting: lock, semaphore, queue or event"),
    "task": ("\\\\\\", "waiting for another task"),
}


def wait_group(reason: str | None) -> str:
    if reason is None:  # a hand-made recording (threads, processes): nobody said what for
        return "plain"
    if reason in SYNC_REASONS:
        return "sync"
    if reason == "task":
        return "task"
    return "world"


# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------
def _names(lanes: Sequence[str]) -> str:
    return ", ".join(lanes)


def _outcomes(rec: Recording) -> list[str]:
    """'b raised ValueError at 0.10 s', 'a, c cancelled', '2 still running at the return'."""
    parts: list[str] = []
    workers = [lane for lane in rec.lanes if lane != rec.root_lane and rec.info.get(lane, LaneInfo(lane)).kind == "task"]
    raised = [lane for lane in workers if rec.outcome(lane) == "raised"]
    for lane in raised:
        info = rec.info[lane]
        kind = (info.error or "an error").split(":")[0]
        when = f" at {seconds(info.ended)}" if info.ended is not None else ""
        parts.append(f"{lane} raised {kind}{when}")
    cancelled = [lane for lane in workers if rec.outcome(lane) == "cancelled"]
    if cancelled:
        parts.append(f"{_names(cancelled)} cancelled" if len(cancelled) <= 4 else f"{len(cancelled)} cancelled")
    running = [lane for lane in workers if rec.outcome(lane) == "running"]
    if running:
        who = _names(running) if len(running) <= 3 else f"{len(running)} tasks"
        parts.append(f"{who} still running at the return")
    destroyed = [lane for lane in workers if rec.outcome(lane) == "destroyed"]
    if destroyed:
        parts.append(f"{_names(destroyed)} destroyed while pending")
    root = rec.info.get(rec.root_lane or "")
    if root is not None and root.outcome in ("raised", "cancelled"):
        what = (root.error or "an error").split(":")[0] if root.outcome == "raised" else "cancellation"
        parts.append(f"{rec.root_lane} ended with {what}")
    if rec.deadlines:
        when = ", ".join(seconds(t) for t, _ in rec.deadlines[:3])
        parts.append(f"deadline expired at {when}")
    return parts


def summary(rec: Recording) -> str:
    """One line that says what the panel shows, for readers who cannot see it."""
    if not isinstance(rec, Recording):
        raise TypeError(f"summary() takes a Recording, got {type(rec).__name__}")
    rec.refresh()
    rec.check_drawable()
    workers = [lane for lane in rec.lanes if lane != rec.root_lane]
    tasks = [lane for lane in workers if rec.info.get(lane, LaneInfo(lane)).kind == "task"]
    if rec.on_loop and rec.root_lane in rec.lanes:
        if tasks:
            head = f"{rec.title}: {len(tasks)} task{'s' if len(tasks) != 1 else ''} + {rec.root_lane}"
        else:
            inner = rec.jobs if rec.jobs != rec.lanes else []
            head = f"{rec.title}: {rec.root_lane} alone"
            if inner:
                shown = _names(inner) if len(inner) <= 4 else f"{len(inner)} coroutines"
                head += f" (awaiting {shown} in turn)"
    else:
        lanes = rec.worker_lanes
        head = f"{rec.title}: {len(lanes)} lane{'s' if len(lanes) != 1 else ''}"
    parts = [head, f"wall {seconds(rec.total_wall)}"]
    in_flight = rec.max_overlap()
    queued = rec.on_loop and any(s.reason in SYNC_REASONS for s in rec.spans)
    active = max(rec.max_overlap("wait", exclude=SYNC_REASONS), 1) if queued else in_flight
    if in_flight <= 1:
        parts.append("one at a time")
    elif active < in_flight:
        parts.append(f"up to {active} at once ({in_flight} started, the rest queued)")
    else:
        parts.append(f"up to {in_flight} at once")
    waits = rec.waits_for() if rec.on_loop else {}
    reasons = [WAIT_REASONS[r] for r in WAIT_REASONS if r in waits and r != "yield"]
    if reasons:
        parts.append("waiting for " + " and ".join(reasons) if len(reasons) <= 2
                     else "waiting for " + ", ".join(reasons[:-1]) + " and " + reasons[-1])
    blocked = rec.blocking_spans()
    if blocked:
        times = "once" if len(blocked) == 1 else f"{len(blocked)} times"
        first = min(blocked, key=lambda s: (s.start, s.lane))
        by = first.where or first.label
        parts.append(f"loop blocked {times}, {seconds(sum(s.duration for s in blocked))} in all, first by {by}")
    parts += _outcomes(rec)
    left = sum(rec.left_out.values())
    if left:
        parts.append(f"{left} library task{'s' if left != 1 else ''} not drawn ({', '.join(sorted(rec.left_out))})")
    return ", ".join(parts)


def _check_recordings(recordings: Sequence[Any], who: str) -> list[Recording]:
    import inspect

    if not recordings:
        raise ValueError(f"{who}() needs at least one Recording (from `await measure(...)`), got none")
    out = []
    for r in recordings:
        if inspect.iscoroutine(r):
            r.close()
            raise TypeError(f"{who}() got a coroutine, not a Recording: did you forget `await` before measure(...)?")
        if not isinstance(r, Recording):
            raise TypeError(f"{who}() takes Recording objects from measure(); got {type(r).__name__}")
        r.refresh()
        r.check_drawable()
        out.append(r)
    return out


# --------------------------------------------------------------------------
# Profile: what many tasks were doing over time
# --------------------------------------------------------------------------
PROFILE_STATES = ("running", "blocked", "world", "sync", "task")
PROFILE_LABELS = {
    "running": "running", "blocked": "blocking the loop", "world": "waiting: I/O or a timer",
    "sync": "waiting: lock, semaphore, queue or event", "task": "waiting for another task",
}


def profile(rec: Recording, *, bins: int = 300) -> tuple[list[float], dict[str, list[float]]]:
    """How many tasks were in each state over time: (bin starts, average count per state).

    The count in a bin is the time the worker lanes spent in that state inside
    the bin divided by its width, so a state's counts times the bin width add
    up to the seconds the recording holds in that state (a test checks it)."""
    import numpy as np

    end = max(rec.total_wall, max((s.end for s in rec.spans), default=0.0), 1e-9)
    edges = np.linspace(0.0, end, bins + 1)
    width = edges[1] - edges[0]
    lanes = set(rec.worker_lanes)
    by_state: dict[str, list[tuple[float, float]]] = {state: [] for state in PROFILE_STATES}
    for s in rec.spans:
        if s.lane not in lanes or s.end <= s.start:
            continue
        if s.state == "run":
            state = "blocked" if rec.on_loop and s.blocks() else "running"
        else:
            state = wait_group(s.reason)
            state = "world" if state == "plain" else state
        by_state[state].append((s.start, s.end))
    counts: dict[str, list[float]] = {}
    for state, pairs in by_state.items():
        if not pairs:
            counts[state] = [0.0] * bins
            continue
        starts = np.sort(np.array([a for a, _ in pairs]))
        ends = np.sort(np.array([b for _, b in pairs]))
        prefix_s = np.concatenate(([0.0], np.cumsum(starts)))
        prefix_e = np.concatenate(([0.0], np.cumsum(ends)))
        n_s = np.searchsorted(starts, edges, side="right")
        n_e = np.searchsorted(ends, edges, side="right")
        # seconds covered by this state's spans up to each edge
        covered = (edges * n_s - prefix_s[n_s]) - (edges * n_e - prefix_e[n_e])
        counts[state] = list(np.diff(covered) / width)
    return list(edges[:-1]), counts


# --------------------------------------------------------------------------
# Pictures
# --------------------------------------------------------------------------
def _colours(recs: Sequence[Recording]) -> dict[str, str]:
    """The same label gets the same colour in every panel."""
    out: dict[str, str] = {}
    for rec in recs:
        for lane, label in rec.rows():
            if label == rec.root_lane or label in out:
                continue
            out[label] = LANE_COLOURS[len(out) % len(LANE_COLOURS)]
    return out


def _ordered_rows(rec: Recording, order: dict[str, int]) -> list[tuple[str, str]]:
    rows = rec.rows()
    root = [r for r in rows if r[1] == rec.root_lane and r[0] == rec.root_lane and rec.root_lane is not None]
    others = [r for r in rows if r not in root]
    if len(root) and len(rows) > 1:
        others.sort(key=lambda r: order.get(r[1], len(order)))
        return root + others
    return sorted(rows, key=lambda r: order.get(r[1], len(order)))


def draw(*recordings: Recording, min_width: float = 0.004, window: tuple[float, float] | None = None):
    """Draw recordings as stacked panels on a shared time axis; return the Figure.

    ``window=(start, end)`` (seconds) shows only that stretch of time, so
    detail of a few milliseconds becomes visible.  Run spans narrower than
    ``min_width`` of the axis are widened to stay visible.
    """
    recs = _check_recordings(recordings, "draw")
    if window is not None:
        if (not isinstance(window, (tuple, list)) or len(window) != 2
                or not all(isinstance(x, (int, float)) and math.isfinite(x) for x in window)
                or not window[0] < window[1]):
            raise ValueError(f"window must be (start, end) in seconds with start < end, got {window!r}")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    colours = _colours(recs)
    order = {label: i for i, label in enumerate(colours)}
    latest = max(max(r.total_wall, max((s.end for s in r.spans), default=0.0)) for r in recs)
    longest = max(latest, 0.1)  # at least a tenth of a second, so a near-instant run reads as such
    lo, hi = (0.0, longest * 1.03) if window is None else (float(window[0]), float(window[1]))
    panels = []
    for rec in recs:
        rows = _ordered_rows(rec, order)
        panels.append((rec, rows, len(rows) > MAX_LANES))
    heights = [(6.0 if big else max(len(rows), 1)) + 1.2 for _, rows, big in panels]
    row_inches = 0.45 if sum(heights) * 0.45 < 20 else 20 / sum(heights)
    fig, axes = plt.subplots(
        len(recs), 1, sharex=True, squeeze=False,
        figsize=(9, row_inches * sum(heights) + 0.9),
        gridspec_kw={"height_ratios": heights},
    )
    axis_min = (hi - lo) * min_width
    used_waits: set[str] = set()
    used = {"run": False, "blocked": False, "root": False, "raised": False, "cancelled": False,
            "running": False, "deadline": False}
    for ax, (rec, rows, big) in zip(axes[:, 0], panels):
        if big:
            _draw_profile(ax, rec)
            used_waits.update(wait_group(s.reason) for s in rec.spans if s.state == "wait")
            used["blocked"] |= bool(rec.blocking_spans())
        else:
            _draw_lanes(ax, rec, rows, colours, axis_min, used, used_waits)
        title = f"{rec.title} — total {seconds(rec.total_wall)}"
        if big:
            title += f" ({len(rec.worker_lanes)} tasks: how many were in each state)"
        ax.set_title(title, loc="left", fontsize=11)
        ax.axvline(rec.total_wall, color="grey", linestyle=":", linewidth=1)
        for when, _lane in rec.deadlines:
            ax.axvline(when, color="black", linestyle="-.", linewidth=1.2)
            used["deadline"] = True
        ax.grid(axis="x", alpha=0.3)
    last = axes[-1, 0]
    last.set_xlim(lo, hi)
    last.set_xlabel("seconds since start" if window is None else f"seconds since start (window {lo:.3f}–{hi:.3f} s)")
    handles = []
    if used["run"]:
        handles.append(Patch(facecolor=LEGEND_COLOUR, edgecolor=LEGEND_COLOUR, label="running Python code"))
    for group in ("plain", "world", "sync", "task"):
        if group in used_waits:
            hatch, text = WAIT_GROUPS[group]
            handles.append(Patch(facecolor="white", edgecolor=LEGEND_COLOUR, hatch=hatch, label=text))
    if used["root"]:
        handles.append(Patch(facecolor=ROOT_COLOUR, edgecolor=ROOT_COLOUR,
                             label="grey: the measured coroutine"))
    if used["blocked"]:
        handles.append(Patch(facecolor=BLOCKED_COLOUR, edgecolor="black", hatch="xx",
                             label=f"blocked the loop (> {BLOCKING_THRESHOLD * 1000:.0f} ms)"))
    if used["raised"]:
        handles.append(Line2D([], [], color=BLOCKED_COLOUR, marker="X", linestyle="", markersize=9,
                              markeredgecolor="black", label="raised an exception"))
    if used["cancelled"]:
        handles.append(Line2D([], [], color="black", marker="s", linestyle="", markersize=7, label="cancelled"))
    if used["running"]:
        handles.append(Line2D([], [], color="black", marker=">", linestyle="", markersize=8,
                              label="still running when the measured code returned (dotted line)"))
    if used["deadline"]:
        handles.append(Line2D([], [], color="black", linestyle="-.", label="timeout deadline"))
    if handles:
        columns = len(handles) if len(handles) <= 3 else 2
        rows_needed = math.ceil(len(handles) / columns)
        fig.legend(handles=handles, loc="upper center", ncol=columns, frameon=False,
                   bbox_to_anchor=(0.5, 1.0), fontsize=9)
        top = 1 - (0.15 + 0.25 * rows_needed) / fig.get_figheight()
    else:
        top = 1.0
    fig.tight_layout(rect=(0, 0, 1, top))  # room for the legend
    return fig


def _draw_lanes(ax: Any, rec: Recording, rows: list[tuple[str, str]], colours: dict[str, str],
                axis_min: float, used: dict[str, bool], used_waits: set[str]) -> None:
    index = {row: i for i, row in enumerate(rows)}
    labels = []
    for lane, label in rows:
        if lane == rec.root_lane and label != lane:
            labels.append(f"  ↳ {label}")
        else:
            labels.append(label)
    for s in rec.spans:
        row = index.get((s.lane, s.label)) if (s.lane, s.label) in index else index.get((s.lane, s.lane))
        if row is None:
            continue
        is_root = s.lane == rec.root_lane and s.label == s.lane and len(rows) > 1
        colour = ROOT_COLOUR if is_root else colours.get(s.label, LANE_COLOURS[row % len(LANE_COLOURS)])
        if s.state == "wait":
            group = wait_group(s.reason)
            used_waits.add(group)
            used["root"] |= is_root
            ax.barh(row, s.duration, left=s.start, height=0.6, color="white",
                    edgecolor=colour, hatch=WAIT_GROUPS[group][0], linewidth=0.8)
    for s in rec.spans:
        if s.state != "run":
            continue
        row = index.get((s.lane, s.label)) if (s.lane, s.label) in index else index.get((s.lane, s.lane))
        if row is None:
            continue
        is_root = s.lane == rec.root_lane and s.label == s.lane and len(rows) > 1
        colour = ROOT_COLOUR if is_root else colours.get(s.label, LANE_COLOURS[row % len(LANE_COLOURS)])
        blocked = rec.on_loop and s.blocks()
        used["blocked"] |= blocked
        used["run"] = True
        ax.barh(row, max(s.duration, axis_min), left=s.start, height=0.6,
                color=BLOCKED_COLOUR if blocked else colour,
                hatch="xx" if blocked else None, edgecolor="black" if blocked else colour,
                linewidth=0.6)
    for lane, label in rows:
        if label != lane:
            continue
        info = rec.info.get(lane)
        if info is None or lane == rec.root_lane and info.outcome == "returned":
            continue
        row = index[(lane, label)]
        spans = rec.spans_of(lane)
        end = info.ended if info.ended is not None else (max(s.end for s in spans) if spans else rec.total_wall)
        if info.outcome == "raised":
            ax.plot([end], [row], marker="X", color=BLOCKED_COLOUR, markeredgecolor="black", markersize=10,
                    linestyle="", zorder=5)
            ax.annotate((info.error or "error").split(":")[0], (end, row), xytext=(6, -3),
                        textcoords="offset points", fontsize=8, va="center")
            used["raised"] = True
        elif info.outcome == "cancelled" or info.later == "cancelled":
            ax.plot([end], [row], marker="s", color="black", markersize=7, linestyle="", zorder=5)
            used["cancelled"] = True
        if info.outcome in ("running", "destroyed"):
            ax.plot([rec.total_wall], [row], marker=">", color="black", markersize=8, linestyle="", zorder=5)
            used["running"] = True
    ax.set_yticks(range(len(rows)), labels)
    ax.set_ylim(len(rows) - 0.4, -0.6)


def _draw_profile(ax: Any, rec: Recording) -> None:
    edges, counts = profile(rec)
    width = edges[1] - edges[0] if len(edges) > 1 else 1.0
    xs = [e + width / 2 for e in edges]
    total = len(rec.worker_lanes)
    styles = {
        "running": dict(color=LEGEND_COLOUR),
        "blocked": dict(color=BLOCKED_COLOUR, hatch="xx", edgecolor="black"),
        "world": dict(color="white", edgecolor=LANE_COLOURS[0], hatch="///"),
        "sync": dict(color="white", edgecolor=LANE_COLOURS[1], hatch="..."),
        "task": dict(color="white", edgecolor=LANE_COLOURS[2], hatch="\\\\\\"),
    }
    bottom = [0] * len(xs)
    for state in PROFILE_STATES:
        values = counts[state]
        if not any(values):
            continue
        ax.bar(xs, values, width=width, bottom=bottom, linewidth=0, label=PROFILE_LABELS[state], **styles[state])
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_ylabel(f"tasks (of {total})")
    ax.set_ylim(0, max(max(bottom, default=1), 1) * 1.1)
    ax.legend(loc="upper right", fontsize=8, frameon=False)


def show(*recordings: Recording, save: str | os.PathLike | None = None, compare: bool = True,
         window: tuple[float, float] | None = None) -> None:
    """Print one summary line per panel, then draw and display the figure.

    With two or more recordings (and ``compare=True``), also prints each one's
    time relative to the first.  Pass ``compare=False`` when a shorter run is
    not a faster one (it gave up, or did less).  ``save`` writes a PNG too;
    ``window=(start, end)`` zooms into a stretch of time.
    """
    recs = _check_recordings(recordings, "show")
    import matplotlib.pyplot as plt

    for rec in recs:
        print(summary(rec))
    if compare and len(recs) > 1:
        base = recs[0]
        for rec in recs[1:]:
            if rec.total_wall > 0 and base.total_wall > 0:
                # one wording whichever is faster, so the text is the same on every run
                print(f"{rec.title} took {rec.total_wall / base.total_wall:.0%} of the time of {base.title}: "
                      f"speed-up {base.total_wall / rec.total_wall:.1f}×")
    fig = draw(*recs, window=window)
    if save is not None:
        fig.savefig(save, dpi=110)
    plt.show()
