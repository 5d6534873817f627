# adapted from CPython Doc/library/asyncio-eventloop.rst, 'Hello World with call_soon()'
# (a Future replaces loop.stop(), since the loop is the caller's)
import asyncio


def hello_world(fut):
    print('Hello World')
    fut.set_result('stopped')


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    # Schedule a call to hello_world()
    handle = loop.call_soon(hello_world, fut)
    print('handle cancelled:', handle.cancelled())
    return await fut
