"""STUN/TURN servers: credentials only after consent and admission, time-limited TURN ones."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from signaling.ice import IceServers
from tests.signaling.world import (
    Client,
    World,
    admitted,
    barrier,
    enter,
    key,
    mediator,
    until,
    world_on,
)

SECRET = "coturn-shared-secret-for-tests"
STATIC = [
    {"urls": ["stun:stun.example.org:3478"]},
    {"urls": ["turn:static.example.org:3478"], "username": "u-static", "credential": "p-static"},
]
ENV = {
    "PALABRE_ICE_SERVERS": json.dumps(STATIC),
    "PALABRE_TURN_URLS": "turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349",
    "PALABRE_TURN_SECRET": SECRET,
    "PALABRE_TURN_TTL_SECONDS": "1800",
}


@pytest.fixture
async def turn_world(tmp_path: Path, sqlite_url: str) -> AsyncIterator[World]:
    async with world_on(tmp_path, sqlite_url, **ENV) as made:
        yield made


def _no_credentials(anything: object) -> None:
    text = json.dumps(anything)
    for secret in ("u-static", "p-static", "credential", "username", "turn.example.org", "turn:"):
        assert secret not in text, (secret, text)


def _coturn_credential(username: str) -> str:
    """coturn's REST-API formula, computed here independently of the server's code."""
    mac = hmac.new(SECRET.encode("utf-8"), username.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


async def test_no_credentials_before_consent_or_admission(
    turn_world: World, clients: Callable[[], Client]
) -> None:
    world = turn_world
    anne = await mediator(world, clients)
    # a link holder who has not consented: the hello holds STUN only, rtc:ice is refused
    marc = clients()
    await marc.connect(world, {"token": world.tokens["Marc Durand"]})
    await until(lambda: bool(marc.seen("session:hello")))
    assert marc.hello["consented"] is False
    assert marc.hello["ice_servers"] == [{"urls": ["stun:stun.example.org:3478"]}]
    ack = await marc.call("rtc:ice", {})
    assert ack["ok"] is False and ack["error"]["code"] == "consent_required", ack
    # consented and waiting in the lobby: still nothing
    jeanne = await enter(world, clients, "Jeanne Dupont")
    assert jeanne.hello["ice_servers"] == [{"urls": ["stun:stun.example.org:3478"]}]
    ack = await jeanne.call("rtc:ice", {})
    assert ack["ok"] is False and ack["error"]["code"] == "not_joined", ack
    # nothing else they received carries a credential either (behind a barrier)
    await barrier(jeanne)  # (for marc, the refused ack above came after all sent before it)
    _no_credentials(marc.events)
    _no_credentials(jeanne.events)
    # bad payloads are refused like everywhere else
    assert (await anne.call("rtc:ice", {"extra": 1}))["ok"] is False


async def test_credentials_once_admitted_each_connection_its_own(
    turn_world: World, clients: Callable[[], Client]
) -> None:
    world = turn_world
    anne = await mediator(world, clients)
    jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
    before = int(time.time())
    answers = [await person.call("rtc:ice", {}) for person in (jeanne, anne)]
    after = int(time.time())
    turns = []
    for ack in answers:
        assert ack["ok"] is True, ack
        servers = ack["ice_servers"]
        assert servers[:2] == STATIC  # static credentials too, now
        turn = servers[2]
        assert turn["urls"] == [
            "turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"
        ]  # fmt: skip
        expiry, _, opaque = turn["username"].partition(":")
        assert before + 1800 <= int(expiry) <= after + 1800
        assert ack["expires_in"] == 1800
        assert opaque and key(world, "Jeanne Dupont") not in opaque and "anne" not in opaque
        assert turn["credential"] == _coturn_credential(turn["username"])
        turns.append(turn["username"])
    assert turns[0] != turns[1]  # each connection its own


async def test_withdrawn_consent_ends_the_credentials(
    turn_world: World, clients: Callable[[], Client]
) -> None:
    world = turn_world
    anne = await mediator(world, clients)
    jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
    assert (await jeanne.call("consent:withdraw", {}))["ok"]
    ack = await jeanne.call("rtc:ice", {})
    assert ack["ok"] is False and ack["error"]["code"] == "consent_required", ack


@pytest.fixture
async def relay_only_world(tmp_path: Path, sqlite_url: str) -> AsyncIterator[World]:
    async with world_on(tmp_path, sqlite_url, **ENV, PALABRE_ICE_TRANSPORT_POLICY="relay") as made:
        yield made


async def test_a_relay_only_deployment_tells_browsers_with_the_credentials(
    relay_only_world: World, clients: Callable[[], Client]
) -> None:
    world = relay_only_world
    anne = await mediator(world, clients)
    jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
    ack = await jeanne.call("rtc:ice", {})
    assert ack["ok"] is True and ack["ice_transport_policy"] == "relay", ack
    # the default lets browsers use every candidate
    assert IceServers().for_connection()["ice_transport_policy"] == "all"
