# adapted from CPython Doc/library/asyncio-eventloop.rst, 'Watch a file descriptor for read events'
# (a Future replaces loop.stop(), since the loop is the caller's)
import asyncio
from socket import socketpair


async def main():
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    # Create a pair of connected file descriptors
    rsock, wsock = socketpair()

    def reader():
        data = rsock.recv(100)
        print("Received:", data.decode())
        # We are done: unregister the file descriptor
        loop.remove_reader(rsock)
        done.set_result(data)

    # Register the file descriptor for read event
    loop.add_reader(rsock, reader)
    # Simulate the reception of data from the network
    loop.call_soon(wsock.send, 'abc'.encode())
    try:
        return await done
    finally:
        # We are done. Close sockets and the event loop.
        rsock.close()
        wsock.close()
