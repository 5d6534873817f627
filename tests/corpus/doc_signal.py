# adapted from CPython Doc/library/asyncio-eventloop.rst, 'Set signal handlers for SIGINT and SIGTERM'
# (SIGUSR1 sent by the program to itself instead of SIGINT/SIGTERM)
import asyncio
import functools
import os
import signal


def ask_exit(signame, fut):
    print("got signal %s: exit" % signame)
    fut.set_result(signame)


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    for signame in ('SIGUSR1',):
        loop.add_signal_handler(getattr(signal, signame), functools.partial(ask_exit, signame, fut))
    print("Event loop running; sending SIGUSR1 to this process")
    os.kill(os.getpid(), signal.SIGUSR1)
    try:
        return await asyncio.wait_for(fut, 5)
    finally:
        loop.remove_signal_handler(signal.SIGUSR1)
