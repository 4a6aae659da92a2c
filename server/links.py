"""Personal invite links: signed tokens (PyJWT) bound to session, participant and role.

A link is ``{public_url}/join#<token>``: the token travels in the URL
fragment, so it never reaches server logs or a Referer header. Revocation is
checked server-side by token id (jti) in the records registry.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from records.errors import ErrorCode, NotFound
from records.models import utcnow
from records.scheduling import InviteLink, JoinInfo, ScheduledSession, ScheduleStore
from server.errors import ApiError

ALGORITHM = "HS256"
AUDIENCE = "palabre:join"
MAX_TOKEN_LENGTH = 2048


@dataclass(frozen=True)
class LinkClaims:
    jti: str
    session_id: str
    participant_id: str
    role: str
    expires_at: int


class LinkError(ApiError):
    """A link that cannot be used; the code says why (invalid, expired, revoked)."""

    def __init__(self, code: ErrorCode, message: str, contact: str = "") -> None:
        super().__init__(410 if code != ErrorCode.LINK_INVALID else 404, code, message)
        self.contact = contact


class LinkSigner:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def mint(self, link: InviteLink) -> str:
        claims = {
            "jti": link.jti,
            "sid": link.session_id,
            "pid": link.participant_id,
            "role": link.role.value,
            "iat": int(link.issued_at.timestamp()),
            "exp": int(link.expires_at.timestamp()),
            "aud": AUDIENCE,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str) -> LinkClaims:
        """Authentic claims (expiry is the caller's to check, once it knows whom to name)."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise LinkError(ErrorCode.LINK_INVALID, "this link is not valid")
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                options={
                    "require": ["jti", "sid", "pid", "role", "exp", "iat"],
                    "verify_exp": False,
                },
            )
        except jwt.PyJWTError:
            raise LinkError(ErrorCode.LINK_INVALID, "this link is not valid") from None
        if not all(isinstance(claims[k], str) for k in ("jti", "sid", "pid", "role")):
            raise LinkError(ErrorCode.LINK_INVALID, "this link is not valid")
        if not isinstance(claims["exp"], int):
            raise LinkError(ErrorCode.LINK_INVALID, "this link is not valid")
        return LinkClaims(
            claims["jti"], claims["sid"], claims["pid"], claims["role"], claims["exp"]
        )


def link_expiry(session: ScheduledSession, grace: timedelta) -> datetime:
    return session.starts_at + timedelta(minutes=session.duration_minutes) + grace


class LinkService:
    def __init__(
        self, signer: LinkSigner, schedule: ScheduleStore, public_url: str, grace: timedelta
    ) -> None:
        self._signer = signer
        self._schedule = schedule
        self._public_url = public_url
        self.grace = grace

    def url_for(self, link: InviteLink) -> str:
        return f"{self._public_url}/join#{self._signer.mint(link)}"

    async def issue(self, session_id: str, participant_id: str, mediator_id: str) -> InviteLink:
        session = await self._schedule.get_session(session_id, mediator_id)
        expires = link_expiry(session, self.grace)
        if expires <= utcnow():
            raise ApiError(409, ErrorCode.SESSION_CLOSED, "this session is already over")
        if session.status == "ended":
            raise ApiError(409, ErrorCode.SESSION_CLOSED, "this session has ended")
        return await self._schedule.issue_link(
            session_id, participant_id, mediator_id, secrets.token_hex(16), expires
        )

    async def resolve(self, token: str) -> JoinInfo:
        """What the link's holder may see; raises LinkError for any unusable link."""
        claims = self._signer.verify(token)
        try:
            info = await self._schedule.get_join_info(claims.jti)
        except NotFound:
            if claims.expires_at <= utcnow().timestamp():
                raise LinkError(ErrorCode.LINK_EXPIRED, "this link has expired") from None
            raise LinkError(ErrorCode.LINK_INVALID, "this link is not valid") from None
        link = info.link
        if (link.session_id, link.participant_id, link.role.value) != (
            claims.session_id,
            claims.participant_id,
            claims.role,
        ):
            raise LinkError(ErrorCode.LINK_INVALID, "this link is not valid")
        contact = info.lead_mediator_email
        if claims.expires_at <= utcnow().timestamp():
            raise LinkError(ErrorCode.LINK_EXPIRED, "this link has expired", contact)
        if link.revoked_at is not None:
            raise LinkError(ErrorCode.LINK_REVOKED, "this link has been withdrawn", contact)
        if info.session.status == "ended":
            raise LinkError(ErrorCode.SESSION_CLOSED, "this session has ended", contact)
        return info
