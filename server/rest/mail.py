"""E-mail of a case: sending a participant's invitation, and the case's outbox.

The invitation carries the participant's personal link, the same one the case page shows
to copy (a new one when they have none that works), and the session's .ics. It is stored
in the outbox first (:mod:`records.stores.outbox`) and sent by the outbox's worker
(:mod:`server.mail.worker`); without an SMTP server it waits there, and the mediator can
open it to copy it into their own mail program.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from aiohttp import web
from pydantic import Field

from errors import ErrorCode
from records.models import utcnow
from records.stores.cases import MAX_REMINDER_HOURS
from records.stores.outbox import MailState, MailStatus
from server.context import require_mediator, services
from server.errors import ApiError
from server.invites import ics
from server.mail import messages, session_notices
from server.mail.session_notices import NEW_LINK
from server.rest.api import Api, Out, Strict, reply
from server.rest.shared import link_to_send, via


class InvitationMailIn(Strict):
    # None: the language of the person's last invitation to the session (else French)
    language: Literal["fr", "en"] | None = None


class MailOut(Out):
    id: str
    kind: str
    session_id: str | None
    participant_id: str | None
    recipient_name: str | None  # None: the person was erased
    language: str
    state: MailState
    attempts: int
    last_code: int | None
    last_reply: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None


class OutboxOut(Out):
    smtp_configured: bool
    messages: list[MailOut]


class MailCopyOut(Out):
    """A message to copy into one's own mail program (no SMTP server to send it)."""

    to: str
    subject: str
    text: str


def _out(m: MailStatus) -> MailOut:
    return MailOut(
        id=m.id, kind=m.kind, session_id=m.session_id, participant_id=m.participant_id,
        recipient_name=m.recipient_name, language=m.language, state=m.state,
        attempts=m.attempts, last_code=m.last_code, last_reply=m.last_reply,
        created_at=m.created_at, next_attempt_at=m.next_attempt_at, sent_at=m.sent_at,
    )  # fmt: skip


async def send_invitation(request: web.Request, body: InvitationMailIn) -> web.Response:
    """The invitation; or, to someone invited by e-mail before whose link was withdrawn or
    re-issued since, their new link (kind ``new_link``: the earlier one no longer works)."""
    me = await require_mediator(request)
    svc = services(request)
    session_id = request.match_info["session_id"]
    participant_id = request.match_info["participant_id"]
    session = await svc.schedule.get_session(session_id, me.id)  # NotFound unless theirs
    participant = await svc.cases.get_participant(session.case_id, participant_id)
    if not participant.email:
        raise ApiError(ErrorCode.VALIDATION, "email: this participant has no e-mail address")
    invited_at = await svc.records.outbox.last_invited_at(session_id, participant_id)
    language = body.language or (await svc.records.outbox.list_invited(session_id)).get(
        participant_id, "fr"
    )
    link = await link_to_send(request, session_id, participant_id, me.id)
    info = await svc.schedule.get_join_info(link.jti)
    now = utcnow()
    facts = messages.InvitationFacts(
        to=participant.email, participant_name=participant.display_name,
        mediator_names=info.mediator_names, public_title=info.case_public_title,
        starts_at=session.starts_at, timezone=session.timezone,
        duration_minutes=session.duration_minutes, url=svc.links.url_for(link),
        event_uid=ics.event_uid(session_id, participant_id), language=language,
        sequence=session.sequence,
    )  # fmt: skip
    renewed = invited_at is not None and link.issued_at > invited_at
    if renewed:
        kind, contents = (
            NEW_LINK,
            session_notices.new_link(facts, now, organizer=svc.config.smtp.sender),
        )
    else:
        kind, contents = "invitation", messages.invitation(facts, now)
    assert svc.notifier is not None
    queued = await svc.notifier.queue(
        session, participant_id, kind, contents, language, now, dedup_key=None,
        actor=f"mediator:{me.id}", via=via(request),
    )  # fmt: skip
    assert queued is not None  # no dedup key: always queued
    return reply(_out(queued), 202)


async def list_outbox(request: web.Request) -> web.Response:
    me = await require_mediator(request)
    svc = services(request)
    case_id = request.match_info["case_id"]
    await svc.cases.require_mediator(case_id, me.id)
    mail = await svc.records.outbox.list_mail(case_id)
    return reply(
        OutboxOut(smtp_configured=svc.config.smtp.configured, messages=[_out(m) for m in mail])
    )


async def copy_mail(request: web.Request) -> web.Response:
    me = await require_mediator(request)
    svc = services(request)
    case_id, mail_id = request.match_info["case_id"], request.match_info["mail_id"]
    await svc.cases.require_mediator(case_id, me.id)
    contents = await svc.records.outbox.get_contents(case_id, mail_id)
    await svc.records.audit.append(
        actor=f"mediator:{me.id}", action="mail.read", case_id=case_id, session_id=None,
        subject=None, detail={"mail": mail_id}, via=via(request),
    )  # fmt: skip
    return reply(MailCopyOut(to=contents.to, subject=contents.subject, text=contents.text))


# -- the case's reminder before each session ------------------------------------------------


class ReminderIn(Strict):
    hours: Annotated[int, Field(ge=0, le=MAX_REMINDER_HOURS)]  # 0: no reminder


class ReminderOut(Out):
    hours: int  # before each session, invited participants get a reminder; 0: none
    max_hours: int


async def get_reminder(request: web.Request) -> web.Response:
    me = await require_mediator(request)
    hours = await services(request).cases.get_reminder_hours(request.match_info["case_id"], me.id)
    return reply(ReminderOut(hours=hours, max_hours=MAX_REMINDER_HOURS))


async def put_reminder(request: web.Request, body: ReminderIn) -> web.Response:
    me = await require_mediator(request)
    case_id = request.match_info["case_id"]
    await services(request).cases.set_reminder_hours(case_id, me.id, body.hours, via=via(request))
    return reply(ReminderOut(hours=body.hours, max_hours=MAX_REMINDER_HOURS))


def register_routes(api: Api) -> None:
    tag = "mail"
    api.add(
        "POST", "/api/sessions/{session_id}/links/{participant_id}/email", send_invitation,
        summary="Send a participant's invitation (personal link and .ics) by e-mail",
        tag=tag, body=InvitationMailIn, response=MailOut, status=202,
    )  # fmt: skip
    api.add(
        "GET", "/api/cases/{case_id}/outbox", list_outbox,
        summary="The case's e-mail and where each stands (no contents)", tag=tag,
        response=OutboxOut,
    )  # fmt: skip
    api.add(
        "GET", "/api/cases/{case_id}/outbox/{mail_id}", copy_mail,
        summary="One message's recipient, subject and text, to copy (audited)", tag=tag,
        response=MailCopyOut,
    )  # fmt: skip
    api.add(
        "GET", "/api/cases/{case_id}/reminder", get_reminder,
        summary="How long before each session invited participants are reminded", tag=tag,
        response=ReminderOut,
    )  # fmt: skip
    api.add(
        "PUT", "/api/cases/{case_id}/reminder", put_reminder,
        summary="Set the reminder before each session (hours; 0: none; audited)", tag=tag,
        body=ReminderIn, response=ReminderOut,
    )  # fmt: skip
