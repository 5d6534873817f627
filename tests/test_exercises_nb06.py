"""The checks of notebook 06 accept right answers and explain each typical wrong one."""

from __future__ import annotations

import asyncio
import time
import warnings

import pytest

from asynclab.exercises import nb06


def _line(capsys) -> str:
    out = capsys.readouterr().out.strip()
    assert "\n" not in out, f"a check should print one line, got: {out!r}"
    return out


def run(coro):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "never awaited" left behind
        return asyncio.run(coro)


# -- exercise 1: prices in argument order ----------------------------------------
ITEMS = ["tea", "bread", "cheese"]
DELAY = {"tea": 0.09, "bread": 0.03, "cheese": 0.06}
PRICE = {"tea": 2.5, "bread": 1.8, "cheese": 6.0}
EXPECTED = [2.5, 1.8, 6.0]


async def price(item):
    await asyncio.sleep(DELAY[item])
    return PRICE[item]


async def gathered(items):
    return await asyncio.gather(*(price(i) for i in items))


async def blank(items):
    return ...


async def no_await(items):
    return asyncio.gather(*(price(i) for i in items))


async def coroutines(items):
    return [price(i) for i in items]


async def one_by_one(items):
    return [await price(i) for i in items]


async def finishing_order(items):
    return [await aw for aw in asyncio.as_completed([price(i) for i in items])]


async def wrong_value(items):
    return [p + 1 for p in await asyncio.gather(*(price(i) for i in items))]


async def blocking_price(item):
    time.sleep(0.07)
    return PRICE[item]


async def blocked(items):
    return await asyncio.gather(*(blocking_price(i) for i in items))


async def gather_with_blank(items):
    return await asyncio.gather(...)


def test_in_order_right(capsys):
    assert run(nb06.check_in_order(gathered(ITEMS), EXPECTED))
    assert _line(capsys).startswith("✅ 3 prices in the order of the items")


@pytest.mark.parametrize("answer, words", [
    (blank, "returned `...`"),
    (no_await, "put `await` in front of asyncio.gather"),
    (coroutines, "coroutine objects, not their results"),
    (one_by_one, "ran one after another"),
    (finishing_order, "in the wrong order"),
    (wrong_value, "expected [2.5, 1.8, 6.0]"),
    (blocked, "blocked the event loop"),
    (gather_with_blank, "A `...` blank is still in the code"),
])
def test_in_order_wrong(capsys, answer, words):
    assert not run(nb06.check_in_order(answer(ITEMS), EXPECTED))
    out = _line(capsys)
    assert out.startswith("❌ Not yet:") and words in out, out


def test_in_order_given_the_function_or_a_blank(capsys):
    assert not run(nb06.check_in_order(gathered, EXPECTED))
    assert "call it" in _line(capsys)
    assert not run(nb06.check_in_order(..., EXPECTED))
    assert "instead of all_prices(ITEMS)" in _line(capsys)


def test_no_task_outlives_the_check(capsys):
    async def main():
        await nb06.check_in_order(no_await(ITEMS), EXPECTED)
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    assert run(main()) == []


# -- exercise 2: the as_completed bug hunt ----------------------------------------
SIZE = {"home": 50, "blog": 200, "about": 10}
PAGE_DELAY = {"home": 0.09, "blog": 0.06, "about": 0.03}


async def page_size(name):
    await asyncio.sleep(PAGE_DELAY[name])
    return SIZE[name]


async def sizes_buggy(names):
    sizes = [await aw for aw in asyncio.as_completed([page_size(n) for n in names])]
    return dict(zip(names, sizes))


async def sizes_gather(names):
    return dict(zip(names, await asyncio.gather(*(page_size(n) for n in names))))


async def sizes_pairs(names):
    async def named(n):
        return n, await page_size(n)
    return dict([await aw for aw in asyncio.as_completed([named(n) for n in names])])


async def sizes_sequential(names):
    return {n: await page_size(n) for n in names}


async def sizes_list(names):
    return await asyncio.gather(*(page_size(n) for n in names))


