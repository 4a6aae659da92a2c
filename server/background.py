"""Coroutines run beside the app: started with it, cancelled at its cleanup."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import web

logger = logging.getLogger(__name__)


def background_task(
    name: str, run: Callable[[], Coroutine[Any, Any, None]]
) -> Callable[[web.Application], AsyncIterator[None]]:
    """``run()`` as an app background task (for ``app.cleanup_ctx``)."""

    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(run(), name=name)
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx


async def repeat(
    one_round: Callable[[], Awaitable[object]], first_delay: float, every: float, what: str
) -> None:
    """``one_round()`` after ``first_delay`` seconds (let the server settle), then every
    ``every`` seconds until cancelled; a round that fails is logged (its kind only: a
    database error may quote what it was given) and the next one tries again."""
    await asyncio.sleep(first_delay)
    while True:
        try:
            await one_round()
        except Exception as exc:
            logger.warning("%s failed (%s); will try again", what, type(exc).__name__)
        await asyncio.sleep(every)
