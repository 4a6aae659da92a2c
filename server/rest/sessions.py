"""Scheduling sessions of a case and managing each participant's personal link."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal

from aiohttp import web
from pydantic import Field, StringConstraints, WithJsonSchema

from errors import ErrorCode
from records.errors import NotFound
from records.models import utcnow
from records.stores.cases import ParticipantRole
from records.stores.invites import LinkStatus, link_expiry, link_status
from records.stores.scheduling import ScheduledSession, participant_key, require_changeable
from server.context import require_mediator, services
from server.errors import ApiError
from server.invites import ics
from server.realtime import GATEWAY_KEY
from server.rest.api import Api, Out, Query, Strict, reply
from server.rest.shared import SessionOut, issue_new_link, session_out, via, zone
from sessions.durable import DurableState
from sessions.errors import SessionError
from signaling.commands import LinkRevoked, SessionClosed

logger = logging.getLogger(__name__)

# Years 2000 to 2199: what a session's date can be, said the same way to OpenAPI.
SessionDate = Annotated[
    date,
    Field(ge=date(2000, 1, 1), le=date(2199, 12, 31)),
    WithJsonSchema({"type": "string", "format": "date", "pattern": "^2[01][0-9]{2}-"}),
]
TimeZone = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+/-]+$")
]


class SessionIn(Strict):
    date: SessionDate
    time: time
    timezone: TimeZone = "Europe/Paris"
    duration_minutes: Annotated[int, Field(ge=15, le=720)] = 120


class SessionListOut(Out):
    sessions: list[SessionOut]


# a link's status (records.stores.invites.LinkStatus), or "none": no link yet
LinkState = Literal["active", "revoked", "expired", "session_closed", "cancelled", "none"]


_STATES: dict[LinkStatus, LinkState] = {
    LinkStatus.ACTIVE: "active",
    LinkStatus.REVOKED: "revoked",
    LinkStatus.EXPIRED: "expired",
    LinkStatus.SESSION_CLOSED: "session_closed",
    LinkStatus.CANCELLED: "cancelled",
}


class LinkOut(Out):
    participant_id: str
    key: str  # the participant's key in the live session (roster, rooms, lobby)
    participant_name: str
    role: ParticipantRole
    status: LinkState
    jti: str | None
    url: str | None
    expires_at: datetime | None


class LinkListOut(Out):
    links: list[LinkOut]


async def schedule_session(request: web.Request, body: SessionIn) -> web.Response:
    me = await require_mediator(request)
    tz = zone(body.timezone)
    starts_at = datetime.combine(body.date, body.time, tzinfo=tz)
    if starts_at + timedelta(minutes=body.duration_minutes) < utcnow():
        raise ApiError(ErrorCode.VALIDATION, "date: this session would already be over")
    svc = services(request)
    session = await svc.schedule.schedule_session(
        request.match_info["case_id"], me.id, starts_at, body.timezone, body.duration_minutes
    )
    # each participant's personal link comes with the session, ready to send
    case = await svc.cases.get_case_header(session.case_id, me.id)  # no description read
    for participant in case.participants:
        try:
            await svc.links.issue(session.id, participant.id, me.id)
        except NotFound:  # erased meanwhile: nobody to invite
            continue
    return reply(session_out(session), 201)


async def list_sessions(request: web.Request) -> web.Response:
    me = await require_mediator(request)
    sessions = await services(request).schedule.list_sessions(request.match_info["case_id"], me.id)
    return reply(SessionListOut(sessions=[session_out(s) for s in sessions]))


async def list_links(request: web.Request) -> web.Response:
    me = await require_mediator(request)
    svc = services(request)
    session = await svc.schedule.get_session(request.match_info["session_id"], me.id)
    case = await svc.cases.get_case_header(session.case_id, me.id)  # no description read
    current = {
        link.participant_id: link for link in await svc.schedule.list_links(session.id, me.id)
    }
    out = []
    now = utcnow()
    for p in case.participants:
        link = current.get(p.id)
        status = _STATES[link_status(link, session, now)] if link else "none"
        out.append(
            LinkOut(
                participant_id=p.id,
                key=participant_key(p.id),
                participant_name=p.display_name,
                role=p.role,
                status=status,
                jti=link.jti if link else None,
                url=svc.links.url_for(link) if link and status == "active" else None,
                expires_at=link.expires_at if link else None,
            )
        )
    return reply(LinkListOut(links=out))


async def issue_link(request: web.Request) -> web.Response:
    me = await require_mediator(request)
    svc = services(request)
    link = await issue_new_link(
        request, request.match_info["session_id"], request.match_info["participant_id"], me.id
    )
    info = await svc.schedule.get_join_info(link.jti)
    return reply(
        LinkOut(
            participant_id=link.participant_id,
            key=participant_key(link.participant_id),
            participant_name=info.participant_name,
            role=link.role,
            status="active",
            jti=link.jti,
            url=svc.links.url_for(link),
            expires_at=link.expires_at,
        ),
        201,
    )


async def revoke_link(request: web.Request) -> web.Response:
    me = await require_mediator(request)
    link = await services(request).schedule.revoke_link(request.match_info["jti"], me.id)
    # stored first; then whoever is connected with it leaves at once, on whichever node
    # runs the session
    key = participant_key(link.participant_id)
    await request.app[GATEWAY_KEY].send(
        LinkRevoked(session_id=link.session_id, key=key, link_id=link.jti)
    )
    return web.Response(status=204)


class InvitationQuery(Query):
    lang: Literal["fr", "en"] = "fr"


async def invitation(request: web.Request, query: InvitationQuery) -> web.Response:
    me = await require_mediator(request)
    svc = services(request)
    session_id, participant_id = (
        request.match_info["session_id"],
        request.match_info["participant_id"],
    )
    links = await svc.schedule.list_links(session_id, me.id)
    link = next((x for x in links if x.participant_id == participant_id), None)
    info = await svc.schedule.get_join_info(link.jti) if link is not None else None
    if info is None or link_status(info.link, info.session, utcnow()) is not LinkStatus.ACTIVE:
        raise NotFound("this participant has no active link for the session")
    link = info.link
    body = ics.render(
        ics.for_link(
            uid=ics.event_uid(link.session_id, link.participant_id),
            starts_at=info.session.starts_at,
            duration=timedelta(minutes=info.session.duration_minutes),
            public_title=info.case_public_title,
            mediator_names=info.mediator_names,
            url=svc.links.url_for(link),
            language=query.lang,
            stamp=utcnow(),
            sequence=info.session.sequence,
        )
    )
    return web.Response(
        body=body.encode(),
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="mediation.ics"'},
    )


# -- moving and cancelling a session ---------------------------------------------------------


class SessionChangeOut(SessionOut):
    notices_queued: int  # e-mail notices queued for the participants invited by e-mail


async def _require_not_started(request: web.Request, session: ScheduledSession) -> None:
    """Refused once someone took part in the session's room (its stored live state says
    so): what happened there stays at the time it happened; the mediator ends it."""
    stored = await services(request).records.live.load(session.case_id, session.id)
    if stored is None:
        return
    try:
        took_part = DurableState.from_record(stored[1]).took_part
    except SessionError:
        took_part = frozenset({"unreadable"})  # cannot tell: as if someone had
    if took_part:
        raise ApiError(
            ErrorCode.SESSION_STARTED,
            "people took part in this session: it can no longer be moved or cancelled",
        )


async def move_session(request: web.Request, body: SessionIn) -> web.Response:
    me = await require_mediator(request)
    svc = services(request)
    tz = zone(body.timezone)
    starts_at = datetime.combine(body.date, body.time, tzinfo=tz)
    now = utcnow()
    if starts_at <= now:
        raise ApiError(ErrorCode.VALIDATION, "date: a session cannot move into the past")
    before = await svc.schedule.get_session(request.match_info["session_id"], me.id)
    require_changeable(before)
    await _require_not_started(request, before)
    after = ScheduledSession(
        before.id, before.case_id, starts_at, body.timezone, body.duration_minutes, before.status
    )
    moved = await svc.schedule.move_session(
        before.id, me.id, starts_at, body.timezone, body.duration_minutes,
        link_expiry(after, svc.links.grace),
    )  # fmt: skip
    actor = f"mediator:{me.id}"
    await svc.records.audit.append(
        actor=actor, action="session.moved", case_id=moved.case_id, session_id=moved.id,
        subject=None, detail={"sequence": moved.sequence}, via=via(request),
    )  # fmt: skip
    assert svc.notifier is not None
    async with _telling(moved, "moved"):
        queued = await svc.notifier.session_moved(
            moved, before.starts_at, now, actor=actor, via=via(request)
        )
    return reply(SessionChangeOut(**session_out(moved).model_dump(), notices_queued=queued))


async def cancel_session(request: web.Request) -> web.Response:
    """Cancels the session and tells whoever was invited by e-mail. Cancelling a cancelled
    session again queues only the notices still missing (each has its dedup key): the
    mediator's way to finish a cancellation whose notices could not all be queued."""
    me = await require_mediator(request)
    svc = services(request)
    before = await svc.schedule.get_session(request.match_info["session_id"], me.id)
    actor = f"mediator:{me.id}"
    if before.status == "cancelled":
        cancelled = before
    else:
        require_changeable(before)
        await _require_not_started(request, before)
        cancelled = await svc.schedule.cancel_session(before.id, me.id)
        await svc.records.audit.append(
            actor=actor, action="session.cancelled", case_id=cancelled.case_id,
            session_id=cancelled.id, subject=None, detail={"sequence": cancelled.sequence},
            via=via(request),
        )  # fmt: skip
    # stored first; then whoever waits in its lobby leaves, on whichever node runs it
    await request.app[GATEWAY_KEY].send(SessionClosed(session_id=cancelled.id))
    assert svc.notifier is not None
    async with _telling(cancelled, "cancelled"):
        queued = await svc.notifier.session_cancelled(
            cancelled, utcnow(), actor=actor, via=via(request)
        )
    return reply(SessionChangeOut(**session_out(cancelled).model_dump(), notices_queued=queued))


