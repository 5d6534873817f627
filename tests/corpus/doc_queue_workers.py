# adapted from CPython Doc/library/asyncio-queue.rst, 'Examples' (workers sharing a queue)
# (random sleep times replaced by fixed ones; worker reports are sorted: which worker gets which item may vary)
import asyncio


async def worker(name, queue, log):
    while True:
        # Get a "work item" out of the queue.
        sleep_for = await queue.get()
        # Sleep for the "sleep_for" seconds.
        await asyncio.sleep(sleep_for)
        # Notify the queue that the "work item" has been processed.
        queue.task_done()
        log.append(f'{name} has slept for {sleep_for:.2f} seconds')


async def main():
    # Create a queue that we will use to store our "workload".
    queue = asyncio.Queue()
    # Generate fixed timings and put them into the queue.
    total_sleep_time = 0
    for i in range(12):
        sleep_for = 0.01 * (1 + i % 4)
        total_sleep_time += sleep_for
        queue.put_nowait(sleep_for)
    # Create three worker tasks to process the queue concurrently.
    log = []
    tasks = []
    for i in range(3):
        task = asyncio.create_task(worker(f'worker-{i}', queue, log))
        tasks.append(task)
    # Wait until the queue is fully processed.
    await queue.join()
    # Cancel our worker tasks.
    for task in tasks:
        task.cancel()
    # Wait until all worker tasks are cancelled.
    results = await asyncio.gather(*tasks, return_exceptions=True)
    print(len(log), 'items done')
    print('====')
    print(f'total expected sleep time: {total_sleep_time:.2f} seconds')
    print('results:', [type(r).__name__ for r in results])
