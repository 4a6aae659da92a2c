"""What several REST areas use, in one place (no area module imports another).

- Who is asking in a live session: :func:`caller` (a party's link or a mediator's cookie).
- The audit channel of a request: :func:`via`.
- Serving a stored file: :data:`DOCUMENT_TYPES`, :data:`CONTENT_CSP`,
  :func:`content_disposition`.
- A scheduled session as the API shows it: :class:`SessionOut`, :func:`session_out`,
  and :func:`zone` for its time zone.
- Telling the live sessions of a case what was just stored: :func:`tell_sessions`.
- A participant's link to send (copied or e-mailed): :func:`link_to_send`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from errors import ErrorCode
from records.models import utcnow
from records.stores.invites import LinkStatus, link_status
from records.stores.scheduling import InviteLink, ScheduledSession, participant_key
from server.context import services
from server.errors import ApiError
from server.realtime import AUTHENTICATOR_KEY, GATEWAY_KEY
from server.rest.api import Out
from signaling.commands import Command, LinkRevoked
from signaling.identity import Identity

# -- who is asking -------------------------------------------------------------------


async def caller(request: web.Request, session_id: str) -> Identity:
    """A party by link token (Bearer), else a mediator of this session by cookie."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(ErrorCode.NOT_AUTHENTICATED, "send Authorization: Bearer <token>")
        auth, cookies = {"token": token.strip()}, {}
    else:
        auth, cookies = {"session_id": session_id}, dict(request.cookies)
    identity = await request.app[AUTHENTICATOR_KEY].authenticate(auth, cookies)
    if identity.session_id != session_id:
        raise ApiError(ErrorCode.FORBIDDEN, "this link is for another session")
    return identity


def via(request: web.Request) -> str:
    """The request's route, as the audit log records the channel of an access."""
    route = request.match_info.route.resource
    path = route.canonical if route is not None else request.path
    return f"api:{request.method} {path}"[:120]


# -- serving a stored file -----------------------------------------------------------

# What a shared document can be (decided from its bytes, records/files/uploads.py).
DOCUMENT_TYPES = ("application/pdf", "image/png", "image/jpeg", "text/plain")
# What the browser may do with a document opened on its own: nothing active.
CONTENT_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def content_disposition(kind: str, filename: str) -> str:
    """``inline`` or ``attachment`` with the file's name, plain ASCII and UTF-8 (RFC 6266)."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in filename)
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


# -- a scheduled session -------------------------------------------------------------


class SessionOut(Out):
    id: str
    case_id: str
    starts_at: datetime
    local_start: datetime
    timezone: str
    duration_minutes: int
    status: str


def zone(name: str) -> ZoneInfo:
    """The time zone named, or a validation error (400) for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApiError(ErrorCode.VALIDATION, "timezone: unknown time zone") from None


def session_out(s: ScheduledSession) -> SessionOut:
    return SessionOut(
        id=s.id,
        case_id=s.case_id,
        starts_at=s.starts_at,
        local_start=s.starts_at.astimezone(zone(s.timezone)),
        timezone=s.timezone,
        duration_minutes=s.duration_minutes,
        status=s.status,
    )


# -- the live sessions of a case ---------------------------------------------------------


async def tell_sessions(
    request: web.Request,
    sessions: list[ScheduledSession],
    command: Callable[[str], Command],
) -> None:
    """Once a change is stored: each of ``sessions`` that runs now acts on it, on whichever
    node runs it (``command``: what to tell a session, from its id)."""
    gateway = request.app[GATEWAY_KEY]
    for session in sessions:
        await gateway.send(command(session.id))


# -- a participant's link to send ----------------------------------------------------------


async def issue_new_link(
    request: web.Request, session_id: str, participant_id: str, mediator_id: str
) -> InviteLink:
    """A new link for the participant (their earlier ones stop working: whoever is
    connected with one leaves now, on whichever node runs the session)."""
    link = await services(request).links.issue(session_id, participant_id, mediator_id)
    await request.app[GATEWAY_KEY].send(
        LinkRevoked(session_id=link.session_id, key=participant_key(link.participant_id))
    )
    return link


async def link_to_send(
    request: web.Request, session_id: str, participant_id: str, mediator_id: str
) -> InviteLink:
    """The participant's active link, as the case page shows it to copy; a new one if
    they have none that works (never issued, revoked, expired)."""
    svc = services(request)
    session = await svc.schedule.get_session(session_id, mediator_id)
    current = next(
        (x for x in await svc.schedule.list_links(session_id, mediator_id)
         if x.participant_id == participant_id),
        None,
    )  # fmt: skip
    if current is not None and link_status(current, session, utcnow()) is LinkStatus.ACTIVE:
        return current
    return await issue_new_link(request, session_id, participant_id, mediator_id)
