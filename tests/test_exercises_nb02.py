"""The checks of notebook 02 accept right answers and explain each typical wrong one."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest

from asynclab.exercises import nb02


def _line(capsys) -> str:
    out = capsys.readouterr().out.strip()
    assert "\n" not in out, f"a check should print one line, got: {out!r}"
    return out


# -- exercise 1: double ------------------------------------------------------
async def double(x):
    return 2 * x


def test_double_right(capsys):
    assert nb02.check_double(double, asyncio.run(double(21)))
    assert _line(capsys).startswith("✅")


def test_double_plain_def(capsys):
    def plain(x):
        return ...

    assert not nb02.check_double(plain, ...)
    out = _line(capsys)
    assert out.startswith("❌ Not yet:") and "normal function" in out and "async def" in out


def test_double_body_still_blank(capsys):
    async def blank(x):
        return ...

    assert not nb02.check_double(blank, ...)
    assert "still returns `...`" in _line(capsys)


def test_double_no_return(capsys):
    async def no_return(x):
        2 * x

    assert not nb02.check_double(no_return, None)
    assert "no `return`" in _line(capsys)


def test_double_wrong_value(capsys):
    async def plus_two(x):
        return x + 2

    assert not nb02.check_double(plus_two, 23)
    assert "double(21) gives 23" in _line(capsys)


def test_double_answer_blank(capsys):
    assert not nb02.check_double(double, ...)
    assert "`answer` is still `...`" in _line(capsys)


def test_double_missing_await_is_explained_and_silenced(capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert not nb02.check_double(double, double(21))
        gc.collect()
    out = _line(capsys)
    assert "coroutine object" in out and "await" in out
    assert not [w for w in caught if "never awaited" in str(w.message)]


def test_double_async_generator(capsys):
    async def gen(x):
        yield 2 * x

    assert not nb02.check_double(gen, 42)
    assert "async generator" in _line(capsys)


def test_double_raises_is_explained(capsys):
    async def broken(x):
        return x / 0

    assert not nb02.check_double(broken, 42)
    assert "ZeroDivisionError" in _line(capsys)


# -- exercise 2: bug hunt ----------------------------------------------------
async def fetch_stock(item):
    await asyncio.sleep(0)
    return {"tea": 12, "cake": 0}[item]


def test_stock_right(capsys):
    assert nb02.check_stock(12)
    assert _line(capsys).startswith("✅")


def test_stock_missing_await(capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert not nb02.check_stock(fetch_stock("tea"))
        gc.collect()
    out = _line(capsys)
    assert "coroutine object of fetch_stock()" in out and "never awaited" in out
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]


def test_stock_wrong_value(capsys):
    assert not nb02.check_stock(0)
    assert "expected 12" in _line(capsys)


def test_stock_blank(capsys):
    assert not nb02.check_stock(...)
    assert "still `...`" in _line(capsys)


# -- exercise 3: quiz --------------------------------------------------------
RIGHT = {key: label for key, (label, _) in nb02.QUIZ_ANSWERS.items()}


def test_quiz_right(capsys):
    assert nb02.check_quiz(dict(RIGHT))
    assert _line(capsys).startswith("✅")


def test_quiz_tolerates_case_and_spaces(capsys):
    assert nb02.check_quiz({k: f" {v.upper()} " for k, v in RIGHT.items()})


def test_quiz_blank(capsys):
    assert not nb02.check_quiz({key: ... for key in RIGHT})
    out = _line(capsys)
    assert "quiz['fetch'] is still `...`" in out


@pytest.mark.parametrize("key, wrong", [("make", "coroutine function"), ("fetch()", "coroutine function"),
                                        ("ticks", "coroutine function")])
def test_quiz_typical_confusions(capsys, key, wrong):
    answers = dict(RIGHT, **{key: wrong})
    assert not nb02.check_quiz(answers)
    out = _line(capsys)
    assert f"quiz[{key!r}]" in out and "Why:" in out


def test_quiz_unknown_label(capsys):
    assert not nb02.check_quiz(dict(RIGHT, fetch="coro func"))
    assert "not one of the four answers" in _line(capsys)


def test_quiz_missing_key(capsys):
    answers = dict(RIGHT)
    del answers["ticks"]
    assert not nb02.check_quiz(answers)
    assert "'ticks' is missing" in _line(capsys)


# -- helper ------------------------------------------------------------------
def test_show_warnings_prints_never_awaited(capsys):
    with nb02.show_warnings() as caught:
        double(1)  # dropped at once: warns when destroyed
    assert capsys.readouterr().out.strip() == "RuntimeWarning: coroutine 'double' was never awaited"
    assert len(caught) == 1


def test_show_warnings_catches_a_cycle():
    class Holder:
        pass

    with nb02.show_warnings() as caught:
        h = Holder()
        h.me, h.coro = h, double(2)  # only the garbage collector can free this
        del h
    assert any("never awaited" in str(w.message) for w in caught)
