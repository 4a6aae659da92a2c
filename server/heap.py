"""Garbage collection for a server whose heap is mostly long-lived: pauses bound by what is new.

CPython's full collection walks every container object of the process while
the event loop waits. A live server holds many of them for a long time:
modules and classes, connections, and every room's board (each drawing is a
handful of objects). Measured with the whiteboard benchmark (50 rooms at
4,000 operations per second): 630,000 objects, a full collection of 400 ms
every 0.8 s. Drawings, signalling and the media relay's forwarding all stood
still meanwhile, and the server fell behind for good.

The policy here, for the serving process only (``palabre serve``):

* once start-up is over, one full collection, then :func:`gc.freeze`: what was
  built to serve is never walked again;
* after every full collection, its survivors are frozen as well, so the next
  one walks only what was allocated since: its pause follows the allocation
  rate, not the size of the heap;
* every ``sweep_seconds`` everything is unfrozen and collected once. A frozen
  object is still freed as soon as nothing refers to it, but garbage made of
  reference cycles among once-frozen objects (a closed connection's, say)
  waits for this sweep: its pause does follow the heap, a few times an hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 15 * 60.0
OLDEST = 2  # CPython's generations are 0, 1 and 2; a full collection is one of generation 2


class HeapKeeper:
    def __init__(self) -> None:
        self.freezes = 0  # full collections whose survivors were frozen
        self._installed = False

    @property
    def installed(self) -> bool:
        return self._installed

    def start(self) -> None:
        """Collects and freezes what exists now, then freezes after each full collection."""
        if self._installed:
            return
        gc.collect()
        gc.freeze()
        gc.callbacks.append(self._after_collection)
        self._installed = True

    def _after_collection(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and info["generation"] == OLDEST:
            gc.freeze()
            self.freezes += 1

    def sweep(self) -> int:
        """Unfreezes and collects everything once; the number of objects reclaimed."""
        gc.unfreeze()
        return gc.collect()  # its survivors are frozen again by _after_collection

    def stop(self) -> None:
        """Back to CPython's defaults: nothing frozen, no callback."""
        if not self._installed:
            return
        gc.callbacks.remove(self._after_collection)
        gc.unfreeze()
        self._installed = False


async def _sweep_forever(keeper: HeapKeeper, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        started = time.perf_counter()
        reclaimed = keeper.sweep()
        logger.info(
            "heap sweep: %d objects reclaimed in %.0f ms",
            reclaimed,
            (time.perf_counter() - started) * 1000,
        )


def keep_heap(
    sweep_seconds: float = SWEEP_SECONDS,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context applying the policy while the application serves."""

    async def context(_app: web.Application) -> AsyncIterator[None]:
        keeper = HeapKeeper()
        keeper.start()
        sweeps = asyncio.create_task(_sweep_forever(keeper, sweep_seconds), name="heap-sweep")
        try:
            yield
        finally:
            sweeps.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeps
            keeper.stop()

    return context
