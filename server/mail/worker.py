"""The outbox's sender: sends what is due, retries with back-off, gives up in bounded time.

Every node runs one. Each round it claims the due messages (a lease: no other node
sends them meanwhile), hands each to the transport and records the outcome: *sent* once
the server accepted it; *waiting* again after a refusal for now or a server that cannot
be reached, due after a delay that doubles from :attr:`RetryPolicy.first` up to
:attr:`RetryPolicy.cap`; *failed* when the server refused it for good or when
:attr:`RetryPolicy.give_up_after` has passed since it was queued, keeping the server's
reason (the recipient's address masked in it). A node that dies while sending leaves a
lease that runs out: the message is tried again then (the same Message-ID).

Logs carry message and case ids, the reply code, never an address or a content.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from records.models import utcnow
from records.stores.outbox import ClaimedMail, Outbox
from server.background import background_task
from server.mail.messages import build_message
from server.mail.transport import MailNotSent, Transport

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class RetryPolicy:
    first: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(minutes=30)
    give_up_after: timedelta = timedelta(days=3)
    lease: timedelta = timedelta(minutes=3)  # longer than the transport's time limit
    poll_seconds: float = 15.0  # how often a node looks for due messages unwoken

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt (1, 2, ...)."""
        doubled: timedelta = self.first * (2 ** max(0, min(attempts - 1, 30)))
        return min(doubled, self.cap)


def _masked(reply: str, address: str | None) -> str:
    """The server's reply without the recipient's address (servers often quote it)."""
    if address:
        reply = reply.replace(address, "<recipient>")
        reply = reply.replace(address.lower(), "<recipient>")
    return " ".join(reply.split())


class MailWorker:
    def __init__(
        self,
        outbox: Outbox,
        transport: Transport,
        sender: str,
        *,
        policy: RetryPolicy | None = None,
        clock: Clock = utcnow,
        batch: int = 10,
    ) -> None:
        self._outbox = outbox
        self._transport = transport
        self._sender = sender
        self.policy = policy or RetryPolicy()
        self._clock = clock
        self._batch = batch
        self._wake = asyncio.Event()
        self.name = f"mail-{secrets.token_hex(3)}"

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wake.set()

    async def run_once(self) -> int:
        """Send what is due now; returns how many messages were tried."""
        claimed = await self._outbox.claim_due(self._clock(), self.policy.lease, limit=self._batch)
        for mail in claimed:
            try:
                await self._try(mail)
            except Exception as exc:  # a bug or the database: the others still go
                logger.exception("mail %s of case %s: not tried", mail.id, mail.case_id)
                with contextlib.suppress(Exception):
                    await self._not_sent(mail, None, f"internal error: {type(exc).__name__}", False)
        return len(claimed)

    async def _try(self, mail: ClaimedMail) -> None:
        if mail.contents is None:
            await self._outbox.set_failed(mail, None, "erased: the message can no longer be read")
            logger.info("mail %s of case %s: unreadable (erased), failed", mail.id, mail.case_id)
            return
        to = mail.contents.to
        message = build_message(mail.contents, self._sender, mail.message_id, self._clock())
        try:
            accepted = await self._transport.send(message, self._sender, to)
        except MailNotSent as exc:
            await self._not_sent(mail, exc.code, _masked(exc.reply, to), exc.permanent)
            return
        if await self._outbox.set_sent(
            mail, accepted.code, _masked(accepted.reply, to), self._clock()
        ):
            logger.info("mail %s of case %s: sent (%s)", mail.id, mail.case_id, accepted.code)
        else:
            logger.warning("mail %s: sent after its lease ran out", mail.id)

    async def _not_sent(
        self, mail: ClaimedMail, code: int | None, reply: str, permanent: bool
    ) -> None:
        now = self._clock()
        due = now + self.policy.delay(mail.attempts + 1)
        if permanent or due - mail.created_at > self.policy.give_up_after:
            await self._outbox.set_failed(mail, code, reply)
            logger.info("mail %s of case %s: failed (%s)", mail.id, mail.case_id, code)
        else:
            await self._outbox.set_retry(mail, code, reply, due)
            logger.info(
                "mail %s of case %s: not sent (%s), next try at %s",
                mail.id, mail.case_id, code, due.isoformat(timespec="seconds"),
            )  # fmt: skip

    async def run(self) -> None:
        """Round after round until cancelled; a round that fails is logged and retried."""
        while True:
            self._wake.clear()
            try:
                while await self.run_once() >= self._batch:
                    pass  # more may be due
            except Exception:
                logger.exception("mail outbox round failed; will try again")
            pause = await self._pause()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)

    async def _pause(self) -> float:
        """Seconds until the next message falls due, at most one poll interval (another
        node may queue one meanwhile)."""
        try:
            due = await self._outbox.get_next_due()
        except Exception:
            logger.exception("mail outbox: could not read when the next message is due")
            return self.policy.poll_seconds
        if due is None:
            return self.policy.poll_seconds
        wait = (due - self._clock()).total_seconds()
        return min(self.policy.poll_seconds, max(wait, 0.01))


def mail_task(worker: MailWorker) -> Callable[[web.Application], AsyncIterator[None]]:
    """The worker as an app background task, cancelled at cleanup."""
    return background_task("mail-outbox", worker.run)
