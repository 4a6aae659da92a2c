"""Queueing what participants invited by e-mail are told after their invitation.

Who is told: each participant with an invitation (or a new link) for the session in the
outbox that did not fail (:meth:`~records.stores.outbox.Outbox.list_invited`), in the
language of that message, at their current address. What: a notice when the session moves
(the new time, their link that still works, the updated event), a cancellation notice, a
reminder before it (:mod:`server.mail.reminders`), each stored in the outbox (audited
``mail.queued``) and sent by the outbox's worker. Each has a dedup key, unique in the
database: a move, a cancellation or a reminder for one start time is queued once per
person, whichever node or request tries it, even twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from records.errors import NotFound
from records.stores.cases import CaseStore
from records.stores.invites import LinkStatus, link_status
from records.stores.outbox import MailContents, MailStatus, NewMail, Outbox
from records.stores.scheduling import InviteLink, ScheduledSession, ScheduleStore
from server.config import SmtpConfig
from server.invites import ics
from server.invites.links import LinkService
from server.mail import messages, session_notices

logger = logging.getLogger(__name__)

NO_SMTP = "no SMTP server configured"


def reminder_key(session: ScheduledSession, participant_id: str) -> str:
    """One reminder per person and per start time of the session."""
    return f"reminder:{session.id}:{participant_id}:{int(session.starts_at.timestamp())}"


class Notifier:
    def __init__(
        self,
        schedule: ScheduleStore,
        cases: CaseStore,
        links: LinkService,
        outbox: Outbox,
        smtp: SmtpConfig,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self._schedule = schedule
        self._cases = cases
        self._links = links
        self._outbox = outbox
        self._smtp = smtp
        self._wake = wake

    async def _facts(
        self,
        session: ScheduledSession,
        participant_id: str,
        language: str,
        now: datetime,
        *,
        usable: bool,
    ) -> messages.InvitationFacts | None:
        """What a message to this person says; None when there is nobody to write to (no
        address, erased) or, ``usable``, no link of theirs that works."""
        link: InviteLink | None = await self._schedule.current_link(session.id, participant_id)
        if link is None:
            return None
        active = link_status(link, session, now) is LinkStatus.ACTIVE
        if usable and not active:
            return None
        try:
            participant = await self._cases.get_participant(session.case_id, participant_id)
        except NotFound:  # no longer in the case
            return None
        if not participant.email:
            return None
        info = await self._schedule.get_join_info(link.jti)
        return messages.InvitationFacts(
            to=participant.email, participant_name=participant.display_name,
            mediator_names=info.mediator_names, public_title=info.case_public_title,
            starts_at=session.starts_at, timezone=session.timezone,
            duration_minutes=session.duration_minutes,
            url=self._links.url_for(link) if active else "",
            event_uid=ics.event_uid(session.id, participant_id), language=language,
            sequence=session.sequence,
        )  # fmt: skip

    async def queue(
        self,
        session: ScheduledSession,
        participant_id: str,
        kind: str,
        contents: MailContents,
        language: str,
        now: datetime,
        *,
        dedup_key: str | None,
        actor: str,
        via: str,
    ) -> MailStatus | None:
        """Stores one message (None: one with this dedup key is stored already)."""
        queued = await self._outbox.create_mail_once(
            NewMail(
                case_id=session.case_id, session_id=session.id, participant_id=participant_id,
                kind=kind, language=language,
                message_id=messages.new_message_id(self._smtp.sender), contents=contents,
                note=None if self._smtp.configured else NO_SMTP, dedup_key=dedup_key,
            ),
            now, actor=actor, via=via,
        )  # fmt: skip
        if queued is not None and self._wake is not None:
            self._wake()
        return queued

    async def _tell_invited(
        self,
        session: ScheduledSession,
        kind: str,
        compose: Callable[[messages.InvitationFacts], MailContents],
        key: Callable[[str], str],
        now: datetime,
        *,
        usable: bool,
        actor: str,
        via: str,
    ) -> int:
        count = 0
        for pid, language in (await self._outbox.list_invited(session.id)).items():
            facts = await self._facts(session, pid, language, now, usable=usable)
            if facts is None:
                continue
            queued = await self.queue(
                session, pid, kind, compose(facts), language, now, dedup_key=key(pid),
                actor=actor, via=via,
            )  # fmt: skip
            count += queued is not None
        return count

    async def session_moved(
        self, session: ScheduledSession, previous: datetime, now: datetime, *, actor: str, via: str
    ) -> int:
        """A notice to each person invited by e-mail; how many were queued."""
        org = self._smtp.sender
        return await self._tell_invited(
            session, session_notices.MOVED,
            lambda f: session_notices.moved(f, previous, now, organizer=org),
            lambda pid: f"moved:{session.id}:{pid}:{session.sequence}", now,
            usable=True, actor=actor, via=via,
        )  # fmt: skip

    async def session_cancelled(
        self, session: ScheduledSession, now: datetime, *, actor: str, via: str
    ) -> int:
        """A cancellation notice to each person invited by e-mail; how many were queued."""
        org = self._smtp.sender
        return await self._tell_invited(
            session, session_notices.CANCELLED,
            lambda f: session_notices.cancelled(f, now, organizer=org),
            lambda pid: f"cancelled:{session.id}:{pid}", now,
            usable=False, actor=actor, via=via,
        )  # fmt: skip

    async def remind(self, session: ScheduledSession, now: datetime) -> int:
        """The reminder to each person invited by e-mail who has not had one for this start
        time; how many were queued (by this caller: another node may queue some)."""
        invited = await self._outbox.list_invited(session.id)
        keys = {pid: reminder_key(session, pid) for pid in invited}
        done = await self._outbox.queued_keys(list(keys.values()))
        org = self._smtp.sender
        count = 0
        for pid, language in invited.items():
            if keys[pid] in done:
                continue
            facts = await self._facts(session, pid, language, now, usable=True)
            if facts is None:
                continue
            contents = session_notices.reminder(facts, now, organizer=org)
            queued = await self.queue(
                session, pid, session_notices.REMINDER, contents, language, now,
                dedup_key=keys[pid], actor="system", via="mail",
            )  # fmt: skip
            count += queued is not None
        return count