@pytest.mark.parametrize("answer", [sizes_gather, sizes_pairs])
def test_sizes_right(capsys, answer):
    assert run(nb06.check_sizes(answer(list(SIZE)), SIZE))
    assert _line(capsys).startswith("✅ each of the 3 pages")


@pytest.mark.parametrize("answer, words", [
    (sizes_buggy, "paired with the wrong page (about, home)"),
    (sizes_sequential, "ran one after another"),
    (sizes_list, "should return a dict"),
])
def test_sizes_wrong(capsys, answer, words):
    assert not run(nb06.check_sizes(answer(list(SIZE)), SIZE))
    out = _line(capsys)
    assert out.startswith("❌ Not yet:") and words in out, out


# -- exercise 3: successes and failures --------------------------------------------
HOSTS = ["a", "b", "c"]
UP = {"a": "pong a", "c": "pong c"}
DOWN = {"b": "ConnectionError"}


async def ping(host):
    await asyncio.sleep(0.03)
    if host == "b":
        raise ConnectionError("refused")
    return f"pong {host}"


def survey_with(return_exceptions, is_failure):
    async def survey(hosts):
        results = await asyncio.gather(*(ping(h) for h in hosts), return_exceptions=return_exceptions)
        up, down = {}, {}
        for host, result in zip(hosts, results):
            if is_failure(result):
                down[host] = type(result).__name__
            else:
                up[host] = result
        return up, down
    return survey


def test_split_right(capsys):
    survey = survey_with(True, lambda r: isinstance(r, BaseException))
    assert run(nb06.check_split(survey(HOSTS), UP, DOWN))
    assert _line(capsys).startswith("✅ 2 hosts up, 1 down")


@pytest.mark.parametrize("survey, words", [
    (survey_with(..., lambda r: ...), "`down` holds hosts that answered (a, c)"),
    (survey_with(False, lambda r: isinstance(r, BaseException)), "Without return_exceptions=True"),
    (survey_with(True, lambda r: False), "`up` holds exceptions (b)"),
    (survey_with(True, lambda r: isinstance(r, ValueError)), "`up` holds exceptions (b)"),
])
def test_split_wrong(capsys, survey, words):
    assert not run(nb06.check_split(survey(HOSTS), UP, DOWN))
    out = _line(capsys)
    assert out.startswith("❌ Not yet:") and words in out, out


def test_split_literal_blank_is_reported(capsys):
    # `return_exceptions=...` is truthy, so without a look at the code this answer would pass
    async def survey(hosts):
        results = await asyncio.gather(*(ping(h) for h in hosts), return_exceptions=...)
        up, down = {}, {}
        for host, result in zip(hosts, results):
            if isinstance(result, BaseException):
                down[host] = type(result).__name__
            else:
                up[host] = result
        return up, down

    assert not run(nb06.check_split(survey(HOSTS), UP, DOWN))
    out = _line(capsys)
    assert out.startswith("❌ Not yet: survey still has a `...` blank") and "return_exceptions=" in out, out


def test_split_both_blanks_as_committed(capsys):
    async def survey(hosts):
        results = await asyncio.gather(*(ping(h) for h in hosts), return_exceptions=...)
        up, down = {}, {}
        for host, result in zip(hosts, results):
            if ...:
                down[host] = type(result).__name__
            else:
                up[host] = result
        return up, down

    assert not run(nb06.check_split(survey(HOSTS), UP, DOWN))
    assert "still has a `...` blank" in _line(capsys)


def test_split_sequential(capsys):
    async def survey(hosts):
        up, down = {}, {}
        for h in hosts:
            try:
                up[h] = await ping(h)
            except ConnectionError as exc:
                down[h] = type(exc).__name__
        return up, down

    assert not run(nb06.check_split(survey(HOSTS), UP, DOWN))
    assert "ran one after another" in _line(capsys)


def test_split_wrong_shape(capsys):
    async def survey(hosts):
        return list(await asyncio.gather(*(ping(h) for h in hosts), return_exceptions=True))

    assert not run(nb06.check_split(survey(HOSTS), UP, DOWN))
    assert "should return two dicts" in _line(capsys)
