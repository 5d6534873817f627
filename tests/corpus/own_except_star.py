# own: except* around a TaskGroup with two failing children (one fails while being cancelled); names of the caught sub-exceptions and their frames
import asyncio
import traceback


async def bad(kind, delay):
    await asyncio.sleep(delay)
    raise kind(f'{kind.__name__} after {delay}')


async def fails_when_cancelled():
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:
        raise TypeError('TypeError while being cancelled')


async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(bad(KeyError, 0.01))
            tg.create_task(fails_when_cancelled())
            tg.create_task(asyncio.sleep(1))
    except* KeyError as group:
        for exc in group.exceptions:
            print('KeyError part:', exc, [f.name for f in traceback.extract_tb(exc.__traceback__)])
    except* TypeError as group:
        for exc in group.exceptions:
            print('TypeError part:', exc, [f.name for f in traceback.extract_tb(exc.__traceback__)])
    return 'handled'
