"""The questionnaire's own link, sent by e-mail once a session has ended.

A party's personal link stops working a little after the session (``link_grace_hours``),
and it is a join credential: it has no business in a mail sent afterwards. The
questionnaire's link is ``{public_url}/survey#<token>``: a signed token (PyJWT, the
deployment's signing key) whose audience is the questionnaire alone, naming the personal
link it stands for (``lnk``: the ballot is still once per link, whichever of the two the
party draws it with) and valid :data:`SURVEY_DAYS` days. Like every link the token travels
in the URL fragment, so it never reaches a server's access log or a Referer header.

Whether the questionnaire is open for it is decided here from what the registry holds
now: the link is still known (an erased person's links are gone), its holder a party,
its session ended. Revoking the personal link after the session does not withdraw the
questionnaire: the two are different credentials (a party removed during the session is
sent no questionnaire link at all: :mod:`server.survey_mail`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

import jwt

from errors import ErrorCode
from records.errors import NotFound
from records.stores.cases import ParticipantRole
from records.stores.invites import LinkRefused
from records.stores.scheduling import JoinInfo, ScheduleStore

ALGORITHM = "HS256"
AUDIENCE = "palabre:survey"
SURVEY_DAYS = 30
MAX_TOKEN_LENGTH = 1024


@dataclass(frozen=True)
class SurveyClaims:
    link_id: str
    expires_at: int  # POSIX seconds


class SurveyLinks:
    def __init__(self, key: bytes, schedule: ScheduleStore, public_url: str) -> None:
        self._key = key
        self._schedule = schedule
        self._public_url = public_url

    def mint(self, link_id: str, now: datetime) -> str:
        expires = now + timedelta(days=SURVEY_DAYS)
        claims = {
            "lnk": link_id, "purpose": "survey", "aud": AUDIENCE,
            "iat": int(now.timestamp()), "exp": int(expires.timestamp()),
        }  # fmt: skip
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def url_for(self, link_id: str, language: str, now: datetime) -> str:
        """The page's address: the language in the query, the token in the fragment."""
        return f"{self._public_url}/survey?lang={quote(language)}#{self.mint(link_id, now)}"

    def verify(self, token: str, now: datetime) -> SurveyClaims:
        """Authentic, unexpired claims; :class:`LinkRefused` (``link_expired`` past its
        time, ``link_invalid`` for anything else)."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise LinkRefused(ErrorCode.LINK_INVALID, "this questionnaire link is not valid")
        try:
            claims = jwt.decode(
                token, self._key, algorithms=[ALGORITHM], audience=AUDIENCE,
                options={"require": ["lnk", "purpose", "exp", "iat"], "verify_exp": False},
            )  # fmt: skip
        except jwt.PyJWTError:
            raise LinkRefused(
                ErrorCode.LINK_INVALID, "this questionnaire link is not valid"
            ) from None
        link_id, exp = claims["lnk"], claims["exp"]
        if claims["purpose"] != "survey" or not isinstance(link_id, str) or type(exp) is not int:
            raise LinkRefused(ErrorCode.LINK_INVALID, "this questionnaire link is not valid")
        if now.timestamp() >= exp:
            raise LinkRefused(ErrorCode.LINK_EXPIRED, "this questionnaire is no longer open")
        return SurveyClaims(link_id, exp)

    async def ended(self, token: str, now: datetime) -> JoinInfo:
        """The personal link the token stands for, when the questionnaire is open for it;
        :class:`LinkRefused` else (the same codes as a personal link's)."""
        claims = self.verify(token, now)
        try:
            info = await self._schedule.get_join_info(claims.link_id)
        except NotFound:  # erased with the person or the case
            raise LinkRefused(
                ErrorCode.LINK_EXPIRED, "this questionnaire is no longer open"
            ) from None
        if info.link.role is not ParticipantRole.PARTY:
            raise LinkRefused(ErrorCode.FORBIDDEN, "the questionnaire is for the parties")
        if info.session.status != "ended":
            raise LinkRefused(ErrorCode.CONFLICT, "this session has not ended")
        return info