@contextlib.asynccontextmanager
async def _telling(session: ScheduledSession, change: str) -> AsyncIterator[None]:
    """Queueing the notices of a change already stored: a failure says so plainly (503,
    try again) instead of an internal error; the notices queued before it stay queued and
    are not queued twice when the mediator tries again."""
    try:
        yield
    except ApiError:
        raise
    except Exception as exc:  # the database refused or is gone: the change itself is stored
        logger.warning(
            "session %s: %s, its notices not all queued (%s)",
            session.id, change, type(exc).__qualname__,
        )  # fmt: skip
        raise ApiError(
            ErrorCode.SERVER_BUSY,
            f"the session is {change}, but the people invited could not all be told yet: "
            "do it again to tell them",
        ) from None


def register_routes(api: Api) -> None:
    tag = "sessions"
    api.add(
        "POST", "/api/cases/{case_id}/sessions", schedule_session, summary="Schedule a session",
        tag=tag, body=SessionIn, response=SessionOut, status=201,
    )  # fmt: skip
    api.add(
        "GET", "/api/cases/{case_id}/sessions", list_sessions, summary="Sessions of a case",
        tag=tag, response=SessionListOut,
    )  # fmt: skip
    api.add(
        "GET", "/api/sessions/{session_id}/links", list_links,
        summary="Each participant's current link", tag=tag, response=LinkListOut,
    )  # fmt: skip
    api.add(
        "POST", "/api/sessions/{session_id}/links/{participant_id}", issue_link,
        summary="Issue (or re-issue) a participant's link", tag=tag, response=LinkOut, status=201,
    )  # fmt: skip
    api.add(
        "POST", "/api/links/{jti}/revoke", revoke_link, summary="Revoke a link", tag=tag,
        status=204,
    )  # fmt: skip
    api.add(
        "GET", "/api/sessions/{session_id}/links/{participant_id}/invitation.ics", invitation,
        summary="Calendar invitation carrying the participant's link", tag=tag,
        query=InvitationQuery, produces="text/calendar",
    )  # fmt: skip
    api.add(
        "POST", "/api/sessions/{session_id}/move", move_session,
        summary="Move a scheduled session (its links follow; invited people are told)",
        tag=tag, body=SessionIn, response=SessionChangeOut,
    )  # fmt: skip
    api.add(
        "POST", "/api/sessions/{session_id}/cancel", cancel_session,
        summary="Cancel a scheduled session (its links stop working; invited people are told)",
        tag=tag, response=SessionChangeOut,
    )  # fmt: skip
