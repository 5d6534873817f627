# own: every context variable visible in main and in a child task (contextvars.copy_context()), by name
import asyncio
import contextvars

mine = contextvars.ContextVar('mine')


def visible():
    # The recorder marks the tasks of a measurement with one context variable of
    # its own ("asynclab_measure"); that is its one deliberate, documented trace
    # (tests/test_timeline.py checks it is there only during the measurement).
    return sorted(var.name for var in contextvars.copy_context() if not var.name.startswith("asynclab"))


async def child():
    return visible()


async def main():
    print('in main at start:', visible())
    mine.set(1)
    print('in main after set:', visible())
    print('in a child task:', await asyncio.create_task(child()))
    print('in a to_thread call:', await asyncio.to_thread(visible))
    return len(visible())
