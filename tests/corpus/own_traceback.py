# own: function names in the traceback of an exception caught inside main (from a child task), and of one escaping main
import asyncio
import traceback


async def level2():
    await asyncio.sleep(0)
    raise ZeroDivisionError('deep')


async def level1():
    await level2()


async def main():
    task = asyncio.create_task(level1())
    try:
        await task
    except ZeroDivisionError as exc:
        print('caught in main:', [f.name for f in traceback.extract_tb(exc.__traceback__)])
        names = [f.name for f in traceback.extract_stack()]
        print('stack seen in except, from main on:', names[len(names) - 1 - names[::-1].index('main'):])
    try:
        await level1()
    except ZeroDivisionError as exc:
        raise ValueError('wrapped') from exc
