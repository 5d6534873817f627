# adapted from aiohttp docs/client_quickstart.rst ('Make a Request', 'Passing Parameters In URLs', 'JSON Request',
# 'Streaming Response Content') and docs/web_quickstart.rst (handle with match_info), against a local server
import asyncio

from aiohttp import ClientSession, web

NEEDS = ("aiohttp",)


async def handle(request):
    name = request.match_info.get('name', "Anonymous")
    text = "Hello, " + name
    return web.Response(text=text)


async def echo_json(request):
    data = await request.json()
    return web.json_response({'got': data, 'query': dict(sorted(request.query.items()))})


async def start_server():
    app = web.Application()
    app.add_routes([web.get('/', handle), web.get('/{name}', handle), web.post('/json', echo_json)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, '127.0.0.1', 0)
    await site.start()
    return runner, runner.addresses[0][1]


async def main():
    runner, port = await start_server()
    base = f'http://127.0.0.1:{port}'
    try:
        async with ClientSession() as session:
            async with session.get(base + '/') as resp:
                print(resp.status)
                print(await resp.text())
            params = {'key1': 'value1', 'key2': 'value2'}
            async with session.get(base + '/john', params=params) as resp:
                print(resp.url.path, sorted(resp.url.query.items()))
                print(await resp.text())
            async with session.post(base + '/json', json={'test': 'object'}, params={'a': '1'}) as resp:
                print(resp.status, resp.content_type)
                print(await resp.json())
            async with session.get(base + '/streaming') as resp:
                print(await resp.content.read(10))
    finally:
        await runner.cleanup()
