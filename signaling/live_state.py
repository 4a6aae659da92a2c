"""One live session's state in the hub: the domain session, who is on which connection,
what the relay was told, and the views derived from them (pure: no I/O here)."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Any

from sessions.durable import DurableState
from sessions.e2ee import KeyDirectory
from sessions.lobby import State
from sessions.rooms import PLENARY
from sessions.service import LiveSession
from signaling.media import relay_room
from signaling.pipeline import StoredFirst
from signaling.ports import RosterEntry


@dataclass
class Media:
    audio: bool = False
    video: bool = False
    screen: bool = False


@dataclass
class LiveState:
    session: LiveSession
    version: str
    roster: dict[str, RosterEntry]
    pipeline: StoredFirst
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    polled_at: float = 0.0  # when revoked links were last asked for
    media: dict[str, Media] = field(default_factory=dict)
    relay_rooms: dict[str, str] = field(default_factory=dict)  # key -> relay room
    paused: dict[str, frozenset[str]] = field(default_factory=dict)  # key -> kinds stopped
    views: dict[str, Any] = field(default_factory=dict)  # connection -> last room view sent
    ended: bool = False
    end_stored: bool = False  # the schedule says it ended (else the tick stores it)
    stale: set[str] = field(default_factory=set)  # boards to read back before the next write
    epoch: int | None = None  # this node's claim on the stored live state (None: not stored)
    stored: DurableState | None = None  # the durable state as last stored
    # end-to-end media encryption: the key groups (epochs start anywhere: a key index is
    # the epoch's low byte, and pages that come back after a restart may hold old ones)
    keys: KeyDirectory = field(default_factory=lambda: KeyDirectory(secrets.randbelow(1 << 16)))
    key_status: dict[str, dict[str, str]] = field(default_factory=dict)  # mediator sid -> sent

    @property
    def sids(self) -> dict[str, str]:
        """Who holds each seat: key -> connection (the lobby decides; a copy)."""
        return self.session.lobby.connections()

    # -- what each person is shown, and where the relay forwards them ---------------

    def desired_relay_room(self, key: str) -> str | None:
        """Where the relay forwards ``key``: the domain's media room, named for this session."""
        room = self.session.media_room(key)
        return None if room is None else relay_room(self.session.session_id, room)

    def member(self, key: str) -> dict[str, Any]:
        """How ``key`` appears to the others: name, role, what they send, reconnecting."""
        entry = self.roster[key]
        media = self.media.get(key, Media())
        return {
            "key": key,
            "display_name": entry.display_name,
            "role": entry.role,
            "audio": media.audio,
            "video": media.video,
            "screen": media.screen,
            "reconnecting": key not in self.sids,
        }

    def view(self, key: str) -> dict[str, Any] | None:
        """``room:view`` for ``key``: their room and who is in it with them (nobody while
        on hold); None if they are in no room."""
        session = self.session
        room = session.room_of(key)
        if room is None or session.participant(key).state is not State.ADMITTED:
            return None
        together = [
            other
            for other in sorted(session.members(room))
            if other != key and session.participant(other).state is State.ADMITTED
        ]
        on_hold = session.on_hold(key)
        return {
            "room_id": room,
            "kind": "plenary" if room == PLENARY else "private",
            "on_hold": on_hold,
            "members": [] if on_hold else [self.member(o) for o in together],
        }
