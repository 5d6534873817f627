# own: asyncio.timeout() expiring inside a helper; the TimeoutError escapes main (and its cause is a CancelledError)
import asyncio


async def slow_step():
    await asyncio.sleep(5)


async def main():
    try:
        await asyncio.wait_for(slow_step(), 0.02)
    except TimeoutError:
        print('wait_for timed out; cancelling():', asyncio.current_task().cancelling())
    async with asyncio.timeout(0.03):
        await slow_step()
