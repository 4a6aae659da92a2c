"""Personal invite links: signed tokens (PyJWT) bound to session, participant and role.

A link is ``{public_url}/join#<token>``: the token travels in the URL
fragment, so it never reaches server logs or a Referer header. This module signs
and checks tokens; whether a link may be used is :mod:`records.stores.invites`'s to decide
(revocation by token id, expiry, an ended session), the same for every route.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import jwt

from records.errors import NotFound
from records.models import utcnow
from records.stores.invites import (
    LinkClaims,
    invalid_link,
    link_expiry,
    require_ended,
    require_genuine,
    require_issuable,
    require_usable,
)
from records.stores.scheduling import InviteLink, JoinInfo, ScheduleStore

ALGORITHM = "HS256"
AUDIENCE = "palabre:join"
MAX_TOKEN_LENGTH = 2048


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
        """Authentic claims (expiry is :mod:`records.stores.invites`'s to judge, with the rest)."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise invalid_link()
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
            raise invalid_link() from None
        if not all(isinstance(claims[k], str) for k in ("jti", "sid", "pid", "role")):
            raise invalid_link()
        if not isinstance(claims["exp"], int):
            raise invalid_link()
        return LinkClaims(
            claims["jti"], claims["sid"], claims["pid"], claims["role"], claims["exp"]
        )


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
        require_issuable(session, expires, utcnow())
        return await self._schedule.issue_link(
            session_id, participant_id, mediator_id, secrets.token_hex(16), expires
        )

    async def resolve(self, token: str) -> JoinInfo:
        """What the link's holder may see; raises LinkRefused for any unusable link."""
        claims = self._signer.verify(token)
        try:
            info: JoinInfo | None = await self._schedule.get_join_info(claims.jti)
        except NotFound:
            info = None
        return require_usable(claims, info, utcnow())

    async def ended(self, token: str) -> JoinInfo:
        """The link's session when it has ended (the survey's ballot); LinkRefused else."""
        claims = self._signer.verify(token)
        try:
            info: JoinInfo | None = await self._schedule.get_join_info(claims.jti)
        except NotFound:
            info = None
        return require_ended(claims, info, utcnow())

    async def holder(self, token: str) -> JoinInfo:
        """Whose link this is, for what outlives a session (signing a frozen text and
        downloading it, in the session or later): a genuine link not withdrawn."""
        claims = self._signer.verify(token)
        try:
            info: JoinInfo | None = await self._schedule.get_join_info(claims.jti)
        except NotFound:
            info = None
        return require_genuine(claims, info, utcnow())
