"""The exercise checks of notebook 05: a right answer passes, and each typical
wrong answer gets its own plain-words message (and never a traceback)."""

from __future__ import annotations

import asyncio
import time
import warnings

import pytest

from asynclab import measure
from asynclab.exercises import nb05
from asynclab.tinyloop import Sleep

NOT_YET = "❌ Not yet:"


def last_line(capsys) -> str:
    return capsys.readouterr().out.strip().splitlines()[-1]


# --- Exercise 1: the kettle and the toaster -------------------------------------------

def toaster():
    print("toaster: bread in")
    yield Sleep(0.25)
    print("toaster: toast up")
    return "toast"


def kettle_right():
    print("kettle: filling")
    yield Sleep(0.1)
    print("kettle: heating")
    yield Sleep(0.3)
    print("kettle: boiled")
    return "hot water"


def kettle_blank():
    print("kettle: filling")
    yield Sleep(0.1)
    print("kettle: heating")
    ...
    print("kettle: boiled")
    return "hot water"


def kettle_sleep_without_yield():
    print("kettle: filling")
    yield Sleep(0.1)
    print("kettle: heating")
    Sleep(0.3)  # makes a request but never hands it to the loop
    print("kettle: boiled")


def kettle_time_sleep():
    print("kettle: filling")
    yield Sleep(0.1)
    print("kettle: heating")
    time.sleep(0.3)
    print("kettle: boiled")


def kettle_bare_yield():
    print("kettle: filling")
    yield Sleep(0.1)
    print("kettle: heating")
    yield
    print("kettle: boiled")


def kettle_wrong_time():
    print("kettle: filling")
    yield Sleep(0.1)
    print("kettle: heating")
    yield Sleep(0.2)
    print("kettle: boiled")


def kettle_number():
    print("kettle: filling")
    yield Sleep(0.1)
    print("kettle: heating")
    yield 0.3
    print("kettle: boiled")


def kettle_plain():
    print("kettle: filling")
    time.sleep(0.01)
    return "hot water"


async def kettle_async():
    print("kettle: filling")


def kettle_other_words():
    print("kettle: filling")
    yield Sleep(0.1)
    print("kettle: warming up")
    yield Sleep(0.3)
    print("kettle: boiled")


def kettle_crashes():
    print("kettle: filling")
    yield Sleep(0.1)
    raise KeyError("water")


def test_breakfast_right_answer_passes_and_shows_the_order(capsys):
    verdict = nb05.check_breakfast(kettle_right, toaster)
    out = capsys.readouterr().out
    assert verdict.ok
    printed = [line.split("  ")[-1] for line in out.splitlines()[1:-1]]
    assert printed == nb05.BREAKFAST_ORDER
    assert out.strip().splitlines()[-1].startswith("✅")


@pytest.mark.parametrize("kettle, words", [
    (kettle_blank, "never paused after 'heating'"),
    (kettle_sleep_without_yield, "never paused after 'heating'"),
    (kettle_time_sleep, "kettle held the loop for"),
    (kettle_bare_yield, "a bare `yield` lets the others run but comes straight back"),
    (kettle_wrong_time, "the kettle asked for 0.10 s, 0.20 s; the recipe is 0.10 s, 0.30 s"),
    (kettle_number, "kettle yielded 0.3, which the tiny loop does not understand"),
    (kettle_plain, "contains no `yield`, so it is a plain function"),
    (kettle_async, "is an `async def` function"),
    (kettle_other_words, "the lines came in the order"),
    (kettle_crashes, "a task raised KeyError"),
    (..., "`kettle` is still `...`"),
    (42, "`kettle` should be a function, but it is a int"),
])
def test_breakfast_wrong_answers_are_explained(capsys, kettle, words):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "never awaited" warnings escape
        verdict = nb05.check_breakfast(kettle, toaster)
    line = last_line(capsys)
    assert not verdict.ok
    assert line.startswith(NOT_YET) and words in line, line


def test_breakfast_checks_the_toaster_too(capsys):
    assert not nb05.check_breakfast(kettle_right, ...)
    assert "`toaster` is still `...`" in last_line(capsys)


# --- Exercise 2: where is a loop running? ---------------------------------------------

RIGHT = ("loop", "error", "loop", "error")


def predict(*answers):
    return asyncio.run(nb05.check_loop_predictions(*answers))


