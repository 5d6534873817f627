# own: the program raises SystemExit(3) after an await
import asyncio


async def main():
    await asyncio.sleep(0.01)
    print('exiting with 3')
    raise SystemExit(3)
