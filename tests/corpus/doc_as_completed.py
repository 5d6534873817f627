# adapted from CPython Doc/library/asyncio-task.rst, 'Waiting Primitives' (for coro in as_completed(aws))
import asyncio


async def fetch(name, delay):
    await asyncio.sleep(delay)
    return name


async def main():
    aws = [fetch('slow', 0.15), fetch('fast', 0.03), fetch('medium', 0.08)]
    order = []
    for coro in asyncio.as_completed(aws):
        earliest_result = await coro
        print('earliest:', earliest_result)
        order.append(earliest_result)
    return order
