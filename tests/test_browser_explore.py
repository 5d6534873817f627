"""explore() in a real browser: JupyterLab + Chromium (the setup of test_browser.py).

Runs notebook 01, finds the explore cell's widget, checks that the static copy
of the default run is hidden while the widget is live, then moves the ``jobs``
slider with the keyboard and, while that run is in progress, the ``wait``
slider.  Expected: the first of those runs is cancelled (its summary never
appears, the status counts it), the second is shown (new summary, new image).
"""

from __future__ import annotations

import time

import pytest

from test_browser import (CURRENT, RUN_FINISHED, RUN_TIMEOUT, browser, lab, menu, no_dialog,  # noqa: F401
                          open_notebook, page, pytestmark, shoot)

NOTEBOOK = "01_what_is_async.ipynb"
BOX = f"{CURRENT} .asynclab-explore"


def live_text(page) -> str:
    pre = page.locator(f"{BOX} .jp-OutputArea-output pre")
    return pre.first.inner_text() if pre.count() else ""


def image_src(page) -> str:
    return page.locator(f"{BOX} .jp-OutputArea-output img").first.get_attribute("src") or ""


def status(page) -> str:
    return page.locator(f"{BOX} .widget-html").nth(1).inner_text()


def press(page, slider: int, key: str) -> None:
    handle = page.locator(f"{BOX} .noUi-handle").nth(slider)
    handle.focus()
    handle.press(key)


def test_moving_a_control_reruns_cancels_and_redraws(page, lab):
    started = time.monotonic()
    open_notebook(page, lab, NOTEBOOK)
    menu(page, "Run", "Run All Cells")
    page.wait_for_function(RUN_FINISHED, polling=500, timeout=RUN_TIMEOUT)
    no_dialog(page)
    box = page.locator(BOX)
    box.wait_for()
    box.scroll_into_view_if_needed()
    page.wait_for_function(f"() => /shown/.test(document.querySelectorAll('{BOX} .widget-html')[1]?.textContent)")
    before_text, before_src = live_text(page), image_src(page)
    assert before_text.startswith("jobs=3, wait=0.3\n") and "one after another" in before_text
    # the static copy of the default (for readers without a kernel) is hidden while the widget lives
    cell = page.locator(f"{CURRENT} .jp-Cell", has=page.locator(".asynclab-explore"))
    static = cell.locator(".jp-Cell-outputArea > .jp-OutputArea-child", has_not=page.locator(".asynclab-explore"))
    assert static.count() >= 2 and not any(static.nth(i).is_visible() for i in range(static.count()))
    shoot(page, "explore-1-default")

    press(page, 0, "ArrowRight")                       # jobs 3 -> 4: a run of about 1.5 s
    page.wait_for_function(f"() => /run 2 .*running/.test(document.querySelectorAll('{BOX} .widget-html')[1]?.textContent)",
                           timeout=10_000)
    press(page, 1, "ArrowRight")                       # wait 0.30 -> 0.31 while it runs: cancel it
    seen = set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        seen.add(live_text(page).split("\n")[0])
        if "run 3" in status(page) and "shown" in status(page):
            break
        time.sleep(0.1)
    final_text, final_src = live_text(page), image_src(page)
    shoot(page, "explore-2-moved")
    assert "run 3 (jobs=4, wait=0.31): shown" in status(page), status(page)
    assert "1 cancelled so far" in status(page), status(page)
    assert "jobs=4, wait=0.3" not in seen, f"the cancelled run's summary appeared: {seen}"
    assert final_text.startswith("jobs=4, wait=0.31\n"), final_text
    assert "item(3)" in final_text                     # four jobs now, awaited in turn
    assert final_src and final_src != before_src       # the timeline was redrawn
    assert time.monotonic() - started < 90
