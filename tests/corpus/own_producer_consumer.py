# own: producer/consumer with an asyncio.Queue and a sentinel
import asyncio


async def producer(queue, n):
    for i in range(n):
        await queue.put(i)
        print('put', i)
        await asyncio.sleep(0.005)
    await queue.put(None)


async def consumer(queue):
    total = 0
    while (item := await queue.get()) is not None:
        print('got', item)
        total += item
        queue.task_done()
    queue.task_done()
    return total


async def main():
    queue = asyncio.Queue(maxsize=2)
    _, total = await asyncio.gather(producer(queue, 6), consumer(queue))
    await queue.join()
    print('total', total, 'empty', queue.empty())
    return total
