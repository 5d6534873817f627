"""In a real kernel, every notebook's checks answer any wrong answer with a ❌ sentence,
within their time limit, with the kernel alive and no ✅ (issue 10).

One kernel (cwd: notebooks/), many cells.  For one exercise of each notebook,
five wrong answers: a hang, `raise KeyboardInterrupt`, `return None`, a task
left running, a forgotten `await`.
"""

from __future__ import annotations

import time

import pytest

from test_kernel_interrupt import Kernel

pytest.importorskip("jupyter_client")

HANG = "await asyncio.Event().wait()"
WRONG = {
    "hang": HANG,
    "interrupt": "raise KeyboardInterrupt",
    "interrupt in a task": "async def boom():\n        raise KeyboardInterrupt\n    await asyncio.gather(boom(), boom())",
    "exit in a task": "async def boom():\n        await asyncio.sleep(0)\n        raise SystemExit(2)\n    await asyncio.create_task(boom())",
    "none": "return None",
    "left running": "asyncio.create_task(asyncio.sleep(30))\n    return None",
    "forgot await": "asyncio.sleep(0.1)\n    return None",
}

# notebook: (setup cell, exercise cell with {body} as the learner's function body, seconds allowed)
EXERCISES = {
    "00": ("from asynclab.exercises import nb00",
           "async def get_ready():\n    {body}\n\nrun = await check.run(get_ready(), time_limit=2)\n"
           "check.expect(run, nb00.GET_READY)", 2),
    "01": ("from asynclab.exercises import nb01",
           "async def breakfast():\n    {body}\n\nrun = await check.run(breakfast(), time_limit=2)\n"
           "check.expect(run, nb01.BREAKFAST)", 2),
    "02": ("from asynclab.exercises import nb02",
           "async def double(x):\n    {body}\n\nawait nb02.check_double(double, 42)", 2),
    "03": ("from asynclab.exercises import nb03",
           "async def make_breakfast():\n    {body}\n\nnb03.check_breakfast(0.9, await check.run(make_breakfast(), time_limit=3))", 3),
    "04": ("from asynclab.exercises import nb04\nUSERS = ['ada', 'grace']",
           "async def notify_all(users):\n    {body}\n\nrun = await check.run(notify_all(USERS), time_limit=3)\n"
           "check.expect(run, nb04.NO_LOST_TASKS, result=['sent to ada', 'sent to grace'])", 3),
    "05": ("from asynclab.exercises import nb05",
           "async def crawl():\n    {body}\n\nrun = await check.run(crawl(), time_limit=5)\ncheck.expect(run, nb05.CRAWL)", 5),
    "06": ("from asynclab.exercises import nb06",
           "async def all_prices(items):\n    {body}\n\nrun = await check.run(all_prices(['tea']), time_limit=5)\n"
           "check.expect(run, nb06.in_order([2.5]))", 5),
    "07": ("from asynclab.exercises import nb07\nfrom asynclab.server import LocalServer\n"
           "clean = LocalServer(files=12, size=1024, latency=0.02, name='kernel-test').start()",
           "async def download_bounded(session, names, limit):\n    {body}\n\nawait nb07.check_bounded(download_bounded, clean, 3)", 10),
    "08": ("from asynclab.exercises import nb08",
           "async def crunch(pool, limit):\n    {body}\n\nawait nb08.check_offload(crunch)", 10),
    "09": ("from asynclab.exercises import nb09\nsaved = []",
           "async def handle_order(items):\n    {body}\n\nsaved.clear()\n"
           "run = await check.run(handle_order(['tea', 'jam']), time_limit=3)\n"
           "check.expect(run, nb09.nothing_lost(saved, ['tea', 'jam']))", 3),
    "10": ("from asynclab.exercises import nb10",
           "async def deposit(account, lock, amount):\n    {body}\n\nawait nb10.check_deposit(deposit)", 2),
    "11": ("from asynclab.exercises import nb11\nfrom asynclab.server import LocalServer",
           "async def crawl(start_url):\n    {body}\n\nwith LocalServer(files=0, pages=10, latency=0.01, name='capstone') as server:\n"
           "    run = await check.run(crawl(server.url + '/site/index.html'), time_limit=20)\n"
           "    nb11.check_crawl(run, server, limit=4)", 20),
}


@pytest.fixture(scope="module")
def kernel():
    k = Kernel()
    reply = k.run("import asyncio, time\nfrom asynclab import check, measure, show")
    assert reply["status"] == "ok", reply
    yield k
    k.run("'clean' in globals() and clean.stop()")
    k.stop()


@pytest.mark.parametrize("notebook", sorted(EXERCISES))
def test_wrong_answers_get_a_sentence_in_time(kernel, notebook):
    setup, cell, limit = EXERCISES[notebook]
    reply = kernel.run(setup, timeout=60)
    assert reply["status"] == "ok", reply
    for name, body in WRONG.items():
        t0 = time.monotonic()
        reply = kernel.run(cell.format(body=body.replace("\n", "\n")), timeout=limit + 30)
        took = time.monotonic() - t0
        what = f"notebook {notebook}, {name}: {reply}"
        assert reply["status"] == "ok", what
        assert "❌ Not yet:" in reply["stdout"] and "✅" not in reply["stdout"], what
        assert "Traceback" not in reply["stdout"] + reply["stderr"], what
        assert "was never awaited" not in reply["stderr"], what
        assert took < limit + 12, f"{what}: took {took:.1f} s"
        assert kernel.km.is_alive(), what
    assert kernel.run("print('alive')")["stdout"].strip() == "alive"


def test_a_call_sleeping_past_the_limit_is_named_once_it_returns(kernel):
    reply = kernel.run("from asynclab.exercises import nb00\n"
                       "async def get_ready():\n    time.sleep(4)\n    return 'ready'\n\n"
                       "check.expect(await check.run(get_ready(), time_limit=1), nb00.GET_READY)", timeout=40)
    assert reply["status"] == "ok", reply
    out = reply["stdout"]
    assert "❌ Not yet: your code was still running after 1 s, at line 2 of get_ready: `time.sleep(4)`" in out, out
    assert "cannot be interrupted" in out and "Traceback" not in out + reply["stderr"], reply


def test_a_task_factory_that_raises_gets_a_sentence_and_is_kept(kernel):
    reply = kernel.run("def interrupting(loop, coro, **kwargs):\n    raise KeyboardInterrupt\n\n"
                       "async def two():\n    return await asyncio.gather(asyncio.sleep(0), asyncio.sleep(0))\n\n"
                       "loop = asyncio.get_running_loop()\nloop.set_task_factory(interrupting)\n"
                       "try:\n    check.expect(await check.run(two(), time_limit=2))\n"
                       "    print('kept:', loop.get_task_factory() is interrupting)\n"
                       "finally:\n    loop.set_task_factory(None)", timeout=40)
    assert reply["status"] == "ok", reply
    assert "❌ Not yet: two raised KeyboardInterrupt, at line 2 of interrupting" in reply["stdout"], reply
    assert "kept: True" in reply["stdout"] and "Traceback" not in reply["stdout"] + reply["stderr"], reply
    assert kernel.run("print('alive')")["stdout"].strip() == "alive"
