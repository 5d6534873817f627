# own: context variables set inside main (directly and in a child task) and read by the caller afterwards
import asyncio
import contextvars

request_id = contextvars.ContextVar('request_id', default='unset')
user = contextvars.ContextVar('user')


async def child():
    request_id.set('set in child task')  # a task runs in a copy: invisible outside
    return request_id.get()


async def helper():
    user.set('set in awaited helper')  # same task: visible to main and its caller


async def main():
    print('at start:', request_id.get(), user.get('missing'))
    request_id.set('set in main')
    print('child saw:', await asyncio.create_task(child()))
    await helper()
    print('after:', request_id.get(), user.get('missing'))
    ctx = contextvars.copy_context()
    return sorted((var.name, value) for var, value in ctx.items() if var in (request_id, user))