def test_predictions_right_pass_and_show_the_table(capsys):
    assert predict(*RIGHT).ok
    out = capsys.readouterr().out
    assert "where get_running_loop() is called" in out
    assert out.count("✔") == 4 and "✘" not in out
    assert out.strip().splitlines()[-1].startswith("✅")


def test_predictions_accept_any_case_and_spaces(capsys):
    assert predict(" LOOP", "Error", "loop ", "ERROR").ok


def test_a_blank_is_reported_without_giving_the_answers_away(capsys):
    assert not predict("loop", ..., "loop", "error")
    out = capsys.readouterr().out
    assert out.startswith(NOT_YET) and "`script_top` is still `...`" in out
    assert "really" not in out, "the table must not be shown while an answer is blank"


def test_an_answer_that_is_not_loop_or_error_is_explained(capsys):
    assert not predict("loop", "error", "yes", "error")
    line = last_line(capsys)
    assert "`script_in_main` is 'yes'" in line and '"loop"' in line


@pytest.mark.parametrize("index, name, words", [
    (0, "in_a_cell", "the kernel runs an event loop"),
    (1, "script_top", "a script starts with no loop"),
    (2, "script_in_main", "asyncio.run() creates a loop"),
    (3, "in_a_thread", "a loop runs in one thread only"),
])
def test_each_wrong_prediction_gets_its_explanation(capsys, index, name, words):
    answers = list(RIGHT)
    answers[index] = "error" if RIGHT[index] == "loop" else "loop"
    assert not predict(*answers)
    out = capsys.readouterr().out
    assert out.count("✘") == 1
    line = out.strip().splitlines()[-1]
    assert line.startswith(NOT_YET) and "1 of 4 predictions" in line
    assert f"`{name}`: {words}" in line


# --- Exercise 3: the crawl --------------------------------------------------------------

async def crawl_with(fetch):
    return await asyncio.gather(*(fetch(page) for page in range(1, 5)))


async def fetch_blocking(page):
    await asyncio.sleep(0.2)
    time.sleep(0.05 * page)
    return f"page {page}"


async def fetch_fixed_inline(page):
    await asyncio.sleep(0.2)
    await asyncio.sleep(0.05 * page)
    return f"page {page}"


async def back_off(page):
    await asyncio.sleep(0.05 * page)


async def fetch_fixed_helper(page):
    await asyncio.sleep(0.2)
    await back_off(page)
    return f"page {page}"


async def fetch_forgot_await(page):
    await asyncio.sleep(0.2)
    back_off(page)  # the coroutine is created and dropped: no pause
    return f"page {page}"


async def fetch_no_pause(page):
    await asyncio.sleep(0.2)
    return f"page {page}"


async def fetch_wrong_value(page):
    await asyncio.sleep(0.2)
    await asyncio.sleep(0.05 * page)
    return page


async def crawl_sequential():
    return [await fetch_fixed_inline(page) for page in range(1, 5)]


def record(main):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "never awaited", on purpose
        return asyncio.run(measure("crawl", main))


@pytest.mark.parametrize("fetch", [fetch_fixed_inline, fetch_fixed_helper])
def test_crawl_fixed_passes(capsys, fetch):
    assert nb05.check_crawl(record(crawl_with(fetch))).ok
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("✅") for line in lines)


def test_crawl_with_time_sleep_blames_the_first_blocker(capsys):
    assert not nb05.check_crawl(record(crawl_with(fetch_blocking)))
    line = last_line(capsys)
    assert line.startswith(NOT_YET) and "fetch_blocking(1) held the event loop" in line


@pytest.mark.parametrize("fetch", [fetch_no_pause, fetch_forgot_await])
def test_crawl_without_the_pause_is_caught(capsys, fetch):
    assert not nb05.check_crawl(record(crawl_with(fetch)))
    line = last_line(capsys)
    assert "the polite pause is gone" in line and "only 4 waits" in line


def test_crawl_one_page_after_another_is_caught(capsys):
    assert not nb05.check_crawl(record(crawl_sequential()))
    assert "ran one after another" in last_line(capsys)


def test_crawl_wrong_result_is_caught(capsys):
    assert not nb05.check_crawl(record(crawl_with(fetch_wrong_value)))
    assert "the code returned [1, 2, 3, 4]" in last_line(capsys)


def test_crawl_blank_or_unawaited_recording(capsys):
    assert not nb05.check_crawl(...)
    assert "still `...`" in last_line(capsys)
    assert not nb05.check_crawl(measure("crawl", crawl_with(fetch_fixed_inline)))
    assert "write `await measure(...)`" in last_line(capsys)
