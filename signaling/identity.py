"""Who is on a connection, and the Protocols through which signaling asks the server.

Signaling never imports server/: the app factory hands it an Authenticator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Identity:
    """An authenticated member of one session.

    ``key`` is unique within the session: ``p-<participant id>`` for
    people invited by link, ``m-<mediator id>`` for mediators.
    """

    session_id: str
    key: str
    role: str  # mediator, co_mediator, party, counsel, observer
    display_name: str

    @property
    def is_mediator(self) -> bool:
        return self.role in {"mediator", "co_mediator"}


class Authenticator(Protocol):
    async def authenticate(self, auth: Mapping[str, Any], cookies: Mapping[str, str]) -> Identity:
        """The identity behind a connection's auth payload and cookies.

        Raises SignalingError (link_invalid, link_expired, link_revoked,
        session_closed, not_authenticated, forbidden) when it cannot be used.
        """
        ...
