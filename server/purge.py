"""The daily retention purge, as an app background task cancelled at cleanup."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping

from aiohttp import web

from records.models import utcnow
from records.rights.retention import Policy, purge
from records.service import Records

logger = logging.getLogger(__name__)

FIRST_RUN_DELAY = 300.0  # let the server settle first


def purge_task(
    records: Records,
    policies: tuple[Policy, ...],
    interval_hours: int,
    on_run: Callable[[Mapping[str, int] | None], None] | None = None,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """``on_run`` is told how each run ended: the counts per category, or None (failed)."""

    async def loop() -> None:
        await asyncio.sleep(FIRST_RUN_DELAY)
        while True:
            counts: Mapping[str, int] | None = None
            try:
                counts = await purge(records, policies, utcnow())
            except Exception:
                logger.exception("retention purge failed; will retry at the next interval")
            else:
                logger.info("retention purge done: %d items", sum(counts.values()))
            if on_run is not None:
                on_run(counts)
            await asyncio.sleep(interval_hours * 3600)

    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(loop(), name="retention-purge")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx
