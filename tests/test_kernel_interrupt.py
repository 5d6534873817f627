"""In a real IPython kernel, measure() must not let KeyboardInterrupt or SystemExit kill the kernel.

A notebook cell runs inside a task on the kernel's own event loop.  When the
learner's code raises KeyboardInterrupt (or SystemExit) and it is awaited
plainly, IPython catches it and reports an error for the cell.  If measure()
runs the coroutine in a task of its own, asyncio re-raises these two out of the
loop itself, which can take the kernel down.  These tests start a kernel with
jupyter_client (cwd: the notebooks dir, so ``import asynclab`` finds the copy
under test: ``$COURSE_ASYNCLAB`` or this repo's ``notebooks/``), and compare a
measured cell with a plain ``await main()`` in the same kernel.
"""

from __future__ import annotations

import os
import queue
import textwrap
import time
from pathlib import Path

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

NOTEBOOKS = Path(os.environ.get("COURSE_ASYNCLAB") or Path(__file__).resolve().parent.parent / "notebooks").resolve()
TIMEOUT = 30


class Kernel:
    def __init__(self) -> None:
        self.km = jupyter_client.KernelManager(kernel_name="python3")
        env = dict(os.environ)
        env.pop("PYTHONASYNCIODEBUG", None)
        self.km.start_kernel(cwd=str(NOTEBOOKS), env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def alive(self) -> bool:
        time.sleep(0.2)  # a kernel whose loop just broke needs a moment to exit
        return self.km.is_alive()

    def run(self, code: str, timeout: float = TIMEOUT) -> dict:
        """Execute a cell; return its reply status, error name/value and stdout."""
        msg_id = self.kc.execute(textwrap.dedent(code), store_history=False)
        out = {"status": None, "ename": None, "evalue": None, "stdout": "", "stderr": ""}
        deadline = time.monotonic() + timeout
        idle = False
        while not idle and time.monotonic() < deadline:
            try:
                msg = self.kc.get_iopub_msg(timeout=0.5)
            except queue.Empty:
                if not self.km.is_alive():
                    out["status"] = "kernel died"
                    return out
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out[content["name"]] += content["text"]
            elif kind == "error":
                out["ename"], out["evalue"] = content["ename"], content["evalue"]
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        if not idle:
            out["status"] = "no answer" if self.km.is_alive() else "kernel died"
            return out
        try:
            reply = self.kc.get_shell_msg(timeout=5)
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = self.kc.get_shell_msg(timeout=5)
            out["status"] = reply["content"]["status"]
            out["ename"] = reply["content"].get("ename", out["ename"])
        except queue.Empty:
            out["status"] = "no reply"
        return out

    def stop(self) -> None:
        self.kc.stop_channels()
        if self.km.is_alive():
            self.km.shutdown_kernel(now=True)


@pytest.fixture
def kernel():
    k = Kernel()
    try:
        yield k
    finally:
        k.stop()


SETUP = """
import asyncio
import asynclab
from asynclab import measure
print("asynclab", asynclab.__file__)

async def main():
    await asyncio.sleep(0.01)
    raise {exc}

async def ok():
    await asyncio.sleep(0.01)
    return 42
"""

FOLLOW_UP = """
rec = await measure("y", ok())
print("result", rec.result)
print("factory", asyncio.get_running_loop().get_task_factory())
"""


def setup(kernel: Kernel, code: str) -> None:
    reply = kernel.run(code)
    assert reply["status"] == "ok", reply
    assert f"asynclab {NOTEBOOKS}{os.sep}" in reply["stdout"], f"the kernel imported another asynclab: {reply['stdout']}"


def outcome(reply: dict) -> tuple:
    return reply["status"], reply["ename"], reply["evalue"]


def assert_kernel_fine(kernel: Kernel, after: str) -> None:
    assert kernel.alive(), f"the kernel died after {after}"
    reply = kernel.run(FOLLOW_UP)
    assert reply["status"] == "ok", f"a normal measure() after {after} failed: {reply}"
    assert "result 42" in reply["stdout"], reply
    assert "factory None" in reply["stdout"], f"a task factory is left installed after {after}: {reply['stdout']}"


@pytest.mark.parametrize("exc", ["KeyboardInterrupt", "SystemExit(3)"])
def test_measure_reports_like_plain_await(kernel, exc):
    setup(kernel, SETUP.format(exc=exc))
    plain = kernel.run("await main()")
    assert kernel.alive(), f"the kernel died on a plain `await main()` raising {exc}"
    if exc == "KeyboardInterrupt":
        assert outcome(plain)[:2] == ("error", "KeyboardInterrupt"), plain
    measured = kernel.run('await measure("x", main())')
    assert outcome(measured) == outcome(plain), (
        f"`await measure('x', main())` raising {exc}: {outcome(measured)}; plain `await main()`: {outcome(plain)}")
    assert_kernel_fine(kernel, f"measure() of a coroutine raising {exc}")
    # and a second failure, after a good run, behaves the same again
    again = kernel.run('await measure("x", main())')
    assert outcome(again) == outcome(plain), again
    assert_kernel_fine(kernel, f"a second measure() of a coroutine raising {exc}")


@pytest.mark.parametrize("exc", ["KeyboardInterrupt", "SystemExit(3)"])
def test_check_run_does_not_kill_kernel(kernel, exc):
    setup(kernel, SETUP.format(exc=exc) + "\nfrom asynclab import check\n")
    reply = kernel.run('run = await check.run(main(), time_limit=2)\nprint("error", type(run.error).__name__)')
    assert reply["status"] not in ("kernel died", "no answer", "no reply"), (
        f"check.run() of a coroutine raising {exc}: {reply}")
    assert reply["stdout"].startswith("error " + exc.split("(")[0]), reply
    assert_kernel_fine(kernel, f"check.run() of a coroutine raising {exc}")
