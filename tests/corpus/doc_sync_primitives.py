# adapted from CPython Doc/library/asyncio-sync.rst, 'Lock', 'Condition' and 'Semaphore' (async with usage)
import asyncio


async def locked(lock, name, log):
    async with lock:
        log.append(f'{name} in')
        await asyncio.sleep(0.01)
        log.append(f'{name} out')


async def consumer(cond, items, name, log):
    async with cond:
        await cond.wait_for(lambda: items)
        log.append(f'{name} got {items.pop(0)}')


async def limited(sem, name, state):
    async with sem:
        state['now'] += 1
        state['most'] = max(state['most'], state['now'])
        await asyncio.sleep(0.01)
        state['now'] -= 1


async def main():
    lock = asyncio.Lock()
    log = []
    await asyncio.gather(*(locked(lock, f'L{i}', log) for i in range(3)))
    print('lock:', log)

    cond = asyncio.Condition()
    items, log = [], []
    tasks = [asyncio.create_task(consumer(cond, items, f'C{i}', log)) for i in range(2)]
    await asyncio.sleep(0)
    for item in ('a', 'b'):
        async with cond:
            items.append(item)
            cond.notify()
        await asyncio.sleep(0.01)
    await asyncio.gather(*tasks)
    print('condition:', sorted(log))

    sem = asyncio.Semaphore(2)
    state = {'now': 0, 'most': 0}
    await asyncio.gather(*(limited(sem, i, state) for i in range(5)))
    print('semaphore: at most', state['most'], 'at once; locked now:', sem.locked())
