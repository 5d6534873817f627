# own: warnings raised by main (plain, stacklevel=2 from a helper, a coroutine never awaited), captured and printed
import asyncio
import gc
import warnings


def deprecated_helper():
    warnings.warn('helper is deprecated', DeprecationWarning, stacklevel=2)


async def never():
    pass


async def main():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        warnings.warn('plain user warning')
        deprecated_helper()
        never()  # RuntimeWarning: coroutine 'never' was never awaited
        gc.collect()
    for w in caught:
        print(w.category.__name__, w.message, w.filename.rsplit('/', 1)[-1], w.lineno)
    warnings.warn('escapes main', UserWarning)
