# own: the program installs asyncio.eager_task_factory (3.12+) and leaves it installed
import asyncio

MIN_PYTHON = (3, 12)
WHY = "asyncio.eager_task_factory is new in Python 3.12"


async def quick(log, n):
    log.append(f'quick {n} ran')
    return n


async def slow(log):
    log.append('slow started')
    await asyncio.sleep(0.01)
    log.append('slow finished')
    return 'slow'


async def main():
    loop = asyncio.get_running_loop()
    loop.set_task_factory(asyncio.eager_task_factory)
    log = []
    t1 = asyncio.create_task(quick(log, 1))
    log.append(f'after create_task: done={t1.done()}')
    t2 = asyncio.create_task(slow(log))
    log.append(f'after create_task: done={t2.done()}')
    print(await asyncio.gather(t1, t2, quick(log, 2)))
    print('\n'.join(log))
    print('factory now:', getattr(loop.get_task_factory(), '__name__', None))
