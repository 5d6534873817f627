# own: a subprocess (sys.executable -c ...) with stdin, stdout, stderr and a non-zero exit code
import asyncio
import sys

CODE = 'import sys; data = sys.stdin.read(); print(data.upper()); print("warn", file=sys.stderr); sys.exit(3)'


async def main():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, '-c', CODE,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate(b'hello child')
    print('returncode', proc.returncode)
    print('stdout', out)
    print('stderr', err)
    proc = await asyncio.create_subprocess_exec(sys.executable, '-c', 'import time; time.sleep(5)')
    proc.terminate()
    print('terminated child returncode', await proc.wait())
