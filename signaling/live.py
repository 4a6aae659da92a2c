"""The live sessions of this process, and the one place where a domain Outcome is applied.

For every call the namespace makes, :class:`LiveHub` runs the
:class:`~sessions.service.LiveSession` method under the session's lock, then
applies what it returned: board operations go to the board store first, audit
events to the tamper-evident log, notifications to exactly their recipients'
connections, kicks close connections, and the relay's forwarding rooms are
recomputed from the domain's rooms. Nothing of a private meeting is sent to
anyone outside it, because every emit here is addressed to explicit participants.

What the session needs to carry on on another node (:mod:`sessions.durable`: who is
admitted, waiting or removed, the private meetings and who is in which, the lock...) is
stored whenever an outcome changed it, before anyone is told (the live-state port), and a
session this node picks up is resumed from it: the admitted come back to their room
without being let in again. The hub claims the stored state when it picks the session up,
so a node that lost the session can no longer overwrite it. How each thing is stored and a
session opened from the stores is :mod:`signaling.keeping`; how the relay is kept in step
with the rooms, :mod:`signaling.relay_rooms`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from errors import ErrorCode
from sessions.errors import Forbidden
from sessions.events import utc_now
from sessions.lobby import State
from sessions.outcome import Outcome
from sessions.service import LiveSession
from sessions.shared_text import TextEntry
from sessions.whiteboard.log import LoggedOp
from signaling.board_recovery import BoardRecovery
from signaling.errors import SessionElsewhere, SignalingError
from signaling.identity import Identity
from signaling.keeping import Keeper
from signaling.key_rooms import KeyRooms
from signaling.live_state import LiveState, Media
from signaling.media import MediaRelay
from signaling.observe import BoardObserver
from signaling.pipeline import TEXT_KEY, StoredFirst, messages, stored_first
from signaling.placement import LocalPlacement, Placement
from signaling.ports import Emitter, HubPorts
from signaling.presence import Connections
from signaling.relay_rooms import RelayRooms
from signaling.text_recovery import TextRecovery

logger = logging.getLogger(__name__)

T = TypeVar("T")
TICK_SECONDS = 1.0
DROP_DELAY_SECONDS = 0.2
CLOSE_WAIT_SECONDS = 5.0  # how long close() waits for the background tasks it cancelled
# How often each live session asks the store which of its connections' links were
# revoked meanwhile. A revocation reaches the hub at once through :meth:`LiveHub.link_revoked`,
# from whichever node it was made on (:mod:`signaling.gateway`); this is a safety net for
# a push that was lost (Redis down, the session moving between nodes).
REVOCATION_POLL_SECONDS = 5.0


class LiveHub:
    def __init__(
        self,
        ports: HubPorts,
        relay: MediaRelay,
        emitter: Emitter,
        *,
        grace: timedelta = timedelta(seconds=10),
        placement: Placement | None = None,
        resume_grace: timedelta = timedelta(seconds=60),
        observer: BoardObserver | None = None,
    ) -> None:
        self.ports = ports
        self._observer = observer
        self.placement: Placement = placement or LocalPlacement()
        self.placement.on_lost(self.lost)
        self._relay_rooms = RelayRooms(relay)
        self.key_rooms = KeyRooms(emitter)
        self._out = emitter
        self.connections = Connections()  # who is on each connection of this node
        self._boards = BoardRecovery(ports.boards, emitter)
        self._texts = TextRecovery(ports.texts, emitter)
        self._keeper = Keeper(
            ports, self._boards, grace=grace, resume_grace=resume_grace, texts=self._texts
        )
        self._live: dict[str, LiveState] = {}
        self._creating: dict[str, asyncio.Lock] = {}
        self._ticker: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._closed = False  # the server is stopping: the relay is being closed too

    # -- lifecycle -------------------------------------------------------------

    async def _get(self, session_id: str) -> LiveState:
        live = self._live.get(session_id)
        if live is not None:
            return live
        async with self._creating.setdefault(session_id, asyncio.Lock()):
            live = self._live.get(session_id)
            if live is None:
                try:
                    claim = await self.placement.claim(session_id)
                except Exception as exc:  # the lease store is out of reach: retry
                    logger.warning(
                        "session %s: lease not claimed (%s)", session_id, type(exc).__name__
                    )
                    raise SignalingError(ErrorCode.SERVER_BUSY, "retry in a moment") from None
                if not claim.mine:  # another node runs it, or this one is stopping
                    here = claim.holder == self.placement.node_id
                    raise SessionElsewhere(claim.holder, moving=here)
                opened = await self._keeper.open(session_id)
                live = LiveState(
                    opened.session, opened.version, opened.roster, self._pipeline(session_id)
                )
                live.epoch, live.stored = opened.epoch, opened.stored
                live.ended = opened.stored is not None and opened.stored.ended
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
                if live.ended and not live.end_stored:
                    await self._finish_end(live)
                await self._run(live, lambda s: s.tick())
                await self._end_dead_links(live)
                connected = self.connections.in_session(session_id)
                pending = live.ended and not live.end_stored  # kept until it is stored
                if not connected and not pending and (live.ended or not live.session.connected()):
                    await self._drop_idle(session_id, live)

    async def _drop_idle(self, session_id: str, live: LiveState) -> None:
        """Forgets a live session nobody is connected to, and gives its lease up (under the
        creation lock: a connection coming meanwhile claims it again afterwards)."""
        async with self._creating.setdefault(session_id, asyncio.Lock()):
            if self._live.get(session_id) is not live or self.connections.in_session(session_id):
                return
            self._live.pop(session_id, None)
            await live.pipeline.close()
            try:
                await self.placement.release(session_id)
            except Exception as exc:  # it expires by itself
                logger.warning(
                    "session %s: lease not released (%s)", session_id, type(exc).__name__
                )

    async def lost(self, session_id: str) -> None:
        """This node no longer holds ``session_id``'s lease: it stops running it at once.
        Its state here is dropped (what was acknowledged is stored) and its connections
        are told ``session:moving`` and closed, so that they come back through the load
        balancer to the node that runs it now."""
        async with self._creating.setdefault(session_id, asyncio.Lock()):
            live = self._live.pop(session_id, None)
        if live is None:
            return
        await live.pipeline.close()
        await self._relay_rooms.leave(live)
        await self._send_away(session_id)
        logger.warning("session %s: no longer run on this node", session_id)

    async def drain(self) -> None:
        """The node is stopping: no new session, every session handed over (lease
        released, connections sent away to come back on another node)."""
        self.placement.drain()
        logger.info("stopping: handing %d live sessions over", len(self._live))
        for session_id in sorted(self._live):
            async with self._creating.setdefault(session_id, asyncio.Lock()):
                live = self._live.pop(session_id, None)
            if live is None:
                continue
            async with live.lock:  # the call under way ends first
                await live.pipeline.close()
            await self._relay_rooms.leave(live)
            try:
                await self.placement.release(session_id)
            except Exception as exc:  # it expires by itself
                logger.warning(
                    "session %s: lease not released (%s)", session_id, type(exc).__name__
                )
            await self._send_away(session_id)
            logger.info("session %s: handed over (the node is stopping)", session_id)

    async def _send_away(self, session_id: str) -> None:
        for sid in sorted(self.connections.in_session(session_id)):
            self.connections.detach(sid)
            with contextlib.suppress(Exception):  # gone already
                await self._out.emit("session:moving", {}, sid)
                await self._out.drop(sid)

    async def _end_dead_links(self, live: LiveState) -> None:
        """Connections whose link expired, or was revoked without this node being told,
        are closed (the store is asked every ``REVOCATION_POLL_SECONDS``)."""
        now = utc_now().timestamp()
        conns = self.connections.in_session(live.session.session_id)
        dead = {sid: "link_expired" for sid, who in conns.items() if who.expired(now)}
        if now - live.polled_at >= REVOCATION_POLL_SECONDS:
            live.polled_at = now
            links = {who.link_id for who in conns.values() if who.link_id is not None}
            try:
                revoked = await self.ports.roster.revoked_links(live.session.session_id, links)
            except Exception as exc:  # the database may be down: next time
                logger.warning(
                    "session %s: revoked links not checked (%s)",
                    live.session.session_id, type(exc).__name__,
                )  # fmt: skip
                revoked = set()
            for sid, who in conns.items():
                if who.link_id in revoked:
                    dead.setdefault(sid, "link_revoked")
        for key, reason in sorted({(conns[sid].key, r) for sid, r in dead.items()}):
            await self._run(live, _link_ended(key, reason))

    async def close(self) -> None:
        """Stops the hub. Its background tasks (what follows an end, delayed drops) are
        cancelled and waited for, a few seconds at most, before anything they use closes:
        a task left running into the database's shutdown can wait forever on a connection
        whose worker is gone."""
        self._closed = True
        self._keeper.close()
        background = list(self._background)
        for task in background:
            task.cancel()
        if background:
            await asyncio.wait(background, timeout=CLOSE_WAIT_SECONDS)
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        for live in self._live.values():
            await live.pipeline.close()
        self._live.clear()

    def live_sessions(self) -> list[LiveSession]:
        """The sessions live on this node now (what the metrics count)."""
        return [live.session for live in self._live.values()]

    @property
    def closed(self) -> bool:
        return self._closed

    def session(self, session_id: str) -> LiveSession | None:
        live = self._live.get(session_id)
        return None if live is None else live.session

    # -- calls from the namespace ----------------------------------------------

    async def connect(
        self, identity: Identity, sid: str, device: str | None = None
    ) -> dict[str, Any]:
        """Attaches connection ``sid`` (from ``device``, the browser's id for this link)."""
        live = await self._get(identity.session_id)
        if identity.key not in live.roster:
            raise SignalingError(ErrorCode.FORBIDDEN, "not invited to this session")
        if identity.expired(utc_now().timestamp()):
            raise SignalingError(ErrorCode.LINK_EXPIRED, "this link has expired")
        consented = await self.ports.consent.has_consent(
            identity.session_id, identity.key, live.version
        )

        def attach(s: LiveSession) -> Outcome[Any]:
            outcome = s.connect(identity.key, sid, device)
            if consented and not s.participant(identity.key).consented:
                s.record_consent(identity.key, live.version)
            return outcome

        self.connections.attach(identity, sid)
        live.media.setdefault(identity.key, Media())
        try:
            outcome = await self._run(live, attach)
        except BaseException:
            self.connections.detach(sid)
            raise
        view = live.session.participant(identity.key)
        contending = bool(getattr(outcome.value, "contending", False))
        return {
            "self": live.member(identity.key),
            "state": State.WAITING.value if contending else view.state.value,
            "again": contending,  # another device holds this seat: a mediator decides
            "consented": view.consented,
            "consent_version": live.version,
            "roster": {
                k: {"display_name": e.display_name, "role": e.role} for k, e in live.roster.items()
            },
            "resumed": bool(getattr(outcome.value, "resumed", False)),
        }

    async def disconnect(self, sid: str) -> Identity | None:
        """Connection ``sid`` closed (or was refused): who was on it, None if nobody."""
        identity = self.connections.detach(sid)
        live = None if identity is None else self._live.get(identity.session_id)
        if identity is not None and live is not None:
            await self._run(live, lambda s: s.disconnect(identity.key, sid))
        return identity

    async def call(
        self,
        identity: Identity,
        action: Callable[[LiveSession, str], Outcome[T]],
        *,
        connection: str | None = None,
        device: str | None = None,
        content_only: bool = False,
        stored: Callable[[], Awaitable[None]] | None = None,
    ) -> T:
        """Runs a domain action as ``identity`` and applies its outcome.

        ``connection``: the Socket.IO connection it came on, which must hold the seat
        (not a replaced one, nor another device waiting for the mediator); None for a
        request over HTTP, whose link must be the seat's and, for a link holder, come from
        the seat's ``device`` (another device with the same link is served nothing).
        ``content_only``: the action only adds content (a drawing, a message), so
        nobody's room, media or view can have changed and they are not recomputed.
        ``stored``: what must be stored before anyone is told (as :meth:`_run`).
        """
        live = await self._get(identity.session_id)
        await self._require_seat(live, identity, connection, device)
        outcome = await self._run(live, lambda s: action(s, identity.key), content_only, stored)
        return outcome.value

    async def _require_seat(
        self, live: LiveState, identity: Identity, connection: str | None, device: str | None = None
    ) -> None:
        seat = live.sids.get(identity.key)
        who = (None if connection is None else self.connections.get(connection)) or identity
        if who.expired(utc_now().timestamp()):
            await self._run(live, lambda s: s.link_ended(identity.key, "link_expired"))
            raise SignalingError(ErrorCode.LINK_EXPIRED, "this link has expired")
        if seat is None:
            raise SignalingError(ErrorCode.NOT_AUTHENTICATED, "not connected to the session")
        if connection is not None and connection != seat:
            if connection == live.session.lobby.contender_of(identity.key):
                raise SignalingError(ErrorCode.NOT_JOINED, "wait for the mediator to let you in")
            raise SignalingError(ErrorCode.NOT_AUTHENTICATED, "connection replaced")
        if connection is None:
            seated = self.connections.get(seat)
            if seated is None or seated.link_id != identity.link_id:
                raise SignalingError(ErrorCode.NOT_AUTHENTICATED, "not connected with this link")
            bound = live.session.lobby.device_of(identity.key)
            if identity.link_id is not None and (device is None or device != bound):
                raise SignalingError(ErrorCode.NOT_AUTHENTICATED, "not the device in the session")

    def require_connected(self, identity: Identity, connection: str | None = None) -> None:
        """``identity`` holds the seat (on ``connection``, when given); no I/O."""
        live = self._live.get(identity.session_id)
        seat = None if live is None else live.sids.get(identity.key)
        if seat is None or (connection is not None and connection != seat):
            raise SignalingError(ErrorCode.NOT_AUTHENTICATED, "connection replaced")
        if identity.expired(utc_now().timestamp()):
            raise SignalingError(ErrorCode.LINK_EXPIRED, "this link has expired")

    async def read(
        self,
        identity: Identity,
        query: Callable[[LiveSession, str], T],
        *,
        connection: str | None = None,
        device: str | None = None,
    ) -> T:
        """Answers a question about the session as ``identity`` (nothing to apply)."""
        live = await self._get(identity.session_id)
        await self._require_seat(live, identity, connection, device)
        async with live.lock:
            return query(live.session, identity.key)

    async def with_live(
        self, identity: Identity, connection: str, step: Callable[[LiveState], Awaitable[None]]
    ) -> None:
        """Runs ``step`` on ``identity``'s live session under its lock, from the connection
        holding their seat (what is not a domain action: the media keys' messages)."""
        live = await self._get(identity.session_id)
        await self._require_seat(live, identity, connection)
        async with live.lock:
            await step(live)

    def is_contender(self, identity: Identity, connection: str) -> bool:
        """``connection`` is another device waiting for a mediator to give it the seat."""
        live = self._live.get(identity.session_id)
        return live is not None and connection == live.session.lobby.contender_of(identity.key)

    async def link_revoked(self, session_id: str, key: str, link_id: str | None) -> None:
        """A link of ``key`` was revoked or replaced (``link_id``; None: all of theirs):
        every connection that came with it closes now and its holder leaves the room."""
        live = self._live.get(session_id)
        if live is None or key not in live.roster:
            return
        conns = self.connections.in_session(session_id)
        using = {sid for sid, who in conns.items() if who.key == key}
        if link_id is not None:
            using = {sid for sid in using if conns[sid].link_id == link_id}
        if using or (link_id is None and live.session.room_of(key) is not None):
            await self._run(live, lambda s: s.link_ended(key, "link_revoked"))

    async def session_closed(self, session_id: str) -> None:
        """The session can no longer take place (its case was closed; the store says it
        ended): whoever is connected leaves now, told ``session_closed``."""
        live = self._live.get(session_id)
        if live is None:
            return
        live.ended = live.end_stored = True  # stored by whoever closed it
        for key in sorted(live.sids):
            await self._run(live, _link_ended(key, "session_closed"))

    async def admit(self, identity: Identity, connection: str, key: str) -> None:
        """``identity`` lets ``key`` in; the domain decides, told whether every party agreed
        to the presence of observers (from the consent log)."""
        agreed = await self.ports.consent.observers_allowed(identity.session_id)
        await self.call(
            identity, lambda s, k: s.admit(k, key, observers_agreed=agreed), connection=connection
        )

    async def set_media(
        self, identity: Identity, connection: str, audio: bool, video: bool, screen: bool
    ) -> None:
        """What the participant says they send, through the domain's media gate."""
        live = await self._get(identity.session_id)
        await self._require_seat(live, identity, connection)
        await self._run(live, lambda s: s.set_media_state(identity.key, audio, video, screen), True)
        async with live.lock:
            live.media[identity.key] = Media(audio, video, screen)
            await self._send_views(live)

    async def check_media(
        self, identity: Identity, connection: str, labels: Sequence[str] = ()
    ) -> None:
        """A media negotiation (ICE servers, offer, answer, candidate) goes through the
        domain's media gate, with the tracks it names; a refusal is audited."""
        live = await self._get(identity.session_id)
        await self._require_seat(live, identity, connection)
        async with live.lock:
            try:
                live.session.check_media(identity.key, labels)
            except Forbidden as exc:
                if exc.audit is not None:
                    await self.ports.audit.append([exc.audit])
                raise

    def seat_of(self, session_id: str, key: str) -> str | None:
        """The connection holding ``key``'s seat in ``session_id``, if any (on this node)."""
        live = self._live.get(session_id)
        return None if live is None else live.sids.get(key)

    def relay_room_of(self, identity: Identity) -> str | None:
        live = self._live.get(identity.session_id)
        return None if live is None else live.relay_rooms.get(identity.key)

    async def consent_recorded(self, session_id: str, key: str) -> None:
        """The server wrote a consent entry: let the domain know (it opens the media gate)."""
        live = self._live.get(session_id)
        if live is None:
            return
        if await self.ports.consent.has_consent(session_id, key, live.version):
            await self._run(live, lambda s: s.record_consent(key, live.version))

    async def consent_declined(self, session_id: str, key: str) -> None:
        """The participant declined on the consent page: the domain says who is told."""
        live = await self._get(session_id)
        await self._run(live, lambda s: s.decline_consent(key))

    async def end(self, identity: Identity) -> None:
        """Ends the session for everyone. The end is stored (the live state, then the
        schedule) before anyone is told: whoever hears "session:ended" finds the session
        ended on every route (the questionnaire's ballot, a reload). What follows the end
        (the questionnaire by e-mail) comes after everyone was told, in the background."""
        live = await self._get(identity.session_id)

        async def store_end() -> None:
            live.ended = True
            await self._store_end(live)

        outcome = await self._run(live, lambda s: s.end(identity.key), stored=store_end)
        if live.end_stored:  # in the background: the mediator's answer does not wait for it
            task = asyncio.create_task(self._follow_up(live), name="live-hub-follow-up")
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        await self._keeper.drop_live(live)
        board = outcome.value.plenary_board
        if board.objects:
            try:
                await self.ports.archive.keep_board(identity.session_id, board, identity.key)
            except Exception as exc:  # the session is over either way; the journal keeps it
                logger.warning(
                    "session %s: the plenary board was not kept at the end (%s)",
                    identity.session_id, type(exc).__name__,
                )  # fmt: skip
        kept = outcome.value.retained_chat
        if kept:
            await self.ports.archive.keep_chat(identity.session_id, kept)

    async def _store_end(self, live: LiveState) -> None:
        """The schedule says the session ended; a failure is logged and the tick tries
        again (the live state stored says it ended meanwhile)."""
        session_id = live.session.session_id
        try:
            took_part = live.session.participants_who_took_part()
            await self.ports.roster.end_session(session_id, took_part)
        except Exception as exc:  # the database may fail in any way
            logger.warning(
                "session %s: its end not stored yet (%s)", session_id, type(exc).__name__
            )
            return
        live.end_stored = True

    async def _follow_up(self, live: LiveState) -> None:
        """What follows the end (once the end is stored); a failure is logged."""
        follow_up = self.ports.follow_up
        if follow_up is None:
            return
        session_id = live.session.session_id
        try:
            await follow_up.session_ended(session_id, live.session.participants_who_took_part())
        except Exception as exc:
            logger.warning(
                "session %s: what follows its end failed (%s)", session_id, type(exc).__name__
            )

    async def _finish_end(self, live: LiveState) -> None:
        """An ended session whose end is not stored yet (the database failed, or the node
        that ended it stopped before storing it: its live state says so): store it now,
        then what follows it."""
        async with live.lock:
            if live.end_stored:
                return
            await self._store_end(live)
        if live.end_stored:
            await self._follow_up(live)
            await self._keeper.drop_live(live)

    # -- applying outcomes -------------------------------------------------------

    async def _run(
        self,
        live: LiveState,
        step: Callable[[LiveSession], Outcome[T]],
        content_only: bool = False,
        stored: Callable[[], Awaitable[None]] | None = None,
    ) -> Outcome[T]:
        """Runs ``step`` under the session's lock and applies its outcome.

        ``stored``: runs once the outcome's live state is stored, before anyone is told
        (what must be stored elsewhere first: a session's end).

        An outcome with board operations is delivered by the session's
        :class:`~signaling.pipeline.StoredFirst` once they are stored (the call
        returns then); anything else is delivered at once.
        """
        drops: list[str] = []
        delivered: asyncio.Future[Outcome[Any]] | None = None
        async with live.lock:
            if live.stale:
                await self._boards.reload(live)
            seated = live.sids
            try:
                outcome = step(live.session)
            except Forbidden as exc:
                if exc.audit is not None:
                    await self.ports.audit.append([exc.audit])
                raise
            self._boards.refuse_on_stale(live, outcome)
            await self._keeper.store_live(live)
            if stored is not None:
                await stored()
            # the lobby decides which connection holds each seat; this outcome's messages
            # still reach a seat it just closed (a "session ended", say)
            addresses = {**seated, **live.sids}
            if outcome.revocations:
                await self._keeper.revoke(live.session.session_id, outcome.revocations)
            if outcome.documents_changed:
                await self._keeper.save_documents(live.session)
            if outcome.discard_documents:
                await self._keeper.discard_documents(live.session, outcome.discard_documents)
            if stored_first(outcome):
                delivered = live.pipeline.submit(outcome)
            else:
                await self._deliver(live, [outcome], addresses)
            for kick in outcome.kicks:
                await self._out.emit("session:kicked", {"reason": kick.reason}, kick.connection_id)
                drops.append(kick.connection_id)
                self.connections.detach(kick.connection_id)  # nothing more on it, from now
            if not content_only or outcome.kicks or outcome.room_changes:
                if not self._closed:  # else: a disconnection waited for the lock meanwhile
                    await self._relay_rooms.sync(live)
                await self._send_views(live)
                await self.key_rooms.sync(live)
        if drops:
            task = asyncio.create_task(self._drop_later(drops), name="live-hub-drop")
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        if delivered is not None:
            await delivered
        return outcome

    async def _deliver(
        self,
        live: LiveState,
        outcomes: Sequence[Outcome[Any]],
        addresses: Mapping[str, str] | None = None,
    ) -> None:
        """Audit events to the log, notifications to exactly their recipients, in order
        (``addresses``: each recipient's connection; by default, who holds each seat)."""
        audit = [event for outcome in outcomes for event in outcome.audit]
        if audit:
            await self.ports.audit.append(audit)
        to = live.sids if addresses is None else addresses
        for message in messages(outcomes):
            # one emit per message: the packet is encoded once for all its recipients
            sids = [to[k] for k in sorted(message.recipients) if k in to]
            if sids:
                await self._out.emit(message.event, message.payload, sids)

    def _pipeline(self, session_id: str) -> StoredFirst:
        def store(room_id: str, ops: Sequence[LoggedOp]) -> Awaitable[None]:
            return self.ports.boards.store(session_id, room_id, ops)

        texts = self.ports.texts

        def store_text(room_id: str, entries: Sequence[TextEntry]) -> Awaitable[None]:
            assert texts is not None  # no text is written without a store (the namespace)
            return texts.store(session_id, room_id, entries)

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
                    if room_id.startswith(TEXT_KEY):
                        await self._texts.rewind(live, room_id[len(TEXT_KEY) :], seq)
                    elif room_id in live.session.rooms_with_boards():
                        await self._boards.rewind(live, room_id, seq)
                await self._boards.reload(live)

        return StoredFirst(
            store, deliver, recover, self._observer, None if texts is None else store_text
        )

    async def _drop_later(self, sids: list[str]) -> None:
        """Closes kicked connections once the current ack and notices have gone out."""
        await asyncio.sleep(DROP_DELAY_SECONDS)
        for sid in sids:
            await self._out.drop(sid)

    async def _send_views(self, live: LiveState) -> None:
        current = set(live.sids.values())
        for sid in [s for s in live.views if s not in current]:
            del live.views[sid]
        for key, sid in sorted(live.sids.items()):
            view = live.view(key)
            if view is not None and live.views.get(sid) != view:
                live.views[sid] = view
                await self._out.emit("room:view", view, sid)
            elif view is None:
                live.views.pop(sid, None)


def _link_ended(key: str, reason: str) -> Callable[[LiveSession], Outcome[None]]:
    return lambda s: s.link_ended(key, reason)
