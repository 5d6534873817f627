# adapted from CPython Doc/library/asyncio-task.rst, 'Running in Threads' (to_thread(blocking_io))
import asyncio
import time


def blocking_io():
    print("start blocking_io")
    # Note that time.sleep() can be replaced with any blocking IO-bound operation, such as file operations.
    time.sleep(0.1)
    print("blocking_io complete")
    return 'io result'


async def main():
    print("started main")
    results = await asyncio.gather(
        asyncio.to_thread(blocking_io),
        asyncio.sleep(0.15, 'slept'))
    print("finished main", results)
