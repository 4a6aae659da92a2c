"""Reminders before each session, as an app background task cancelled at cleanup.

Every node runs this loop. Each round looks at the scheduled sessions of open cases that
start within the case's setting (``reminder_hours``, 24 by default; 0: none) and queues,
for each participant invited to one by e-mail, a reminder with their personal link and the
session's .ics (:meth:`~server.mail.notify.Notifier.remind`). Once per person and per
start time: the outbox's dedup key is unique in the database, so two nodes, a restart or a
round run twice queue it once; a session moved after its reminder went out gets a new one
for its new time (another start time, another key) while that time is still ahead.

The clock is injectable, so tests do not wait a day.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from aiohttp import web

from records.models import utcnow
from records.stores.cases import MAX_REMINDER_HOURS
from records.stores.scheduling import ScheduleStore
from server.background import background_task, repeat
from server.mail.notify import Notifier

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
POLL_SECONDS = 300.0  # a reminder goes out at most this late
FIRST_ROUND_DELAY = 30.0  # let the server settle first


class Reminders:
    def __init__(
        self,
        schedule: ScheduleStore,
        notifier: Notifier,
        *,
        clock: Clock = utcnow,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._schedule = schedule
        self._notifier = notifier
        self._clock = clock
        self.poll_seconds = poll_seconds

    async def run_once(self) -> int:
        """Queues the reminders due now; how many this caller queued."""
        now = self._clock()
        horizon = now + timedelta(hours=MAX_REMINDER_HOURS)
        count = 0
        for session, hours in await self._schedule.sessions_starting(now, horizon):
            if session.starts_at - timedelta(hours=hours) > now:
                continue  # not yet
            try:
                queued = await self._notifier.remind(session, now)
            except Exception:  # a bug or the database: the other sessions still go
                logger.exception("session %s: reminders not queued", session.id)
                continue
            if queued:
                logger.info("session %s: %d reminder(s) queued", session.id, queued)
            count += queued
        return count

    async def run(self, first_delay: float = FIRST_ROUND_DELAY) -> None:
        """Round after round until cancelled; a round that fails is logged and retried."""
        await repeat(self.run_once, first_delay, self.poll_seconds, "reminders round")


def reminders_task(
    reminders: Reminders, first_delay: float = FIRST_ROUND_DELAY
) -> Callable[[web.Application], AsyncIterator[None]]:
    """The loop as an app background task, cancelled at cleanup."""
    return background_task("mail-reminders", lambda: reminders.run(first_delay))
