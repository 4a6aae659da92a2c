"""The ``/session`` Socket.IO namespace: translates events into domain, hub and relay calls.

On connection the server sends ``session:hello`` (who you are, your lobby
state, the roster's names and roles, whether consent is still needed).
Client-to-server events, each with an ack ``{"ok": ...}``:

* lobby: ``lobby:knock`` {}, ``lobby:list`` {}, ``lobby:admit`` / ``lobby:decline`` {key},
  ``room:lock`` {locked}, ``session:end`` {}, ``consent:withdraw`` {}, ``room:leave`` {}
* moderation: ``participant:remove`` / ``participant:mute`` / ``participant:stop_camera``
  {key}, ``media:reopen`` {audio, video}, ``media:state`` {audio, video, screen}
* private meetings: ``caucus:open`` {members, label}, ``caucus:close`` {room_id},
  ``caucus:move`` {key, room_id}, ``caucus:return_all`` {}, ``room:plenary_talk`` {allowed}
* whiteboard, chat, shared documents: ``wb:*``, ``chat:*``, ``doc:*`` (see
  :mod:`signaling.collab`); shared texts: ``text:*`` (see :mod:`signaling.drafting`;
  comments on them: :mod:`signaling.text_comments`)
* end-to-end media encryption: ``e2ee:hello``, ``e2ee:key`` (see :mod:`signaling.e2ee`)
* WebRTC: ``rtc:ice`` {} (ack carries the STUN/TURN servers with their credentials,
  :mod:`signaling.ice`), ``rtc:offer`` {sdp, labels?} (ack carries the relay's answer),
  ``rtc:answer`` {sdp}, ``rtc:candidate`` {candidate}; refused without consent or before admission.

Server-to-client: ``room:view`` (the room you are in and who is in it with
you), ``rtc:offer`` (renegotiation), ``session:kicked`` {reason}, the domain's
notifications (``lobby:state``, ``lobby:waiting``, ``room:overview``,
``session:ended``, ``media:stop`` {kind, by} when a mediator mutes you, ...).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

import socketio

from errors import CodedError, ErrorCode
from sessions.service import LiveSession
from signaling.budget import EventBudgets
from signaling.collab import CollabEvents
from signaling.collab_protocol import MODELS as COLLAB_MODELS
from signaling.drafting import MODELS as DRAFTING_MODELS
from signaling.drafting import DraftingEvents
from signaling.e2ee import MODELS as E2EE_MODELS
from signaling.e2ee import E2eeEvents
from signaling.edge import EdgeServer
from signaling.errors import SessionElsewhere, SignalingError
from signaling.ice import IceServers
from signaling.identity import Identity
from signaling.live import LiveHub
from signaling.media import MediaRelay, relay_id, split_relay_id
from signaling.observe import BoardObserver
from signaling.placement import Placement
from signaling.ports import Authenticator, HubPorts
from signaling.protocol import (
    Ack,
    CaucusMove,
    CaucusOpen,
    CaucusRoom,
    Empty,
    KeyRef,
    Locked,
    MediaReopen,
    MediaState,
    Payload,
    PlenaryTalk,
    RtcAnswer,
    RtcCandidate,
    RtcOffer,
    fail,
    ok,
    parse,
)
from signaling.text_comments import MODELS as COMMENT_MODELS
from signaling.text_comments import CommentEvents
from signaling.text_signing import MODELS as TEXT_SIGNING_MODELS
from signaling.text_signing import TextSigningEvents

logger = logging.getLogger(__name__)

NAMESPACE = "/session"
OfferSink = Callable[[str, str], Awaitable[None]]
RelayFactory = Callable[[OfferSink], MediaRelay]


def _cookies(environ: Mapping[str, Any]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(str(environ.get("HTTP_COOKIE", "")))
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _error_ack(exc: Exception) -> Ack | None:
    """The one place where an error becomes an error ack (None: not for the client)."""
    if isinstance(exc, CodedError) and exc.code is not ErrorCode.INTERNAL:
        return fail(exc.code, exc.message)
    return None


class SessionNamespace(
    CollabEvents, DraftingEvents, TextSigningEvents, CommentEvents, E2eeEvents,
    socketio.AsyncNamespace,  # type: ignore[misc]
):  # fmt: skip
    def __init__(
        self,
        authenticator: Authenticator,
        ports: HubPorts,
        relay_factory: RelayFactory,
        ice_servers: IceServers,
        budgets: EventBudgets | None = None,
        observer: BoardObserver | None = None,
        placement: Placement | None = None,
    ) -> None:
        super().__init__(NAMESPACE)
        self.budgets = budgets or EventBudgets()
        self._auth = authenticator
        self._ports = ports
        self._relay = relay_factory(self._relay_offer)
        self._ice_servers = ice_servers
        self.hub = LiveHub(ports, self._relay, self, observer=observer, placement=placement)

    def _set_server(self, server: Any) -> None:
        if not isinstance(server, EdgeServer):  # the edge keeps reserved names out of events
            raise TypeError("the /session namespace is served by signaling.edge.EdgeServer")
        super()._set_server(server)

    @property
    def relay(self) -> MediaRelay:
        return self._relay

    # -- plumbing (the Emitter the hub uses) ---------------------------------------

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Maps ``area:verb`` events to ``on_area_verb`` and turns errors into acks."""
        if event in {"connect", "disconnect"}:  # from CONNECT/DISCONNECT packets only: the edge
            return await super().trigger_event(event, *args)
        handler = getattr(self, "on_" + event.replace(":", "_"), None)
        if handler is None or event.count(":") != 1:
            return fail(ErrorCode.BAD_REQUEST, "unknown event")
        sid, *rest = args
        if not self.budgets.allow(sid, event):  # this connection only: the others go on
            return fail(ErrorCode.RATE_LIMITED, "too many requests; slow down")
        try:
            result: Ack = await handler(sid, rest[0] if rest else None)
        except Exception as exc:
            ack = _error_ack(exc)
            if ack is None:
                who = self.hub.connections.get(sid)
                session = None if who is None else who.session_id
                logger.exception("error in %s", event, extra={"session": session})
                return fail(ErrorCode.INTERNAL, "internal error")
            return ack
        return result

    async def drop(self, sid: str) -> None:
        await self.disconnect(sid)

    def _identity(self, sid: str) -> Identity:
        identity = self.hub.connections.get(sid)
        if identity is None:
            raise SignalingError(ErrorCode.NOT_AUTHENTICATED, "connection not authenticated")
        return identity

    async def _relay_offer(self, participant_id: str, sdp: str) -> None:
        """Called by the relay when a participant's forwarded streams change."""
        session_id, key = split_relay_id(participant_id)
        sid = self.hub.seat_of(session_id, key)
        if sid is not None:
            await self.emit("rtc:offer", {"sdp": sdp}, to=sid)

    async def _do(self, sid: str, action: Callable[[LiveSession, str], Any]) -> Any:
        return await self.hub.call(self._identity(sid), action, connection=sid)

    # -- connection ------------------------------------------------------------

    async def on_connect(self, sid: str, environ: Mapping[str, Any], auth: Any = None) -> None:
        """A real CONNECT packet (the edge never lets an event named ``connect`` through).

        Any failure refuses the connection with a code and leaves nothing behind:
        no connection in the hub's registry, nothing in the live session.
        """
        identity: Identity | None = None
        try:
            auth = auth if isinstance(auth, dict) else {}
            identity = await self._auth.authenticate(auth, _cookies(environ))
            hello = await self.hub.connect(identity, sid, _device(auth.get("device")))
            hello["ice_servers"] = self._ice_servers.public()  # credentials: rtc:ice
            hello["relay_id"] = relay_id(identity)
            hello["session_id"] = identity.session_id
            hello["node"] = self.hub.placement.node_id  # the load balancer's routing hint
            await self.emit("session:hello", hello, to=sid)
        except (Exception, asyncio.CancelledError) as exc:
            # cancelled: the client went away meanwhile (python-socketio would take a
            # cancelled handler for an accepted connection)
            await self._forget(sid, identity)
            if isinstance(exc, SessionElsewhere):
                raise _route(exc, _node_hint(environ)) from None
            ack = _error_ack(exc) if isinstance(exc, Exception) else None
            if ack is None:
                if isinstance(exc, Exception):
                    logger.exception("connection refused on an internal error")
                ack = fail(ErrorCode.INTERNAL, "internal error")
            raise socketio.exceptions.ConnectionRefusedError(
                ack["error"]["message"], {"code": ack["error"]["code"]}
            ) from None
        logger.info("session %s: %s connected", identity.session_id, identity.key)

    async def _forget(self, sid: str, identity: Identity | None) -> None:
        """Undoes whatever a refused connection had set up."""
        self.budgets.forget(sid)
        if identity is None:
            return
        try:
            await self.hub.disconnect(sid)
        except Exception as exc:  # the refusal goes out whatever happens here
            logger.warning(
                "session %s: refused connection not cleaned up (%s)",
                identity.session_id, type(exc).__name__,
            )  # fmt: skip

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.budgets.forget(sid)
        identity = await self.hub.disconnect(sid)
        if identity is not None:
            logger.info("session %s: %s disconnected", identity.session_id, identity.key)

    # -- lobby -----------------------------------------------------------------

    async def on_lobby_knock(self, sid: str, data: Any) -> Ack:
        parse(Empty, data)
        if self.hub.is_contender(self._identity(sid), sid):  # asked already, when it connected
            await self.emit("lobby:state", {"state": "waiting", "again": True}, to=sid)
            return ok(state="waiting", again=True)
        state = await self._do(sid, lambda s, k: s.knock(k))
        return ok(state=state.value)

    async def on_lobby_list(self, sid: str, data: Any) -> Ack:
        parse(Empty, data)
        views = await self.hub.read(
            self._identity(sid), lambda s, k: s.lobby_list(k), connection=sid
        )
        return ok(
            participants=[
                {
                    "key": v.participant_id,
                    "role": v.role.value,
                    "state": v.state.value,
                    "consented": v.consented,
                    "connected": v.connected,
                    "again": v.contending,
                }
                for v in views
            ]
        )

    async def on_lobby_call(self, sid: str, data: Any) -> Ack:
        parse(Empty, data)
        await self._do(sid, lambda s, k: s.call_mediator(k))
        return ok()

    async def on_lobby_admit(self, sid: str, data: Any) -> Ack:
        target = parse(KeyRef, data).key
        await self.hub.admit(self._identity(sid), sid, target)
        return ok()

    async def on_lobby_decline(self, sid: str, data: Any) -> Ack:
        target = parse(KeyRef, data).key
        await self._do(sid, lambda s, k: s.decline(k, target))
        return ok()

    async def on_room_lock(self, sid: str, data: Any) -> Ack:
        locked = parse(Locked, data).locked
        await self._do(sid, lambda s, k: s.set_locked(k, locked))
        return ok(locked=locked)

    async def on_room_leave(self, sid: str, data: Any) -> Ack:
        parse(Empty, data)
        await self._do(sid, lambda s, k: s.leave(k))
        return ok()

    async def on_session_end(self, sid: str, data: Any) -> Ack:
        parse(Empty, data)
        await self.hub.end(self._identity(sid))
        return ok()

    async def on_consent_withdraw(self, sid: str, data: Any) -> Ack:
        parse(Empty, data)
        identity = self._identity(sid)
        self.hub.require_connected(identity, sid)
        await self._ports.consent.withdraw(identity.session_id, identity.key, "socket")
        await self._do(sid, lambda s, k: s.withdraw_consent(k))
        return ok()

    # -- moderation --------------------------------------------------------------

    async def on_participant_remove(self, sid: str, data: Any) -> Ack:
        target = parse(KeyRef, data).key
        await self._do(sid, lambda s, k: s.remove(k, target))
        return ok()

    async def on_participant_mute(self, sid: str, data: Any) -> Ack:
        target = parse(KeyRef, data).key
        await self._do(sid, lambda s, k: s.mute(k, target))
        return ok()

    async def on_participant_stop_camera(self, sid: str, data: Any) -> Ack:
        target = parse(KeyRef, data).key
        await self._do(sid, lambda s, k: s.stop_camera(k, target))
        return ok()

    async def on_media_reopen(self, sid: str, data: Any) -> Ack:
        wanted = parse(MediaReopen, data)
        await self._do(sid, lambda s, k: s.reopen_media(k, audio=wanted.audio, video=wanted.video))
        return ok()

    async def on_media_state(self, sid: str, data: Any) -> Ack:
        state = parse(MediaState, data)
        await self.hub.set_media(self._identity(sid), sid, state.audio, state.video, state.screen)
        return ok()

    # -- private meetings -----------------------------------------------------------

    async def on_caucus_open(self, sid: str, data: Any) -> Ack:
        wanted = parse(CaucusOpen, data)
        room = await self._do(
            sid, lambda s, k: s.open_private_meeting(k, wanted.members, wanted.label)
        )
        return ok(room_id=room.room_id)

    async def on_caucus_close(self, sid: str, data: Any) -> Ack:
        room_id = parse(CaucusRoom, data).room_id
        await self._do(sid, lambda s, k: s.close_private_meeting(k, room_id))
        return ok()

    async def on_caucus_move(self, sid: str, data: Any) -> Ack:
        wanted = parse(CaucusMove, data)
        await self._do(sid, lambda s, k: s.move(k, wanted.key, wanted.room_id))
        return ok()

    async def on_caucus_return_all(self, sid: str, data: Any) -> Ack:
        parse(Empty, data)
        await self._do(sid, lambda s, k: s.return_all_to_plenary(k))
        return ok()

    async def on_room_plenary_talk(self, sid: str, data: Any) -> Ack:
        allowed = parse(PlenaryTalk, data).allowed
        await self._do(sid, lambda s, k: s.set_plenary_talk(k, allowed))
        return ok()

    # -- WebRTC negotiation ------------------------------------------------------

    async def _media_identity(self, sid: str, labels: list[str] | None = None) -> Identity:
        """Who negotiates media on ``sid``, once the domain's media gate let them."""
        identity = self._identity(sid)
        await self.hub.check_media(identity, sid, labels or [])
        return identity

    async def on_rtc_ice(self, sid: str, data: Any) -> Ack:
        parse(Empty, data)
        await self._media_identity(sid)  # TURN credentials only for whoever may send media
        return ok(**self._ice_servers.for_connection())

    async def on_rtc_offer(self, sid: str, data: Any) -> Ack:
        offer = parse(RtcOffer, data)
        identity = await self._media_identity(sid, list(offer.labels.values()))
        answer = await self._relay.handle_offer(relay_id(identity), offer.sdp, offer.labels)
        return ok(sdp=answer)

    async def on_rtc_answer(self, sid: str, data: Any) -> Ack:
        answer = parse(RtcAnswer, data)
        identity = await self._media_identity(sid)
        await self._relay.handle_answer(relay_id(identity), answer.sdp)
        return ok()

    async def on_rtc_candidate(self, sid: str, data: Any) -> Ack:
        message = parse(RtcCandidate, data)
        identity = await self._media_identity(sid)
        candidate = None if message.candidate is None else message.candidate.model_dump()
        await self._relay.add_candidate(relay_id(identity), candidate)
        return ok()


