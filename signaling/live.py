"""The live sessions of this process, and the one place where a domain Outcome is applied.

For every call the namespace makes, :class:`LiveHub` runs the
:class:`~sessions.service.LiveSession` method under the session's lock, then
applies what it returned: audit events go to the host's tamper-evident log,
notifications to exactly their recipients' connections, kicks close
connections, and the relay's forwarding rooms are recomputed from the
domain's rooms. Nothing of a private meeting is sent to anyone outside it,
because every emit here is addressed to explicit participants.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from records.errors import CodedError, ErrorCode
from sessions.errors import Forbidden
from sessions.events import AuditEvent, utc_now
from sessions.lobby import State
from sessions.outcome import Outcome
from sessions.roles import Role
from sessions.rooms import PLENARY
from sessions.service import LiveSession
from sessions.wb_log import LoggedOp
from signaling.errors import SignalingError
from signaling.identity import Identity
from signaling.media import MediaRelay, relay_room
from signaling.pipeline import StoredFirst, board_ops, messages
from signaling.ports import RosterEntry, SessionHost

logger = logging.getLogger(__name__)

T = TypeVar("T")
TICK_SECONDS = 1.0
DROP_DELAY_SECONDS = 0.2


class Emitter(Protocol):
    async def emit(self, event: str, data: Any, to: str | list[str]) -> None: ...

    async def drop(self, sid: str) -> None: ...


@dataclass
class Media:
    audio: bool = False
    video: bool = False
    screen: bool = False


@dataclass
class _Live:
    session: LiveSession
    version: str
    roster: dict[str, RosterEntry]
    pipeline: StoredFirst
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    sids: dict[str, str] = field(default_factory=dict)  # key -> current connection
    media: dict[str, Media] = field(default_factory=dict)
    relay_rooms: dict[str, str] = field(default_factory=dict)  # key -> relay room
    paused: dict[str, frozenset[str]] = field(default_factory=dict)  # key -> kinds stopped
    views: dict[str, Any] = field(default_factory=dict)  # connection -> last room view sent
    ended: bool = False
    stale: set[str] = field(default_factory=set)  # boards to read back before the next write


class LiveHub:
    def __init__(
        self,
        host: SessionHost,
        relay: MediaRelay,
        emitter: Emitter,
        *,
        grace: timedelta = timedelta(seconds=10),
    ) -> None:
        self._host = host
        self._relay = relay
        self._out = emitter
        self._grace = grace
        self._live: dict[str, _Live] = {}
        self._creating: dict[str, asyncio.Lock] = {}
        self._ticker: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._closed = False  # the server is stopping: the relay is being closed too

    # -- lifecycle -------------------------------------------------------------

    async def _get(self, session_id: str) -> _Live:
        live = self._live.get(session_id)
        if live is not None:
            return live
        async with self._creating.setdefault(session_id, asyncio.Lock()):
            live = self._live.get(session_id)
            if live is None:
                version = await self._host.consent_version(session_id)
                roster = {e.key: e for e in await self._host.roster(session_id)}
                session = LiveSession(session_id, version, grace=self._grace)
                for entry in roster.values():
                    session.register(entry.key, Role(entry.role))
                await self._load_board(session, PLENARY)
                await self._load_documents(session)
                live = _Live(session, version, roster, self._pipeline(session_id))
                self._live[session_id] = live
                self._ensure_ticker()
            return live

    def _ensure_ticker(self) -> None:
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick_forever(), name="live-hub-tick")

    async def _tick_forever(self) -> None:
        while self._live:
            await asyncio.sleep(TICK_SECONDS)
            for session_id, live in list(self._live.items()):
                await self._run(live, lambda s: s.tick())
                if not live.sids and (live.ended or not live.session.connected()):
                    self._live.pop(session_id, None)

    async def close(self) -> None:
        self._closed = True
        for task in list(self._background):
            task.cancel()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        for live in self._live.values():
            await live.pipeline.close()
        self._live.clear()

    def session(self, session_id: str) -> LiveSession | None:
        live = self._live.get(session_id)
        return None if live is None else live.session

    # -- calls from the namespace ----------------------------------------------

    async def connect(self, identity: Identity, sid: str) -> dict[str, Any]:
        live = await self._get(identity.session_id)
        if identity.key not in live.roster:
            raise SignalingError(ErrorCode.FORBIDDEN, "not invited to this session")
        consented = await self._host.has_consent(identity.session_id, identity.key, live.version)

        def attach(s: LiveSession) -> Outcome[Any]:
            outcome = s.connect(identity.key, sid)
            if consented and not s.participant(identity.key).consented:
                s.record_consent(identity.key, live.version)
            return outcome

        live.sids[identity.key] = sid
        live.media.setdefault(identity.key, Media())
        outcome = await self._run(live, attach)
        view = live.session.participant(identity.key)
        return {
            "self": self._member(live, identity.key),
            "state": view.state.value,
            "consented": view.consented,
            "consent_version": live.version,
            "roster": {
                k: {"display_name": e.display_name, "role": e.role} for k, e in live.roster.items()
            },
            "resumed": bool(getattr(outcome.value, "resumed", False)),
        }

    async def disconnect(self, identity: Identity, sid: str) -> None:
        live = self._live.get(identity.session_id)
        if live is None or live.sids.get(identity.key) != sid:
            return
        del live.sids[identity.key]
        await self._run(live, lambda s: s.disconnect(identity.key, sid))

    async def call(
        self,
        identity: Identity,
        action: Callable[[LiveSession, str], Outcome[T]],
        *,
        content_only: bool = False,
    ) -> T:
        """Runs a domain action as ``identity`` and applies its outcome.

        ``content_only``: the action only adds content (a drawing, a message), so
        nobody's room, media or view can have changed and they are not recomputed.
        """
        live = await self._get(identity.session_id)
        self.require_connected(identity)
        outcome = await self._run(live, lambda s: action(s, identity.key), content_only)
        return outcome.value

    def require_connected(self, identity: Identity) -> None:
        live = self._live.get(identity.session_id)
        if live is None or live.sids.get(identity.key) is None:
            raise SignalingError(ErrorCode.NOT_AUTHENTICATED, "connection replaced")

    async def read(self, identity: Identity, query: Callable[[LiveSession, str], T]) -> T:
        """Answers a question about the session as ``identity`` (nothing to apply)."""
        live = await self._get(identity.session_id)
        self.require_connected(identity)
        async with live.lock:
            return query(live.session, identity.key)

    async def set_media(self, identity: Identity, audio: bool, video: bool, screen: bool) -> None:
        live = await self._get(identity.session_id)
        async with live.lock:
            live.media[identity.key] = Media(audio, video, screen)
            await self._send_views(live)

    def can_publish(self, identity: Identity) -> bool:
        live = self._live.get(identity.session_id)
        return live is not None and live.session.can_publish(identity.key)

    def role_of(self, session_id: str, key: str) -> str | None:
        live = self._live.get(session_id)
        entry = None if live is None else live.roster.get(key)
        return None if entry is None else entry.role

    def has_consented(self, identity: Identity) -> bool:
        live = self._live.get(identity.session_id)
        return live is not None and live.session.participant(identity.key).consented

    def is_placed(self, identity: Identity) -> bool:
        live = self._live.get(identity.session_id)
        return live is not None and identity.key in live.relay_rooms

    def relay_room_of(self, identity: Identity) -> str | None:
        live = self._live.get(identity.session_id)
        return None if live is None else live.relay_rooms.get(identity.key)

    async def consent_recorded(self, session_id: str, key: str) -> None:
        """The server wrote a consent entry: let the domain know (it opens the media gate)."""
        live = self._live.get(session_id)
        if live is None:
            return
        if await self._host.has_consent(session_id, key, live.version):
            await self._run(live, lambda s: s.record_consent(key, live.version))

    async def consent_declined(self, session_id: str, key: str) -> None:
        """The participant declined on the consent page: the mediators are told."""
        live = await self._get(session_id)
        async with live.lock:
            for mediator in sorted(live.session.admitted_mediators()):
                sid = live.sids.get(mediator)
                if sid is not None:
                    await self._out.emit("lobby:consent_declined", {"key": key}, sid)
            await self._host.audit(
                [AuditEvent("consent.declined", session_id, utc_now(), key, key, {})]
            )

    async def end(self, identity: Identity) -> None:
        live = await self._get(identity.session_id)
        outcome = await self._run(live, lambda s: s.end(identity.key))
        live.ended = True
        await self._host.end_session(identity.session_id)
        board = outcome.value.plenary_board
        if board.objects:
            try:
                await self._host.keep_board(identity.session_id, board, identity.key)
            except Exception as exc:  # the session is over either way; the journal keeps it
                logger.warning(
                    "session %s: the plenary board was not kept at the end (%s)",
                    identity.session_id, type(exc).__name__,
                )  # fmt: skip
        kept = outcome.value.retained_chat
        if kept:
            await self._host.keep_chat(identity.session_id, [m.to_wire() for m in kept])

    # -- applying outcomes -------------------------------------------------------

    async def _run(
        self, live: _Live, step: Callable[[LiveSession], Outcome[T]], content_only: bool = False
    ) -> Outcome[T]:
        """Runs ``step`` under the session's lock and applies its outcome.

        An outcome with board operations is delivered by the session's
        :class:`~signaling.pipeline.StoredFirst` once they are stored (the call
        returns then); anything else is delivered at once.
        """
        drops: list[str] = []
        delivered: asyncio.Future[Outcome[Any]] | None = None
        async with live.lock:
            if live.stale:
                await self._reload_boards(live)
            try:
                outcome = step(live.session)
            except Forbidden as exc:
                if exc.audit is not None:
                    await self._host.audit([exc.audit])
                raise
            self._refuse_on_stale_boards(live, outcome)
            if outcome.documents_changed:
                await self._save_documents(live.session)
            if board_ops(outcome):
                delivered = live.pipeline.submit(outcome)
            else:
                await self._deliver(live, [outcome])
            for kick in outcome.kicks:
                if kick.reason == "removed":
                    await self._host.revoke_link(live.session.session_id, kick.participant_id)
                await self._out.emit("session:kicked", {"reason": kick.reason}, kick.connection_id)
                drops.append(kick.connection_id)
                if live.sids.get(kick.participant_id) == kick.connection_id:
                    del live.sids[kick.participant_id]
            if not content_only or outcome.kicks or outcome.room_changes:
                await self._sync_relay(live)
                await self._send_views(live)
        if drops:
            task = asyncio.create_task(self._drop_later(drops), name="live-hub-drop")
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        if delivered is not None:
            await delivered
        return outcome

    async def _deliver(self, live: _Live, outcomes: Sequence[Outcome[Any]]) -> None:
        """Audit events to the log, notifications to exactly their recipients, in order."""
        audit = [event for outcome in outcomes for event in outcome.audit]
        if audit:
            await self._host.audit(audit)
        for message in messages(outcomes):
            # one emit per message: the packet is encoded once for all its recipients
            sids = [live.sids[k] for k in sorted(message.recipients) if k in live.sids]
            if sids:
                await self._out.emit(message.event, message.payload, sids)

    def _pipeline(self, session_id: str) -> StoredFirst:
        def store(room_id: str, ops: Sequence[Mapping[str, Any]]) -> Awaitable[None]:
            return self._host.store_board_ops(session_id, room_id, ops)

        async def deliver(outcomes: Sequence[Outcome[Any]]) -> None:
            live = self._live.get(session_id)
            if live is not None:
                await self._deliver(live, outcomes)

        async def recover(stored: Mapping[str, int]) -> None:
            live = self._live.get(session_id)
            if live is None:
                return
            async with live.lock:
                live.pipeline.discard(stored)
                for room_id, seq in sorted(stored.items()):
                    if room_id in live.session.rooms_with_boards():
                        await self._rewind_board(live, room_id, seq)
                await self._reload_boards(live)

        return StoredFirst(store, deliver, recover)

    # -- a board's write failed: back to what is stored --------------------------

    async def _rewind_board(self, live: _Live, room_id: str, seq: int) -> None:
        """Puts a room's board back to its operation ``seq`` (the last one stored), in
        memory, without the database, and tells the room to take it again; the board
        is read back before anyone writes to it again."""
        board = live.session.board(room_id)
        if board.seq > seq:
            live.session.restore_board(room_id, board.log[:seq])
            await self._reset_board(live, room_id)
        live.stale.add(room_id)

    async def _reset_board(self, live: _Live, room_id: str) -> None:
        members = live.session.members(room_id)
        sids = [sid for key, sid in sorted(live.sids.items()) if key in members]
        if sids:
            seq = live.session.board(room_id).seq
            await self._out.emit("wb:reset", {"room_id": room_id, "seq": seq}, sids)

    async def _reload_boards(self, live: _Live) -> None:
        """Reads back the boards whose write failed (under the session's lock); one
        that cannot be read now stays to be read before its next write."""
        for room_id in sorted(live.stale):
            if room_id not in live.session.rooms_with_boards():
                live.stale.discard(room_id)
                continue
            seq = live.session.board(room_id).seq
            try:
                await self._load_board(live.session, room_id, keep_through=seq)
            except Exception as exc:  # the database may fail in any way
                logger.warning(
                    "session %s: board %s not read back yet (%s)",
                    live.session.session_id, room_id, type(exc).__name__,
                )  # fmt: skip
                continue
            live.stale.discard(room_id)
            if live.session.board(room_id).seq != seq:
                await self._reset_board(live, room_id)

    def _refuse_on_stale_boards(self, live: _Live, outcome: Outcome[Any]) -> None:
        """An operation on a board that could not be read back is not taken: its board
        goes back to before it, and its author is told it was not stored."""
        stale = {room: ops for room, ops in board_ops(outcome).items() if room in live.stale}
        for room_id, ops in stale.items():
            board = live.session.board(room_id)
            live.session.restore_board(room_id, board.log[: int(ops[0]["seq"]) - 1])
        if stale:
            raise SignalingError(
                ErrorCode.NOT_STORED, "the drawing could not be saved; please try again"
            )

    async def _load_board(
        self, session: LiveSession, room_id: str, *, keep_through: int | None = None
    ) -> None:
        """A room's board from what is stored (after ``keep_through``, nothing stays);
        if what is stored does not follow on, what does is loaded and the rest logged."""
        stored = await self._host.load_board(session.session_id, room_id, keep_through)
        log = []
        for op in stored:
            try:
                log.append(LoggedOp.from_wire(op))
            except (CodedError, ValueError, KeyError, TypeError):
                break
        loaded = session.restore_board(room_id, log)
        if loaded < len(stored):
            logger.error(
                "session %s: board %s loaded up to operation %d of %d stored",
                session.session_id, room_id, loaded, len(stored),
            )  # fmt: skip

    async def _load_documents(self, session: LiveSession) -> None:
        unreadable = session.restore_documents(await self._host.load_documents(session.session_id))
        if unreadable:
            logger.warning(
                "session %s: %d stored shared documents unreadable", session.session_id, unreadable
            )

    async def _save_documents(self, session: LiveSession) -> None:
        """Stores the documents' sharing state before the change is shown. A failure
        is logged: the change stands for the session in memory, and the next change
        stores the whole state again."""
        records = [doc.to_record() for doc in session.documents.all()]
        try:
            await self._host.save_documents(session.session_id, records)
        except Exception as exc:  # the database may fail in any way
            logger.warning(
                "session %s: shared documents' state not stored (%s)",
                session.session_id, type(exc).__name__,
            )  # fmt: skip

    async def _drop_later(self, sids: list[str]) -> None:
        """Closes kicked connections once the current ack and notices have gone out."""
        await asyncio.sleep(DROP_DELAY_SECONDS)
        for sid in sids:
            await self._out.drop(sid)

    def _desired_relay_room(self, live: _Live, key: str) -> str | None:
        session = live.session
        if key not in live.sids or session.participant(key).state is not State.ADMITTED:
            return None
        room = session.room_of(key)
        if room is None:
            return None
        session_id = session.session_id
        if room == PLENARY and not session.rooms.is_live(PLENARY):
            return relay_room(session_id, f"hold-{key}")  # waits alone, sees and hears nobody
        return relay_room(session_id, room)

    async def _sync_relay(self, live: _Live) -> None:
        if self._closed:
            return  # a disconnection that was waiting for the lock while the server stopped
        for key in sorted(set(live.roster)):
            pid = f"{live.session.session_id}.{key}"
            want = self._desired_relay_room(live, key)
            have = live.relay_rooms.get(key)
            if want == have:
                continue
            if have is None and want is not None:
                await self._relay.join(pid, want)
                live.relay_rooms[key] = want
            elif want is None:
                await self._relay.leave(pid)
                del live.relay_rooms[key]
            else:
                assert want is not None
                await self._relay.set_room(pid, want)
                live.relay_rooms[key] = want
        await self._sync_paused(live)

    async def _sync_paused(self, live: _Live) -> None:
        """A mediator's mute or camera stop holds at the relay until the person reopens it."""
        for key in sorted(live.relay_rooms):
            held = live.session.held(key)
            if held != live.paused.get(key, frozenset()):
                pid = f"{live.session.session_id}.{key}"
                for kind in ("audio", "video"):
                    await self._relay.set_paused(pid, kind, kind in held)
                live.paused[key] = held
        for key in [k for k in live.paused if k not in live.relay_rooms]:
            del live.paused[key]

    def _member(self, live: _Live, key: str) -> dict[str, Any]:
        entry = live.roster[key]
        media = live.media.get(key, Media())
        return {
            "key": key,
            "display_name": entry.display_name,
            "role": entry.role,
            "audio": media.audio,
            "video": media.video,
            "screen": media.screen,
            "reconnecting": key not in live.sids,
        }

    def _view(self, live: _Live, key: str) -> dict[str, Any] | None:
        session = live.session
        room = session.room_of(key)
        if room is None or session.participant(key).state is not State.ADMITTED:
            return None
        together = [
            other
            for other in sorted(session.members(room))
            if other != key and session.participant(other).state is State.ADMITTED
        ]
        on_hold = room == PLENARY and not session.rooms.is_live(PLENARY)
        return {
            "room_id": room,
            "kind": "plenary" if room == PLENARY else "private",
            "on_hold": on_hold,
            "members": [] if on_hold else [self._member(live, o) for o in together],
        }

    async def _send_views(self, live: _Live) -> None:
        current = set(live.sids.values())
        for sid in [s for s in live.views if s not in current]:
            del live.views[sid]
        for key, sid in sorted(live.sids.items()):
            view = self._view(live, key)
            if view is not None and live.views.get(sid) != view:
                live.views[sid] = view
                await self._out.emit("room:view", view, sid)
            elif view is None:
                live.views.pop(sid, None)
