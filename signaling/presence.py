"""Who is on which Socket.IO connection (sid): pure bookkeeping, the namespace does the I/O.

Several connections may carry the same identity for a moment (a reload, another
device asking for the seat): which one holds the seat is the live session's
lobby's to say (:meth:`signaling.live.LiveHub.seat_of`), not this map's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from signaling.identity import Identity


@dataclass(frozen=True)
class Member:
    identity: Identity
    sid: str


@dataclass
class Presence:
    _by_sid: dict[str, Member] = field(default_factory=dict)

    def attach(self, identity: Identity, sid: str) -> None:
        self._by_sid[sid] = Member(identity, sid)

    def detach(self, sid: str) -> Member | None:
        """Forgets the connection; None if it was unknown."""
        return self._by_sid.pop(sid, None)

    def get(self, sid: str) -> Member | None:
        return self._by_sid.get(sid)

    def sids_of(self, session_id: str, key: str) -> list[str]:
        """Every connection carrying ``key`` in ``session_id`` (usually one)."""
        return [
            sid
            for sid, m in self._by_sid.items()
            if (m.identity.session_id, m.identity.key) == (session_id, key)
        ]

    def __len__(self) -> int:
        return len(self._by_sid)
