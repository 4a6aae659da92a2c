"""Who is connected: the one registry of this node's Socket.IO connections (sid -> who).

Pure bookkeeping, owned by the hub (:class:`signaling.live.LiveHub`); the namespace
asks it who is on a connection. Several connections may carry the same identity for a
moment (a reload, another device asking for the seat): which one holds the seat is the
live session's lobby's to say (:meth:`sessions.lobby.Lobby.connections`), not this
registry's. A connection is here from the moment the hub accepts it until it closes
or is kicked (nothing more is done on it then).
"""

from __future__ import annotations

from signaling.identity import Identity


class Connections:
    def __init__(self) -> None:
        self._by_session: dict[str, dict[str, Identity]] = {}
        self._session_of: dict[str, str] = {}

    def attach(self, identity: Identity, sid: str) -> None:
        """``sid`` carries ``identity`` (again: its identity is replaced)."""
        self.detach(sid)
        self._by_session.setdefault(identity.session_id, {})[sid] = identity
        self._session_of[sid] = identity.session_id

    def detach(self, sid: str) -> Identity | None:
        """Forgets the connection; who was on it, or None if it was unknown."""
        session_id = self._session_of.pop(sid, None)
        if session_id is None:
            return None
        conns = self._by_session[session_id]
        identity = conns.pop(sid)
        if not conns:
            del self._by_session[session_id]
        return identity

    def get(self, sid: str) -> Identity | None:
        session_id = self._session_of.get(sid)
        return None if session_id is None else self._by_session[session_id][sid]

    def in_session(self, session_id: str) -> dict[str, Identity]:
        """Every connection to ``session_id`` (a copy): sid -> who."""
        return dict(self._by_session.get(session_id, {}))

    def of(self, session_id: str, key: str) -> list[str]:
        """Every connection carrying ``key`` in ``session_id`` (usually one)."""
        return [sid for sid, who in self._by_session.get(session_id, {}).items() if who.key == key]

    def __len__(self) -> int:
        return len(self._session_of)
