# adapted from CPython Doc/library/asyncio-task.rst, 'Coroutines' (say_after run concurrently with create_task)
import asyncio


async def say_after(delay, what):
    await asyncio.sleep(delay)
    print(what)
    return what.upper()


async def main():
    task1 = asyncio.create_task(say_after(0.1, 'hello'))
    task2 = asyncio.create_task(say_after(0.2, 'world'))
    print('started')
    # Wait until both tasks are completed
    await task1
    await task2
    print('finished', task1.result(), task2.result())
    return task1.get_name(), task2.get_name()
