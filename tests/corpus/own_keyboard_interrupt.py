# own: the program raises KeyboardInterrupt itself, after an await and with a finally
import asyncio


async def deeper():
    await asyncio.sleep(0.01)
    raise KeyboardInterrupt


async def main():
    try:
        print('about to interrupt')
        await deeper()
    finally:
        print('main finally ran')
