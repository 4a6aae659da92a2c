"""The daily retention purge, as an app background task cancelled at cleanup.

Every node runs this loop and looks every :data:`CHECK_SECONDS` (or every interval, if
shorter) whether the purge is due; one node at a time runs it
(:mod:`records.rights.purge_turn`), so the deployment purges once per interval
whichever nodes are alive.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import timedelta

from aiohttp import web

from records.models import utcnow
from records.rights.purge_turn import purge_if_due
from records.rights.retention import Policy
from records.service import Records
from server.background import background_task

logger = logging.getLogger(__name__)

FIRST_RUN_DELAY = 300.0  # let the server settle first
CHECK_SECONDS = 3600.0


def purge_task(
    records: Records,
    policies: tuple[Policy, ...],
    interval_hours: int,
    on_run: Callable[[Mapping[str, int] | None], None] | None = None,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """``on_run`` is told how each run of this node ended: the counts per category, or
    None (failed); nothing when it was not this node's turn or not due."""
    interval = timedelta(hours=interval_hours)

    async def loop() -> None:
        await asyncio.sleep(FIRST_RUN_DELAY)
        while True:
            try:
                counts = await purge_if_due(records, policies, utcnow(), interval)
            except Exception:
                logger.exception("retention purge failed; will retry when next due")
                if on_run is not None:
                    on_run(None)
            else:
                if counts is not None:
                    logger.info("retention purge done: %d items", sum(counts.values()))
                    if on_run is not None:
                        on_run(counts)
            await asyncio.sleep(min(CHECK_SECONDS, interval.total_seconds()))

    return background_task("retention-purge", loop)
