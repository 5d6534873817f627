# adapted from aiohttp README.rst 'Client' example (Status / Content-type / Body), plus docs/client_quickstart.rst
# 'Timeouts' (ClientTimeout), against a local aiohttp.web server instead of python.org
import asyncio

import aiohttp
from aiohttp import web

NEEDS = ("aiohttp",)


async def page(request):
    return web.Response(text='<!doctype html><html><body>hi</body></html>', content_type='text/html')


async def slow(request):
    await asyncio.sleep(2)
    return web.Response(text='too late')


async def main():
    app = web.Application()
    app.add_routes([web.get('/', page), web.get('/slow', slow)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, '127.0.0.1', 0)
    await site.start()
    url = f'http://127.0.0.1:{runner.addresses[0][1]}'
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as response:
                print("Status:", response.status)
                print("Content-type:", response.headers['content-type'])
                html = await response.text()
                print("Body:", html[:15], "...")
            timeout = aiohttp.ClientTimeout(total=0.1)
            try:
                async with session.get(url + '/slow', timeout=timeout) as response:
                    print(await response.text())
            except asyncio.TimeoutError as exc:
                print('timed out:', type(exc).__name__)
        return 'done'
    finally:
        await runner.cleanup()
