# adapted from CPython Doc/library/asyncio-subprocess.rst, 'Examples' (get_date with create_subprocess_exec)
# (the child prints a fixed line instead of the date)
import asyncio
import sys


async def get_date():
    code = 'import sys; print("2 + 2 =", 2 + 2); print("to stderr", file=sys.stderr)'
    # Create the subprocess; redirect the standard output into a pipe.
    proc = await asyncio.create_subprocess_exec(
        sys.executable, '-c', code,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    # Read one line of output.
    data = await proc.stdout.readline()
    line = data.decode('ascii').rstrip()
    err = await proc.stderr.read()
    # Wait for the subprocess exit.
    await proc.wait()
    return line, err.decode().strip(), proc.returncode


async def main():
    date = await get_date()
    print(f"Current date: {date}")
    return date
