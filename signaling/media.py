"""What signaling needs of the media relay, as a Protocol (the real one is signaling.relay).

Relay participant ids are ``<session id>.<identity key>`` and relay rooms
``<session id>.<room>``, so sessions never share a forwarding room. The
browser sees the relay participant id as each remote stream's id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from signaling.identity import Identity


class MediaRelay(Protocol):
    async def join(self, participant_id: str, room_id: str) -> None: ...

    async def handle_offer(
        self, participant_id: str, sdp: str, labels: Mapping[str, str] | None = None
    ) -> str: ...

    async def handle_answer(self, participant_id: str, sdp: str) -> None: ...

    async def add_candidate(
        self, participant_id: str, candidate: Mapping[str, object] | None
    ) -> None: ...

    async def set_room(self, participant_id: str, room_id: str) -> None: ...

    async def set_paused(self, participant_id: str, kind: str, paused: bool) -> None: ...

    async def leave(self, participant_id: str) -> None: ...

    async def close(self) -> None: ...

    @property
    def closed(self) -> bool:
        """Closed (the server is stopping): nothing can be relayed any more."""
        ...


def relay_id(identity: Identity) -> str:
    return f"{identity.session_id}.{identity.key}"


def relay_room(session_id: str, room: str = "plenary") -> str:
    return f"{session_id}.{room}"


def split_relay_id(participant_id: str) -> tuple[str, str]:
    session_id, _, key = participant_id.partition(".")
    return session_id, key
