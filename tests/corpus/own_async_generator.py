# own: an async generator left unfinished: its finally runs when the loop shuts down its async generators
import asyncio


async def ticker():
    try:
        for i in range(100):
            yield i
            await asyncio.sleep(0)
    finally:
        print('ticker finalised')


async def main():
    gen = ticker()
    async for i in gen:
        if i == 2:
            break
    print('broke out at', i)
    return 'left gen open'
