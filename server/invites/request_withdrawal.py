"""The requester's own way to withdraw a request from the public form.

A person who asked for a mediation has no account; when the form is accepted the answer
carries a token of its own (PyJWT, the deployment's signing key, audience
:data:`AUDIENCE`), naming the request and valid as long as an unanswered request is kept.
The confirmation page shows it in its address after ``#`` (never in an access log) for
the person to keep: with it, and only with it, they withdraw the request
(``POST /api/requests/withdraw``). Nothing about the request is stored for it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt

from errors import ErrorCode
from records.stores.invites import LinkRefused

ALGORITHM = "HS256"
AUDIENCE = "palabre:request-withdrawal"
MAX_TOKEN_LENGTH = 1024


class WithdrawalTokens:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def mint(self, request_id: str, now: datetime, days: int) -> str:
        expires = now + timedelta(days=days)
        claims = {
            "req": request_id, "aud": AUDIENCE,
            "iat": int(now.timestamp()), "exp": int(expires.timestamp()),
        }  # fmt: skip
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str, now: datetime) -> str:
        """The request's id; :class:`LinkRefused` (``link_expired`` past its time,
        ``link_invalid`` for anything else)."""
        invalid = LinkRefused(ErrorCode.LINK_INVALID, "this withdrawal link is not valid")
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise invalid
        try:
            claims = jwt.decode(
                token, self._key, algorithms=[ALGORITHM], audience=AUDIENCE,
                options={"require": ["req", "exp", "iat"], "verify_exp": False},
            )  # fmt: skip
        except jwt.PyJWTError:
            raise invalid from None
        request_id, exp = claims["req"], claims["exp"]
        if not isinstance(request_id, str) or type(exp) is not int:
            raise invalid
        if now.timestamp() >= exp:
            raise LinkRefused(ErrorCode.LINK_EXPIRED, "this withdrawal link has expired")
        return request_id
