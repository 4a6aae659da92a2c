"""The mediator's agenda: the sessions of all their cases, and its calendar feed.

``GET /api/agenda`` lists the sessions of every case the mediator mediates that overlap
a window (``?start=&end=``, days in ``tz``; by default from now, 90 days). The feed is a
private subscription URL, ``{public_url}/agenda/<token>.ics``, that calendar apps fetch
without a cookie: it is created (or replaced) and shown once, revoked, and its state
read under ``/api/agenda/feed``. What it says of each session is decided in one place,
:func:`server.invites.ics.for_agenda`. The access log names the route's pattern, never
the path (``server/accesslog.py``), so the token is not logged.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import Field, StringConstraints, WithJsonSchema

from errors import ErrorCode
from records.errors import NotFound
from records.models import utcnow
from records.stores.agenda import MAX_ENTRIES
from server.context import require_mediator, services
from server.errors import ApiError
from server.invites import ics
from server.rest.api import Api, Out, Query, Strict, reply
from server.rest.shared import SessionOut, session_out, via, zone

DEFAULT_DAYS = 90
MAX_DAYS = 366
# What the feed holds: the recent past (a session just held stays in the calendar) and
# the coming year.
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=365)

AgendaDate = Annotated[
    date,
    Field(ge=date(2000, 1, 1), le=date(2199, 12, 31)),
    WithJsonSchema({"type": "string", "format": "date", "pattern": "^2[01][0-9]{2}-"}),
]
TimeZone = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+/-]+$")
]


class AgendaQuery(Query):
    start: AgendaDate | None = Field(None, description="first day (in tz); default: from now")
    end: AgendaDate | None = Field(None, description="last day, included (in tz)")
    tz: TimeZone = Field("Europe/Paris", description="the time zone of the days")


class AgendaSessionOut(SessionOut):
    ends_at: datetime
    case_reference: str
    case_public_title: str
    case_status: str
    role: str  # the mediator's in the case: "lead" or "co"
    participants: int
    invited: int  # participants whose invitation e-mail for this session was sent


class AgendaOut(Out):
    start: datetime
    end: datetime
    sessions: list[AgendaSessionOut]
    truncated: bool  # more sessions in the window than listed


class FeedIn(Strict):
    language: Literal["fr", "en"] = "fr"


class FeedOut(Out):
    exists: bool
    created_at: datetime | None
    last_used_at: datetime | None
    language: str | None


class FeedCreatedOut(Out):
    url: str  # shown this once: only its hash is kept
    created_at: datetime
    language: str


def window(query: AgendaQuery, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the agenda asked for; a validation error if it is upside down
    or longer than :data:`MAX_DAYS`."""
    tz = zone(query.tz)
    start = (
        datetime.combine(query.start, datetime.min.time(), tzinfo=tz)
        if query.start is not None
        else now
    )
    if query.end is not None:
        end = datetime.combine(query.end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    else:
        end = start + timedelta(days=DEFAULT_DAYS)
    if end <= start:
        raise ApiError(ErrorCode.VALIDATION, "end: before the start of the agenda")
    if end - start > timedelta(days=MAX_DAYS):
        raise ApiError(ErrorCode.VALIDATION, f"end: at most {MAX_DAYS} days after start")
    return start, end


async def agenda(request: web.Request, query: AgendaQuery) -> web.Response:
    me = await require_mediator(request)
    start, end = window(query, utcnow())
    store = services(request).records.agenda
    entries = await store.list_sessions(me.id, start, end)
    out = [
        AgendaSessionOut(
            **session_out(e.session).model_dump(),
            ends_at=e.session.starts_at + timedelta(minutes=e.session.duration_minutes),
            case_reference=e.case_reference,
            case_public_title=e.case_public_title,
            case_status=e.case_status,
            role=e.role,
            participants=e.participants,
            invited=e.invited,
        )
        for e in entries
    ]
    return reply(AgendaOut(start=start, end=end, sessions=out, truncated=len(out) >= MAX_ENTRIES))


async def get_feed(request: web.Request) -> web.Response:
    me = await require_mediator(request)
    state = await services(request).records.agenda.get_feed(me.id)
    if state is None:
        return reply(FeedOut(exists=False, created_at=None, last_used_at=None, language=None))
    return reply(
        FeedOut(
            exists=True,
            created_at=state.created_at,
            last_used_at=state.last_used_at,
            language=state.language,
        )
    )


async def create_feed(request: web.Request, body: FeedIn) -> web.Response:
    me = await require_mediator(request)
    svc = services(request)
    token = await svc.records.agenda.create_feed(me.id, body.language, via=via(request))
    state = await svc.records.agenda.get_feed(me.id)
    assert state is not None
    url = f"{svc.config.http.public_url}/agenda/{token}.ics"
    return reply(FeedCreatedOut(url=url, created_at=state.created_at, language=body.language), 201)


async def revoke_feed(request: web.Request) -> web.Response:
    me = await require_mediator(request)
    await services(request).records.agenda.revoke_feed(me.id, via=via(request))
    return web.Response(status=204)


async def feed(request: web.Request) -> web.Response:
    """The calendar itself, for the holder of the URL (no cookie: calendar apps)."""
    svc = services(request)
    store = svc.records.agenda
    owner = await store.feed_owner(request.match_info["token"])
    if owner is None:  # unknown, replaced, revoked: the same answer
        raise NotFound("no such calendar")
    now = utcnow()
    entries = await store.list_sessions(owner.mediator_id, now - FEED_PAST, now + FEED_AHEAD)
    public_url = svc.config.http.public_url
    host = urlsplit(public_url).hostname or "palabre"
    events = [
        ics.for_agenda(
            uid=f"session-{e.session.id}@{host}",
            starts_at=e.session.starts_at,
            duration=timedelta(minutes=e.session.duration_minutes),
            public_title=e.case_public_title,
            url=f"{public_url}/cases/{e.session.case_id}",
            cancelled=e.session.status == "cancelled",
            language=owner.language,
            modified_at=e.modified_at,
            sequence=e.sequence,
        )
        for e in entries
    ]
    body = ics.render_feed(events, name=ics.feed_name(owner.language), stamp=now)
    return web.Response(
        body=body.encode(),
        content_type="text/calendar",
        charset="utf-8",
        headers={
            "Cache-Control": "private, no-store",
            "X-Robots-Tag": "noindex",
            "Content-Disposition": 'inline; filename="palabre.ics"',
        },
    )


def register_routes(api: Api) -> None:
    tag = "agenda"
    api.add(
        "GET", "/api/agenda", agenda, summary="My sessions across all my cases (?start=&end=&tz=)",
        tag=tag, query=AgendaQuery, response=AgendaOut,
    )  # fmt: skip
    api.add(
        "GET", "/api/agenda/feed", get_feed, summary="Whether my calendar feed exists",
        tag=tag, response=FeedOut,
    )  # fmt: skip
    api.add(
        "POST", "/api/agenda/feed", create_feed,
        summary="Create (or replace) my calendar feed; its URL is shown once; audited",
        tag=tag, body=FeedIn, response=FeedCreatedOut, status=201,
    )  # fmt: skip
    api.add(
        "DELETE", "/api/agenda/feed", revoke_feed,
        summary="Revoke my calendar feed (its URL stops working); audited", tag=tag, status=204,
    )  # fmt: skip


# Outside /api and its OpenAPI document, like the pages: what calendar apps fetch. The
# pattern refuses anything that is not a token's shape before a database is asked.
FEED_PATH = "/agenda/{token:[A-Za-z0-9_-]{32,64}}.ics"


def register_feed(app: web.Application) -> None:
    app.router.add_get(FEED_PATH, feed)
