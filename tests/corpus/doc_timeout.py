# adapted from CPython Doc/library/asyncio-task.rst, 'Timeouts' (asyncio.timeout, reschedule, timeout_at)
import asyncio


async def long_running_task():
    await asyncio.sleep(10)
    print('not reached')


async def main():
    try:
        async with asyncio.timeout(0.05):
            await long_running_task()
    except TimeoutError:
        print("The long operation timed out, but we've handled it.")
    print("This statement will run regardless.")

    try:
        # We do not know the timeout when starting, so we pass ``None``.
        async with asyncio.timeout(None) as cm:
            # We know the timeout now, so we reschedule it.
            new_deadline = asyncio.get_running_loop().time() + 0.05
            cm.reschedule(new_deadline)
            await long_running_task()
    except TimeoutError:
        pass
    if cm.expired():
        print("Looks like we haven't finished on time.")

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 0.05
    try:
        async with asyncio.timeout_at(deadline):
            await long_running_task()
    except TimeoutError:
        print("The long operation timed out, but we've handled it.")
    print("This statement will run regardless.")
    print('cancelling() of the current task:', asyncio.current_task().cancelling())
