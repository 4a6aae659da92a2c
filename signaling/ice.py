"""The STUN and TURN servers a browser is told about, and who is told what.

A TURN server relays media for whoever holds credentials for it, so its credentials
reach a connection only once it may take part in media (the domain's media gate,
:meth:`sessions.service.LiveSession.check_media`, lets it before the namespace calls
:meth:`IceServers.for_connection`).
What anyone holding a link may see (:meth:`IceServers.public`) is the STUN servers
without credentials, which give nothing away.

Time-limited TURN credentials follow coturn's REST API (``use-auth-secret`` with
``static-auth-secret``): the username is ``"<expiry unix time>:<opaque id>"`` and the
credential ``base64(HMAC-SHA1(secret, username))``. Each connection gets its own, with
a random id that names no one (coturn logs it). coturn checks the expiry when an
allocation is made, so a call that started keeps its relay; a later ICE restart needs
fresh credentials (the ack says when these expire).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

TURN_SCHEMES = ("turn:", "turns:")
STUN_SCHEMES = ("stun:", "stuns:")


@dataclass(frozen=True)
class IceServer:
    """A STUN or TURN server with fixed credentials (an entry of PALABRE_ICE_SERVERS): told
    to browsers (:class:`IceServers`) and used by the relay's own peer connections."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    def __post_init__(self) -> None:
        if not self.urls:
            raise ValueError("an ICE server needs at least one URL")
        for url in self.urls:
            if not url.startswith(STUN_SCHEMES + TURN_SCHEMES):
                raise ValueError(f"unsupported ICE server URL scheme: {url!r}")

    @property
    def is_public(self) -> bool:
        """STUN only and no credentials: safe to show anyone holding a link."""
        return (
            self.username is None
            and self.credential is None
            and all(url.startswith(STUN_SCHEMES) for url in self.urls)
        )

    def as_client_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"urls": list(self.urls)}
        if self.username is not None:
            entry["username"] = self.username
        if self.credential is not None:
            entry["credential"] = self.credential
        return entry


@dataclass(frozen=True)
class TurnSecret:
    """A coturn ``static-auth-secret`` and the TURN URLs it is valid for."""

    urls: tuple[str, ...]
    secret: str
    ttl_seconds: int = 3600

    def __post_init__(self) -> None:
        if not self.urls or not all(url.startswith(TURN_SCHEMES) for url in self.urls):
            raise ValueError("TURN URLs must start with turn: or turns:")
        if not self.secret:
            raise ValueError("the TURN secret is empty")
        if self.ttl_seconds <= 0:
            raise ValueError("the TURN credential lifetime must be positive")

    def credentials(self, now: float, opaque_id: str) -> tuple[str, str, int]:
        """(username, credential, expiry as unix time) for one connection."""
        expires = int(now) + self.ttl_seconds
        username = f"{expires}:{opaque_id}"
        digest = hmac.new(self.secret.encode(), username.encode(), hashlib.sha1).digest()
        return username, base64.b64encode(digest).decode("ascii"), expires


class IceServers:
    """Who is told which ICE servers: the public part for everyone, the rest on request."""

    def __init__(
        self,
        static: Sequence[IceServer] = (),
        turn: TurnSecret | None = None,
        clock: Callable[[], float] = time.time,
        transport_policy: str = "all",
    ) -> None:
        if transport_policy not in ("all", "relay"):
            raise ValueError(f"unknown ICE transport policy {transport_policy!r}")
        self._static = tuple(static)
        self._turn = turn
        self._clock = clock
        self._policy = transport_policy

    def public(self) -> list[dict[str, Any]]:
        """What may go to a connection that has not consented or is not admitted."""
        return [s.as_client_entry() for s in self._static if s.is_public]

    def for_connection(self) -> dict[str, Any]:
        """Every server with its credentials, minted now for one connection, and
        ``expires_in``: seconds until the time-limited ones stop being accepted for new
        allocations (None when there are none; seconds, not a date, as the browser's
        clock may differ from ours), and ``ice_transport_policy``: ``"relay"`` when the
        deployment wants browsers to use TURN only (RTCConfiguration.iceTransportPolicy),
        else ``"all"``."""
        servers = [s.as_client_entry() for s in self._static]
        expires_in: int | None = None
        if self._turn is not None:
            username, credential, _ = self._turn.credentials(
                self._clock(), secrets.token_urlsafe(12)
            )
            servers.append(
                {"urls": list(self._turn.urls), "username": username, "credential": credential}
            )
            expires_in = self._turn.ttl_seconds
        return {
            "ice_servers": servers,
            "expires_in": expires_in,
            "ice_transport_policy": self._policy,
        }
