"""The daily retention purge, as an app background task cancelled at cleanup.

Every node runs this loop and looks every :data:`CHECK_SECONDS` (or every interval, if
shorter) whether the purge is due; one node at a time runs it
(:mod:`records.rights.purge_turn`), so the deployment purges once per interval
whichever nodes are alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

from aiohttp import web

from records.models import utcnow
from records.rights.purge_turn import purge_if_due
from records.rights.retention import Policy
from records.service import Records

logger = logging.getLogger(__name__)

FIRST_RUN_DELAY = 300.0  # let the server settle first
CHECK_SECONDS = 3600.0


def purge_task(
    records: Records, policies: tuple[Policy, ...], interval_hours: int
) -> Callable[[web.Application], AsyncIterator[None]]:
    interval = timedelta(hours=interval_hours)

    async def loop() -> None:
        await asyncio.sleep(FIRST_RUN_DELAY)
        while True:
            try:
                await purge_if_due(records, policies, utcnow(), interval)
            except Exception:
                logger.exception("retention purge failed; will retry when next due")
            await asyncio.sleep(min(CHECK_SECONDS, interval.total_seconds()))

    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(loop(), name="retention-purge")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx
