# own: asyncio.capture_call_graph() (3.14+) seen from a child task and from main: function names only
import asyncio

MIN_PYTHON = (3, 14)
WHY = "asyncio.capture_call_graph() is new in Python 3.14"


def names(graph):
    frames = [getattr(e.frame, 'f_code', None) for e in graph.call_stack]
    out = [c.co_name for c in frames if c is not None]
    return out, [names(a) for a in graph.awaited_by]


async def leaf(results):
    results.append(names(asyncio.capture_call_graph()))
    await asyncio.sleep(0)


async def middle(results):
    await leaf(results)


async def main():
    results = []
    async with asyncio.TaskGroup() as tg:
        tg.create_task(middle(results), name='middle')
    print('from child:', results)
    print('from main:', names(asyncio.capture_call_graph()))
    task = asyncio.create_task(middle([]), name='pending')
    await asyncio.sleep(0)
    print('of a pending task:', names(asyncio.capture_call_graph(task)))
    await task
