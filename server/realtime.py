"""Wires Socket.IO and the media relay into the app, and authenticates connections.

Parties connect with their invite token (``auth: {token}``); mediators with
their sign-in cookie and the session id (``auth: {session_id}``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import socketio
from aiohttp import web

from errors import ErrorCode
from records.errors import NotFound
from records.stores.accounts import AccountStore
from records.stores.invites import LinkRefused
from records.stores.scheduling import ScheduleStore, mediator_key, participant_key
from server.cluster.leases import RedisPlacement, connect
from server.command_bus import RedisCommandBus, bus_key
from server.config import Config
from server.context import SESSION_COOKIE
from server.invites.links import MAX_TOKEN_LENGTH, LinkService
from signaling import codec
from signaling.edge import EdgeServer
from signaling.errors import SignalingError
from signaling.fanout import LocalManager, RedisManager
from signaling.gateway import SessionGateway
from signaling.ice import IceServers, TurnSecret
from signaling.identity import Identity
from signaling.namespace import RelayFactory, SessionNamespace
from signaling.observe import BoardObserver
from signaling.placement import LocalPlacement, Placement
from signaling.ports import HubPorts
from signaling.relay import Relay, RelayConfig

logger = logging.getLogger(__name__)


class ConnectionAuthenticator:
    def __init__(self, links: LinkService, accounts: AccountStore, schedule: ScheduleStore) -> None:
        self._links = links
        self._accounts = accounts
        self._schedule = schedule

    async def authenticate(self, auth: Mapping[str, Any], cookies: Mapping[str, str]) -> Identity:
        token = auth.get("token")
        if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_LENGTH:
            return await self._participant(token)
        session_id = auth.get("session_id")
        if isinstance(session_id, str) and 0 < len(session_id) <= 64:
            return await self._mediator(session_id, cookies.get(SESSION_COOKIE, ""))
        raise SignalingError(ErrorCode.NOT_AUTHENTICATED, "a link token or a session id is needed")

    async def _participant(self, token: str) -> Identity:
        try:
            info = await self._links.resolve(token)
        except LinkRefused as exc:
            raise SignalingError(exc.code, exc.message) from None
        return Identity(
            session_id=info.session.id,
            key=participant_key(info.link.participant_id),
            role=info.link.role.value,
            display_name=info.participant_name,
            link_id=info.link.jti,
            expires_at=info.link.expires_at.timestamp(),
        )

    async def _mediator(self, session_id: str, cookie: str) -> Identity:
        mediator = await self._accounts.get_auth_session(cookie) if cookie else None
        if mediator is None:
            raise SignalingError(ErrorCode.NOT_AUTHENTICATED, "please sign in")
        try:
            session, role = await self._schedule.get_mediator_role(session_id, mediator.id)
        except NotFound:
            raise SignalingError(ErrorCode.FORBIDDEN, "not a mediator of this session") from None
        if session.status == "ended":
            raise SignalingError(ErrorCode.SESSION_CLOSED, "this session has ended")
        if session.status == "cancelled":
            raise SignalingError(ErrorCode.SESSION_CANCELLED, "this session was cancelled")
        return Identity(
            session_id=session.id,
            key=mediator_key(mediator.id),
            role="mediator" if role == "lead" else "co_mediator",
            display_name=mediator.display_name,
        )


def ice_servers_for_clients(config: Config) -> IceServers:
    media = config.media
    turn = None
    if media.turn_secret is not None:
        turn = TurnSecret(media.turn_urls, media.turn_secret, media.turn_ttl_seconds)
    return IceServers(media.ice_servers, turn, transport_policy=media.ice_transport_policy)


def relay_config(config: Config) -> RelayConfig:
    return RelayConfig(
        ice_servers=config.media.ice_servers,
        host_addresses=config.media.host_addresses,
        udp_ports=config.media.udp_ports,
    )


def aiortc_relay(config: Config) -> RelayFactory:
    return lambda on_offer: Relay(relay_config(config), on_offer)


def placement_for(config: Config) -> Placement:
    """Leases in Redis with several nodes (PALABRE_REDIS_URL), else this node runs all."""
    cluster = config.cluster
    if config.redis_url is None:
        return LocalPlacement(cluster.node_id)
    redis = connect(config.redis_url, cluster.lease_seconds)
    return RedisPlacement(
        redis, cluster.node_id, cluster.lease_seconds, prefix=f"{cluster.redis_prefix}:"
    )


def attach_realtime(
    app: web.Application,
    config: Config,
    authenticator: ConnectionAuthenticator,
    ports: HubPorts,
    relay_factory: RelayFactory,
    placement: Placement,
    signing_key: bytes,
    observer: BoardObserver | None = None,
) -> tuple[socketio.AsyncServer, SessionNamespace]:
    """Mounts Socket.IO at /socket.io on ``app`` with the session namespace, and the
    gateway through which REST reaches the live sessions (:data:`GATEWAY_KEY`): on the
    node ``placement`` says runs each, through Redis when there are several nodes."""
    prefix = config.cluster.redis_prefix
    if config.redis_url:
        manager: LocalManager = RedisManager(config.redis_url, channel=f"{prefix}:socketio")
    else:
        manager = LocalManager()
    sio = EdgeServer(
        async_mode="aiohttp",
        transports=["websocket"],  # the room page uses nothing else
        client_manager=manager,
        json=codec,
        cors_allowed_origins=[config.http.public_url.rstrip("/")],
        max_http_buffer_size=256 * 1024,
    )
    namespace = SessionNamespace(
        authenticator,
        ports,
        relay_factory,
        ice_servers_for_clients(config),
        observer=observer,
        placement=placement,
    )
    sio.register_namespace(namespace)
    sio.attach(app)
    bus = None
    if config.redis_url:
        bus = RedisCommandBus(
            config.redis_url, placement.node_id, bus_key(signing_key), prefix=f"{prefix}:commands"
        )
    gateway = SessionGateway(namespace.hub, placement, bus)
    app[GATEWAY_KEY] = gateway

    async def start_bus(_app: web.Application) -> None:
        if bus is not None:
            await bus.start(gateway)

    async def close_relay(_app: web.Application) -> None:
        if bus is not None:
            await bus.close()  # no more commands from other nodes, then the sessions stop
        # the sessions are handed over (leases released, clients sent away), then the rest
        # closes; with one node there is nobody to hand them to, and nothing changes for
        # the clients: they come back when the node does
        if isinstance(placement, RedisPlacement):
            await namespace.hub.drain()
            await placement.close()
        await namespace.hub.close()
        await namespace.relay.close()
        await sio.shutdown()
        if isinstance(manager, RedisManager):
            await manager.close()

    app.on_startup.append(start_bus)
    app.on_shutdown.append(close_relay)
    return sio, namespace


NAMESPACE_KEY = web.AppKey("session_namespace", SessionNamespace)
AUTHENTICATOR_KEY = web.AppKey("connection_authenticator", ConnectionAuthenticator)
GATEWAY_KEY = web.AppKey("session_gateway", SessionGateway)
