"""A "recorder" that records nothing: the harness's own check against false alarms.

``measure()`` here just awaits the coroutine, so it is transparent by construction;
every transparency and kernel test must pass with it:

    COURSE_ASYNCLAB=tests/corpus/_reference pytest tests/test_transparency.py tests/test_kernel_interrupt.py

A difference reported against this copy is a flaw of the harness (or a program), not of a recorder.
"""
import asyncio


class Recording:
    def __init__(self, title):
        self.title, self.result, self.error, self.pending = title, None, None, []


async def measure(title, coro, *, raise_errors=True):
    __tracebackhide__ = True
    rec = Recording(title)
    try:
        rec.result = await coro
    except Exception as exc:
        if raise_errors:
            raise
        rec.error = exc
    return rec


class check:
    @staticmethod
    async def attempt(title, coro):
        __tracebackhide__ = True
        return await measure(title, coro, raise_errors=False)
