# own: the program installs its own task factory (counting and naming tasks) and leaves it installed
import asyncio

created = []


def counting_factory(loop, coro, **kwargs):
    created.append(getattr(coro, '__qualname__', type(coro).__name__))
    task = asyncio.Task(coro, loop=loop, **kwargs)
    if 'name' not in kwargs:
        task.set_name(f'counted-{len(created)}')
    return task


async def job(n):
    await asyncio.sleep(0.01 * n)
    return asyncio.current_task().get_name()


async def main():
    loop = asyncio.get_running_loop()
    print('factory before:', loop.get_task_factory())
    loop.set_task_factory(counting_factory)
    names = await asyncio.gather(job(1), job(2), asyncio.create_task(job(3), name='explicit'))
    print('names:', names)
    print('factory created tasks for:', created)
    return len(created)
