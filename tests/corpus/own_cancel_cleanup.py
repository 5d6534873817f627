# own: cancellation with cleanup in finally: a child cancelled by main, then main cancelled by itself
import asyncio


async def child(log):
    try:
        log.append('child started')
        await asyncio.sleep(1)
    finally:
        log.append('child cleanup')
        await asyncio.sleep(0.01)  # cleanup that itself awaits
        log.append('child cleanup done')


async def main():
    log = []
    task = asyncio.create_task(child(log))
    await asyncio.sleep(0.01)
    task.cancel('stop please')
    try:
        await task
    except asyncio.CancelledError as exc:
        print('child cancelled with', exc.args)
    print(log)
    me = asyncio.current_task()
    me.cancel('main cancels itself')
    try:
        await asyncio.sleep(1)
    finally:
        print('main cleanup, cancelling:', me.cancelling())