DEVICE_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _node_hint(environ: Mapping[str, Any]) -> str | None:
    """The node the client was sent to (its ``node`` query parameter), if any."""
    values = parse_qs(str(environ.get("QUERY_STRING", ""))).get("node", [])
    return values[0][:64] if values else None


def _route(exc: SessionElsewhere, hint: str | None) -> socketio.exceptions.ConnectionRefusedError:
    """The refusal that sends a client to the node running its session.

    A client that asked for the holder and reached this node instead was routed around it
    by the load balancer (the holder is down, or stopping): its lease has not expired yet,
    so the client is told to retry shortly rather than sent back there in a loop.
    """
    moving = exc.code is ErrorCode.SESSION_MOVING or hint == exc.holder
    if moving:
        code, message = ErrorCode.SESSION_MOVING, "the session is moving: retry shortly"
    else:
        code, message = ErrorCode.SESSION_ELSEWHERE, "the session runs on another node"
    return socketio.exceptions.ConnectionRefusedError(message, {"code": code, "node": exc.holder})


def _device(raw: Any) -> str | None:
    """The browser's random id for this link (kept in its storage), or None: a client
    that sends none is never taken for the device an admitted seat is bound to."""
    return raw if isinstance(raw, str) and DEVICE_ID.fullmatch(raw) else None


def payload_models() -> list[type[Payload]]:
    """Every event schema (for documentation and fuzzing)."""
    return [
        Empty, RtcOffer, RtcAnswer, RtcCandidate, MediaState, KeyRef, Locked, CaucusOpen,
        CaucusRoom, CaucusMove, PlenaryTalk, MediaReopen, *COLLAB_MODELS,
        *E2EE_MODELS, *DRAFTING_MODELS, *TEXT_SIGNING_MODELS, *COMMENT_MODELS,
    ]  # fmt: skip
