# adapted from CPython Doc/library/asyncio-task.rst, 'Coroutines' (hello / world)
import asyncio


async def main():
    print('hello')
    await asyncio.sleep(0.1)
    print('world')
