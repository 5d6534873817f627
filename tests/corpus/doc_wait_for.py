# adapted from CPython Doc/library/asyncio-task.rst, 'Timeouts' (wait_for with eternity())
import asyncio


async def eternity():
    # Sleep for one hour
    await asyncio.sleep(3600)
    print('yay!')


async def main():
    # Wait for at most 0.1 second
    try:
        await asyncio.wait_for(eternity(), timeout=0.1)
    except TimeoutError:
        print('timeout!')
    print('cancelling() of the current task:', asyncio.current_task().cancelling())
    return await asyncio.wait_for(asyncio.sleep(0.01, 'in time'), timeout=1)
