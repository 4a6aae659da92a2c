"""Whether a personal invite link may be used: the one decision every route shares.

The join page, the consent form, the session's own routes (documents, board exports),
the socket's connect and the mediator's list of links all ask :func:`link_status` (a
link the registry knows) or :func:`require_usable` (a link someone presents), so a
link is never active on one route and refused on another, and a refusal is the same
code everywhere. The signed token itself (its signature, its audience) is the
server's to check; this module decides from what the token claims and what the
registry holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from errors import ErrorCode
from records.errors import Conflict, RecordsError
from records.stores.scheduling import InviteLink, JoinInfo, ScheduledSession


class LinkStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"  # withdrawn by a mediator, or replaced by a newer link
    EXPIRED = "expired"  # past the session's end and the grace after it
    SESSION_CLOSED = "session_closed"  # the mediator ended the session
    CANCELLED = "cancelled"  # the mediator cancelled the session
    INVALID = "invalid"  # not a link the registry knows, or not the one it claims to be


@dataclass(frozen=True)
class LinkClaims:
    """What an authentic (signature-checked) token says about its link."""

    jti: str
    session_id: str
    participant_id: str
    role: str
    expires_at: int  # POSIX seconds


class LinkRefused(RecordsError):
    """A link that cannot be used; the code says why, ``contact`` whom to write to."""

    def __init__(self, code: ErrorCode, message: str, contact: str = "") -> None:
        super().__init__(message, code)
        self.contact = contact


_REFUSALS = {
    LinkStatus.INVALID: (ErrorCode.LINK_INVALID, "this link is not valid"),
    LinkStatus.REVOKED: (ErrorCode.LINK_REVOKED, "this link has been withdrawn"),
    LinkStatus.EXPIRED: (ErrorCode.LINK_EXPIRED, "this link has expired"),
    LinkStatus.SESSION_CLOSED: (ErrorCode.SESSION_CLOSED, "this session has ended"),
    LinkStatus.CANCELLED: (ErrorCode.SESSION_CANCELLED, "this session was cancelled"),
}

# What a link's holder may be told, whichever route or the socket they came by.
REFUSAL_CODES = frozenset(code for code, _ in _REFUSALS.values())


def link_expiry(session: ScheduledSession, grace: timedelta) -> datetime:
    """When a link for ``session`` stops working: its end, plus ``grace``."""
    return session.starts_at + timedelta(minutes=session.duration_minutes) + grace


def past_its_time(expires_at: float, now: float) -> bool:
    """Whether a link that works until ``expires_at`` (POSIX seconds) has expired at
    ``now``: the one rule, for the registry's links, presented tokens and connections."""
    return now >= expires_at


def link_status(link: InviteLink, session: ScheduledSession, now: datetime) -> LinkStatus:
    """The status of a link the registry holds. A withdrawn link says so even once past
    its time (what the mediator did is what its holder is told), and so does a cancelled
    session; then its time; then whether the mediator ended the session."""
    if link.revoked_at is not None:
        return LinkStatus.REVOKED
    if session.status == "cancelled":
        return LinkStatus.CANCELLED
    if past_its_time(link.expires_at.timestamp(), now.timestamp()):
        return LinkStatus.EXPIRED
    if session.status == "ended":
        return LinkStatus.SESSION_CLOSED
    return LinkStatus.ACTIVE


def presented_status(claims: LinkClaims, info: JoinInfo | None, now: datetime) -> LinkStatus:
    """The status of a link someone presents: ``info`` is what the registry holds under
    the token's id (None: nothing, e.g. erased with its case)."""
    if info is None:
        past = past_its_time(claims.expires_at, now.timestamp())
        return LinkStatus.EXPIRED if past else LinkStatus.INVALID
    link = info.link
    if (link.session_id, link.participant_id, link.role.value) != (
        claims.session_id,
        claims.participant_id,
        claims.role,
    ):
        return LinkStatus.INVALID
    # The registry's expiry rules, not the token's: a link follows its session when the
    # session moves (:meth:`~records.stores.scheduling.ScheduleStore.move_session`), and a
    # token already sent must keep working at the new time.
    return link_status(link, info.session, now)


def require_usable(claims: LinkClaims, info: JoinInfo | None, now: datetime) -> JoinInfo:
    """``info`` when the presented link is active; else :class:`LinkRefused` with the
    lead mediator's address when the link is genuine (never for an invalid one)."""
    status = presented_status(claims, info, now)
    if status is LinkStatus.ACTIVE:
        assert info is not None
        return info
    code, message = _REFUSALS[status]
    contact = (
        info.lead_mediator_email if info is not None and status is not LinkStatus.INVALID else ""
    )
    raise LinkRefused(code, message, contact)


def require_genuine(claims: LinkClaims, info: JoinInfo | None, now: datetime) -> JoinInfo:
    """``info`` when the presented link is genuine and not withdrawn, whether or not its
    session is over (what outlives a session: signing a frozen text, downloading it);
    else :class:`LinkRefused`."""
    status = presented_status(claims, info, now)
    if info is not None and status not in (LinkStatus.INVALID, LinkStatus.REVOKED):
        return info
    if info is None or status is LinkStatus.INVALID:
        raise invalid_link()
    code, message = _REFUSALS[status]
    raise LinkRefused(code, message, info.lead_mediator_email)


def invalid_link() -> LinkRefused:
    """The refusal of a token that is not authentic (or not one at all)."""
    code, message = _REFUSALS[LinkStatus.INVALID]
    return LinkRefused(code, message)


def require_issuable(session: ScheduledSession, expires_at: datetime, now: datetime) -> None:
    """A new link for ``session`` would work: the session is neither past nor ended."""
    if past_its_time(expires_at.timestamp(), now.timestamp()):
        raise Conflict("this session is already over", ErrorCode.SESSION_CLOSED)
    if session.status == "ended":
        raise Conflict("this session has ended", ErrorCode.SESSION_CLOSED)
    if session.status == "cancelled":
        raise Conflict("this session was cancelled", ErrorCode.SESSION_CANCELLED)


def require_ended(claims: LinkClaims, info: JoinInfo | None, now: datetime) -> JoinInfo:
    """``info`` when the presented link is genuine, not withdrawn, and its session was
    ended by the mediator (what the satisfaction survey asks: it follows a session);
    else :class:`LinkRefused`."""
    status = presented_status(claims, info, now)
    if info is not None and status is not LinkStatus.INVALID:
        if status is not LinkStatus.REVOKED and info.session.status == "ended":
            return info
        if status in (LinkStatus.ACTIVE, LinkStatus.EXPIRED):
            raise LinkRefused(ErrorCode.CONFLICT, "this session has not ended")
        code, message = _REFUSALS[status]
        raise LinkRefused(code, message, info.lead_mediator_email)
    raise invalid_link()
