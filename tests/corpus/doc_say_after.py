# adapted from CPython Doc/library/asyncio-task.rst, 'Coroutines' (say_after awaited one after the other)
import asyncio
import time


async def say_after(delay, what):
    await asyncio.sleep(delay)
    print(what)


async def main():
    print('started')
    t0 = time.monotonic()
    await say_after(0.1, 'hello')
    await say_after(0.2, 'world')
    print('finished; one after the other:', time.monotonic() - t0 >= 0.29)
