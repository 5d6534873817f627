# adapted from CPython Doc/library/asyncio-eventloop.rst, 'Display the current date with call_later()'
# (prints a tick count instead of the date; 0.02 s apart instead of 1 s)
import asyncio


def display_date(end_time, loop, fut, ticks):
    ticks.append(len(ticks))
    print('tick', ticks[-1])
    if (loop.time() + 0.02) < end_time and len(ticks) < 5:
        loop.call_later(0.02, display_date, end_time, loop, fut, ticks)
    else:
        fut.set_result(len(ticks))


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    # Schedule the first call to display_date()
    end_time = loop.time() + 10.0
    loop.call_soon(display_date, end_time, loop, fut, [])
    print('ticks:', await fut)
    when = loop.call_at(loop.time() + 0.01, print, 'call_at fired')
    await asyncio.sleep(0.05)
    print('timer handle cancelled:', when.cancelled())
