"""Who is connected to which session, on which Socket.IO connection (sid).

One device per link: a second connection with the same identity replaces
the first. Pure bookkeeping; the namespace does the I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from signaling.identity import Identity


@dataclass(frozen=True)
class Member:
    identity: Identity
    sid: str
    joined: bool = False
    audio: bool = False
    video: bool = False
    screen: bool = False

    def view(self) -> dict[str, object]:
        return {
            "key": self.identity.key,
            "display_name": self.identity.display_name,
            "role": self.identity.role,
            "audio": self.audio,
            "video": self.video,
            "screen": self.screen,
        }


@dataclass
class Presence:
    _by_sid: dict[str, Member] = field(default_factory=dict)
    _by_identity: dict[tuple[str, str], str] = field(default_factory=dict)

    def attach(self, identity: Identity, sid: str) -> str | None:
        """Records the connection; returns the sid it replaces, if any."""
        slot = (identity.session_id, identity.key)
        previous = self._by_identity.get(slot)
        if previous is not None:
            self._by_sid.pop(previous, None)
        self._by_identity[slot] = sid
        self._by_sid[sid] = Member(identity, sid)
        return previous

    def detach(self, sid: str) -> Member | None:
        """Forgets the connection; None if it was already replaced or unknown."""
        member = self._by_sid.pop(sid, None)
        if member is None:
            return None
        slot = (member.identity.session_id, member.identity.key)
        if self._by_identity.get(slot) == sid:
            del self._by_identity[slot]
        return member

    def get(self, sid: str) -> Member | None:
        return self._by_sid.get(sid)

    def update(self, sid: str, **changes: bool) -> Member:
        member = replace(self._by_sid[sid], **changes)  # type: ignore[arg-type]
        self._by_sid[sid] = member
        return member

    def sid_of(self, session_id: str, key: str) -> str | None:
        return self._by_identity.get((session_id, key))

    def joined(self, session_id: str) -> list[Member]:
        return [
            m for m in self._by_sid.values() if m.joined and m.identity.session_id == session_id
        ]

    def __len__(self) -> int:
        return len(self._by_sid)
