# adapted from CPython Doc/library/asyncio-task.rst, 'Shielding From Cancellation' (res = await shield(something()))
import asyncio


async def something():
    await asyncio.sleep(0.1)
    print('something() finished anyway')
    return 'something'


async def caller(holder):
    inner = asyncio.ensure_future(something())
    holder.append(inner)  # keep a reference to the shielded task
    try:
        res = await asyncio.shield(inner)
    except asyncio.CancelledError:
        print('caller() was cancelled; the shielded task was not')
        res = None
        raise
    return res


async def main():
    holder = []
    task = asyncio.create_task(caller(holder))
    await asyncio.sleep(0.02)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print('caller task cancelled:', task.cancelled())
    inner = holder[0]
    print('inner cancelled:', inner.cancelled(), 'done:', inner.done())
    print('inner result:', await inner)
