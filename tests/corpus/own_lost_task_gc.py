# own: a task created without keeping a reference, waiting on a future nobody holds; gc collects it
# (asyncio then logs "Task was destroyed but it is pending!")
import asyncio
import gc
import weakref


async def forgotten():
    print('forgotten task started')
    await asyncio.get_running_loop().create_future()  # never resolved
    print('not reached')


async def main():
    ref = weakref.ref(asyncio.create_task(forgotten(), name='forgotten'))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    gc.collect()
    print('lost task collected:', ref() is None)
    await asyncio.sleep(0)
