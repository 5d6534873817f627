# own: asyncio.to_thread copies the context into the thread; exceptions come back from it
import asyncio
import contextvars
import threading

where = contextvars.ContextVar('where', default='nowhere')


def in_thread(x):
    on_main = threading.current_thread() is threading.main_thread()
    return f'{x}: context={where.get()} main_thread={on_main}'


def failing():
    raise LookupError('from the thread')


async def main():
    where.set('main')
    print(await asyncio.to_thread(in_thread, 'one'))
    results = await asyncio.gather(asyncio.to_thread(in_thread, 'two'), asyncio.to_thread(failing),
                                   return_exceptions=True)
    print(results)
    loop = asyncio.get_running_loop()
    print(await loop.run_in_executor(None, in_thread, 'executor'))
