"""The daily retention purge, as an app background task cancelled at cleanup."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from records.models import utcnow
from records.rights.retention import Policy, purge
from records.service import Records

logger = logging.getLogger(__name__)

FIRST_RUN_DELAY = 300.0  # let the server settle first


def purge_task(
    records: Records, policies: tuple[Policy, ...], interval_hours: int
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def loop() -> None:
        await asyncio.sleep(FIRST_RUN_DELAY)
        while True:
            try:
                await purge(records, policies, utcnow())
            except Exception:
                logger.exception("retention purge failed; will retry at the next interval")
            await asyncio.sleep(interval_hours * 3600)

    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(loop(), name="retention-purge")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx
