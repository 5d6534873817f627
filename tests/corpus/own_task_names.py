# own: task names (explicit, default, set_name) and repr(task) of pending and finished tasks
import asyncio


async def work(n):
    await asyncio.sleep(0.01 * n)
    return n


async def main():
    t1 = asyncio.create_task(work(1), name='first')
    t2 = asyncio.create_task(work(2))
    t3 = asyncio.ensure_future(work(3))
    t3.set_name('renamed')
    print(sorted(t.get_name() for t in (t1, t2, t3)))
    print(repr(t1))
    print(repr(t2))
    await asyncio.gather(t1, t2, t3)
    print(repr(t1))
    print(repr(t3))
    print('my name:', asyncio.current_task().get_name())
    return t2.get_name()
