# own: which threads exist while main runs (before and after asyncio.to_thread starts the default executor)
import asyncio
import threading


def names():
    return sorted(t.name for t in threading.enumerate())


async def main():
    print('at start:', threading.active_count(), names())
    seen = await asyncio.to_thread(names)
    print('seen from the worker thread:', seen)
    print('after to_thread:', threading.active_count(), names())
