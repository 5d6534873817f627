# adapted from CPython Doc/library/asyncio-task.rst, 'Awaitables' (nested() returning 42; coroutines, tasks, futures)
import asyncio


async def nested():
    return 42


async def main():
    # Nothing happens if we just call "nested()": a coroutine object is created but not awaited
    coro = nested()
    print('called, not awaited:', type(coro).__name__)
    coro.close()
    # Let's do it differently now and await it:
    print(await nested())  # will print "42".
    # Schedule nested() to run soon concurrently with "main()".
    task = asyncio.create_task(nested())
    # "task" can now be used to cancel "nested()", or can simply be awaited to wait until it is complete:
    print(await task)
    fut = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(fut.set_result, 'future done')
    print(await fut)
    return await asyncio.gather(nested(), nested())
