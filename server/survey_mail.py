"""The questionnaire by e-mail: what follows a session's end (:class:`signaling.ports.FollowUp`).

Once the end is stored and everyone in the room was told, each party who took part in the
session, has an e-mail address and was not removed from it (their link withdrawn: their
end page offers no questionnaire either) is sent the questionnaire's own link
(:mod:`server.invites.survey_links`), in the language of their latest invitation by
e-mail (French when none was sent). Not counsel, not observers, not mediators: the
questionnaire is the parties'. The message is queued in the outbox under the party's data
key like every message of the case, named by session and participant
(:meth:`~records.stores.outbox.Outbox.create_mail_once`): two nodes, a takeover or a
restart that end the same session again queue nothing more. Who took part is stored with
the end (:meth:`~records.stores.scheduling.ScheduleStore.end_session`) until this is done:
if the node stops or the database fails in between, a catch-up round (:meth:`SurveyMail.run`,
on every node) queues what is missing.

The outbox row names its recipient, as every message does; nothing in it says whether or
what they answered, and the survey's tables hold nothing that names the mail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime

from records.models import utcnow
from records.stores.cases import CaseStore, ParticipantRole
from records.stores.outbox import NewMail, Outbox
from records.stores.scheduling import ScheduleStore, participant_key
from server.background import repeat
from server.config import SmtpConfig
from server.invites.survey_links import SurveyLinks
from server.mail.messages import new_message_id
from server.mail.survey_texts import SurveyFacts, survey_mail

logger = logging.getLogger(__name__)

KIND = "survey"
FIRST_ROUND_DELAY = 30.0  # let the server settle first
CATCH_UP_SECONDS = 120.0  # a questionnaire whose queueing failed goes at most this late
NO_SMTP = "no SMTP server configured"  # the note the case page shows (as for invitations)


class SurveyMail:
    def __init__(
        self,
        schedule: ScheduleStore,
        cases: CaseStore,
        outbox: Outbox,
        links: SurveyLinks,
        smtp: SmtpConfig,
        wake: Callable[[], None] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._schedule = schedule
        self._cases = cases
        self._outbox = outbox
        self._links = links
        self._smtp = smtp
        self._wake = wake
        self._clock = clock

    async def session_ended(self, session_id: str, took_part: Collection[str]) -> None:
        roster = await self._schedule.get_roster(session_id)
        case_id = roster.session.case_id
        queued = 0
        for pid, _name, role in roster.participants:
            if role is not ParticipantRole.PARTY or participant_key(pid) not in took_part:
                continue
            if await self._queue(case_id, session_id, pid):
                queued += 1
        if queued and self._wake is not None:
            self._wake()
        await self._schedule.follow_up_done(session_id)
        logger.info("session %s: questionnaire queued by e-mail for %d parties", session_id, queued)

    async def catch_up(self) -> int:
        """What follows the ends stored but not followed up (a node stopped, or the database
        failed, in between); how many sessions it did. A session that fails again is
        logged and left for the next round; the others still go."""
        done = 0
        for session_id, took_part in await self._schedule.follow_ups_due():
            try:
                await self.session_ended(session_id, took_part)
            except Exception as exc:  # the database may fail in any way
                logger.warning(
                    "session %s: questionnaire not queued yet (%s)", session_id,
                    type(exc).__name__,
                )  # fmt: skip
                continue
            done += 1
        return done

    async def run(self, first_delay: float = FIRST_ROUND_DELAY) -> None:
        """Catch-up rounds until cancelled (every node runs them: the dedup keys make each
        message queued once)."""
        await repeat(self.catch_up, first_delay, CATCH_UP_SECONDS, "questionnaire catch-up")

    async def _queue(self, case_id: str, session_id: str, pid: str) -> bool:
        person = await self._cases.get_participant(case_id, pid)
        link = await self._schedule.current_link(session_id, pid)
        if not person.email or link is None or link.revoked_at is not None:
            return False  # nobody to write to, or removed from it: no questionnaire either
        language = await self._outbox.get_language(case_id, pid, "invitation") or "fr"
        now = self._clock()
        contents = survey_mail(
            SurveyFacts(
                to=person.email, participant_name=person.display_name,
                url=self._links.url_for(link.jti, language, now), language=language,
            )
        )  # fmt: skip
        new = NewMail(
            case_id=case_id, session_id=session_id, participant_id=pid, kind=KIND,
            language=language, message_id=new_message_id(self._smtp.sender), contents=contents,
            note=None if self._smtp.configured else NO_SMTP,
            dedup_key=f"{KIND}:{session_id}:{pid}",
        )  # fmt: skip
        queued = await self._outbox.create_mail_once(new, now, actor="system", via="socket")
        return queued is not None
