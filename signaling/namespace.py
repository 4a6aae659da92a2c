"""The ``/session`` Socket.IO namespace: translates events into relay and presence calls.

Events (client to server, each with an ack):

* ``room:join`` {} — enter the session's room; the ack lists who is there and the ICE servers.
* ``room:leave`` {} — leave (the connection stays open).
* ``rtc:offer`` {sdp, labels?} — ack carries the relay's answer ``sdp``.
* ``rtc:answer`` {sdp} — answer to a relay offer.
* ``rtc:candidate`` {candidate} — a trickled ICE candidate (null: end of candidates).
* ``media:state`` {audio, video, screen} — what this participant is sending, for the tiles.

Server to client: ``room:member`` (someone joined or changed state), ``room:left``
{key}, ``rtc:offer`` {sdp} (renegotiation), ``session:replaced`` (another tab
took over this link) and ``session:ended``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from http.cookies import CookieError, SimpleCookie
from typing import Any

import socketio

from records.errors import ErrorCode
from signaling.errors import SignalingError
from signaling.identity import Authenticator, Identity
from signaling.media import MediaRelay, relay_id, relay_room, split_relay_id
from signaling.presence import Member, Presence
from signaling.protocol import (
    Ack,
    Empty,
    MediaState,
    Payload,
    RtcAnswer,
    RtcCandidate,
    RtcOffer,
    fail,
    ok,
    parse,
)

logger = logging.getLogger(__name__)

NAMESPACE = "/session"
Admission = Callable[[Identity], Awaitable[bool]]
OfferSink = Callable[[str, str], Awaitable[None]]
RelayFactory = Callable[[OfferSink], MediaRelay]


async def admit_everyone(identity: Identity) -> bool:
    """Admission before the lobby exists: every authenticated member may enter."""
    return True


def session_channel(session_id: str) -> str:
    return f"session:{session_id}"


def _cookies(environ: Mapping[str, Any]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(str(environ.get("HTTP_COOKIE", "")))
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _error_ack(exc: Exception) -> Ack | None:
    if isinstance(exc, SignalingError):
        return fail(exc.code, exc.message)
    code = getattr(exc, "code", None)
    if isinstance(code, ErrorCode):  # the relay's errors carry a shared code
        return fail(code, str(exc))
    return None


class SessionNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    def __init__(
        self,
        authenticator: Authenticator,
        relay_factory: RelayFactory,
        ice_servers: list[dict[str, Any]],
        admission: Admission = admit_everyone,
    ) -> None:
        super().__init__(NAMESPACE)
        self._auth = authenticator
        self._relay = relay_factory(self._relay_offer)
        self._ice_servers = ice_servers
        self._admission = admission
        self.presence = Presence()

    # -- plumbing ---------------------------------------------------------------

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Maps ``area:verb`` events to ``on_area_verb`` and turns errors into acks."""
        if event in {"connect", "disconnect"}:
            return await super().trigger_event(event, *args)
        handler = getattr(self, "on_" + event.replace(":", "_"), None)
        if handler is None or not event.count(":") == 1:
            return fail(ErrorCode.BAD_REQUEST, "unknown event")
        sid, *rest = args
        try:
            result: Ack = await handler(sid, rest[0] if rest else None)
        except Exception as exc:
            ack = _error_ack(exc)
            if ack is None:
                logger.exception("error in %s", event)
                return fail(ErrorCode.INTERNAL, "internal error")
            return ack
        return result

    def _member(self, sid: str, *, joined: bool = True) -> Member:
        member = self.presence.get(sid)
        if member is None:
            raise SignalingError(ErrorCode.NOT_AUTHENTICATED, "connection not authenticated")
        if joined and not member.joined:
            raise SignalingError(ErrorCode.NOT_JOINED, "join the room first")
        return member

    async def _relay_offer(self, participant_id: str, sdp: str) -> None:
        """Called by the relay when a participant's forwarded streams change."""
        session_id, key = split_relay_id(participant_id)
        sid = self.presence.sid_of(session_id, key)
        if sid is not None:
            await self.emit("rtc:offer", {"sdp": sdp}, to=sid)

    @property
    def relay(self) -> MediaRelay:
        return self._relay

    # -- connection ------------------------------------------------------------

    async def on_connect(self, sid: str, environ: Mapping[str, Any], auth: Any = None) -> None:
        if not isinstance(auth, dict):
            auth = {}
        try:
            identity = await self._auth.authenticate(auth, _cookies(environ))
        except SignalingError as exc:
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, {"code": exc.code.value}
            ) from None
        replaced = self.presence.attach(identity, sid)
        if replaced is not None:
            logger.info("session %s: %s opened a second tab", identity.session_id, identity.key)
            await self._leave_relay(identity)
            await self.emit("session:replaced", {}, to=replaced)
            await self.disconnect(replaced)
        await self.enter_room(sid, session_channel(identity.session_id))
        logger.info("session %s: %s connected", identity.session_id, identity.key)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        member = self.presence.detach(sid)
        if member is None:
            return
        if member.joined:
            await self._leave_relay(member.identity)
            await self._announce_left(member)
        logger.info("session %s: %s disconnected", member.identity.session_id, member.identity.key)

    async def _leave_relay(self, identity: Identity) -> None:
        await self._relay.leave(relay_id(identity))

    async def _announce_left(self, member: Member) -> None:
        await self.emit(
            "room:left",
            {"key": member.identity.key},
            room=session_channel(member.identity.session_id),
            skip_sid=member.sid,
        )

    # -- room ------------------------------------------------------------------

    async def on_room_join(self, sid: str, data: Any) -> Ack:
        parse(Empty, data)
        member = self._member(sid, joined=False)
        identity = member.identity
        if member.joined:
            raise SignalingError(ErrorCode.CONFLICT, "already in the room")
        if not await self._admission(identity):
            raise SignalingError(ErrorCode.FORBIDDEN, "not admitted")
        await self._relay.join(relay_id(identity), relay_room(identity.session_id))
        member = self.presence.update(sid, joined=True)
        await self.emit(
            "room:member",
            member.view(),
            room=session_channel(identity.session_id),
            skip_sid=sid,
        )
        others = [m.view() for m in self.presence.joined(identity.session_id) if m.sid != sid]
        return ok(
            self=member.view(),
            members=others,
            relay_id=relay_id(identity),
            ice_servers=self._ice_servers,
        )

    async def on_room_leave(self, sid: str, data: Any) -> Ack:
        parse(Empty, data)
        member = self._member(sid)
        await self._leave_relay(member.identity)
        self.presence.update(sid, joined=False, audio=False, video=False, screen=False)
        await self._announce_left(member)
        return ok()

    async def on_media_state(self, sid: str, data: Any) -> Ack:
        state = parse(MediaState, data)
        self._member(sid)
        member = self.presence.update(
            sid, audio=state.audio, video=state.video, screen=state.screen
        )
        await self.emit(
            "room:member",
            member.view(),
            room=session_channel(member.identity.session_id),
            skip_sid=sid,
        )
        return ok()

    # -- WebRTC negotiation ------------------------------------------------------

    async def on_rtc_offer(self, sid: str, data: Any) -> Ack:
        offer = parse(RtcOffer, data)
        member = self._member(sid)
        answer = await self._relay.handle_offer(relay_id(member.identity), offer.sdp, offer.labels)
        return ok(sdp=answer)

    async def on_rtc_answer(self, sid: str, data: Any) -> Ack:
        answer = parse(RtcAnswer, data)
        member = self._member(sid)
        await self._relay.handle_answer(relay_id(member.identity), answer.sdp)
        return ok()

    async def on_rtc_candidate(self, sid: str, data: Any) -> Ack:
        message = parse(RtcCandidate, data)
        member = self._member(sid)
        candidate = None if message.candidate is None else message.candidate.model_dump()
        await self._relay.add_candidate(relay_id(member.identity), candidate)
        return ok()


def payload_models() -> list[type[Payload]]:
    """Every event schema (for documentation and fuzzing)."""
    return [Empty, RtcOffer, RtcAnswer, RtcCandidate, MediaState]
