# own: task.get_stack() and task.print_stack() of a suspended task, and of one that failed
import asyncio
import sys


async def inner(ev):
    await ev.wait()


async def outer(ev):
    await inner(ev)


async def failing():
    raise RuntimeError('boom')


async def main():
    ev = asyncio.Event()
    task = asyncio.create_task(outer(ev), name='suspended')
    await asyncio.sleep(0)
    print('stack:', [f.f_code.co_name for f in task.get_stack()])
    print('limit 1:', [f.f_code.co_name for f in task.get_stack(limit=1)])
    task.print_stack(file=sys.stdout)
    ev.set()
    await task
    print('finished stack:', task.get_stack())
    bad = asyncio.create_task(failing(), name='failing')
    await asyncio.sleep(0)
    print('failed stack:', [f.f_code.co_name for f in bad.get_stack()])
    bad.print_stack(file=sys.stdout)
    bad.exception()
    me = asyncio.current_task()
    print('own stack:', [f.f_code.co_name for f in me.get_stack()])
