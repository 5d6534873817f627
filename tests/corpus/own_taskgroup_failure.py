# own: a TaskGroup whose child fails; the sibling is cancelled (cleanup in finally); the ExceptionGroup escapes main
import asyncio


async def fails():
    await asyncio.sleep(0.02)
    raise ValueError('child failed')


async def sibling():
    try:
        await asyncio.sleep(1)
    finally:
        print('sibling cleaned up, cancelling:', asyncio.current_task().cancelling())


async def main():
    print('before')
    async with asyncio.TaskGroup() as tg:
        tg.create_task(fails(), name='fails')
        tg.create_task(sibling(), name='sibling')
    print('not reached')
