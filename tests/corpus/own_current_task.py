# own: asyncio.current_task() inside main: is it the caller's task, what is its name, and all_tasks()
import asyncio
import sys


async def main():
    me = asyncio.current_task()
    caller = getattr(sys.modules['__main__'], 'CALLER_TASK', None)
    print('current task is the caller task:', me is caller)
    print('name:', me.get_name())
    print('coro:', me.get_coro().__qualname__)
    others = sorted(t.get_name() for t in asyncio.all_tasks() if t is not me)
    print('other tasks:', others)
    child = asyncio.create_task(asyncio.sleep(0))
    print('child name:', child.get_name())
    await child
    return me.get_name()
