# adapted from CPython Doc/library/asyncio-task.rst, 'Coroutines' (the asyncio.TaskGroup version of say_after)
import asyncio


async def say_after(delay, what):
    await asyncio.sleep(delay)
    print(what)


async def main():
    async with asyncio.TaskGroup() as tg:
        task1 = tg.create_task(say_after(0.1, 'hello'))
        task2 = tg.create_task(say_after(0.2, 'world'))
        print('started')
    # The await is implicit when the context manager exits.
    print(f'Both tasks have completed now: {task1.result()}, {task2.result()}')
