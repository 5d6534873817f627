# own: a task cancelled before its first step never runs its body; no "never awaited" warning
import asyncio
import gc

started = []


async def body():
    started.append(True)
    await asyncio.sleep(0)


async def main():
    task = asyncio.create_task(body(), name='early')
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print('cancelled before start:', task.cancelled(), 'body started:', bool(started))
    print(repr(task))
    del task
    gc.collect()
    t2 = asyncio.ensure_future(body())
    t2.cancel()
    await asyncio.sleep(0)
    print('second:', t2.cancelled(), 'body started:', bool(started))
