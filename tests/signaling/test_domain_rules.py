"""Every rule of a live session is the domain's, over real sockets: someone who edits the
permission matrix sees the change take effect at the relay and in the acks, an observer's
admission and a declined consent are the domain's outcomes (audited, told to whom it says)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sessions.permissions import MATRIX, Action, Condition
from sessions.roles import Role
from tests.server.browserlike import BrowserHttp
from tests.signaling import world as ns
from tests.signaling.world import (
    Client,
    World,
    admitted,
    barrier,
    consent,
    enter,
    key,
    mediator,
    three,
    until,
)

world = ns.world
clients = ns.clients


def relay_id(world: World, name: str) -> str:
    return f"{world.session.id}.{key(world, name)}"


@pytest.fixture
def observers_share_screens(monkeypatch: pytest.MonkeyPatch) -> None:
    """The matrix edited: observers may share a screen in their room, as mediators do."""
    rule = frozenset({Condition.CONSENTED, Condition.IN_ROOM})
    monkeypatch.setitem(MATRIX[Action.SHARE_SCREEN], Role.OBSERVER, rule)  # type: ignore[arg-type]


@pytest.fixture
def parties_do_not_publish(monkeypatch: pytest.MonkeyPatch) -> None:
    """The matrix edited: parties may no longer open a camera or a microphone."""
    monkeypatch.setitem(MATRIX[Action.PUBLISH_MEDIA], Role.PARTY, None)  # type: ignore[arg-type]


@pytest.mark.usefixtures("observers_share_screens")
async def test_giving_observers_the_screen_permission_lets_them_share(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, _marc = await three(world, clients)
    olivia = await admitted(world, clients, anne, "Olivia Observer")
    ack = await olivia.call("media:state", {"audio": False, "video": True, "screen": True})
    assert ack["ok"], ack
    ack = await olivia.call("rtc:offer", {"sdp": ns.SDP, "labels": {"0": "camera", "1": "screen"}})
    assert ack["ok"], ack
    assert world.relay.paused.get((relay_id(world, "Olivia Observer"), "screen"), False) is False
    olivia_key = key(world, "Olivia Observer")
    await until(
        lambda: any(
            m["key"] == olivia_key and m["screen"]
            for v in jeanne.seen("room:view")
            for m in v["members"]
        )
    )


@pytest.mark.usefixtures("parties_do_not_publish")
async def test_taking_publishing_from_parties_stops_their_media_everywhere(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, _marc = await three(world, clients)
    for event, data in [
        ("rtc:ice", {}),
        ("rtc:offer", {"sdp": ns.SDP, "labels": {"0": "camera"}}),
        ("media:state", {"audio": True, "video": True, "screen": False}),
    ]:
        ack = await jeanne.call(event, data)
        assert ack["error"]["code"] == "forbidden", (event, ack)
    jr = relay_id(world, "Jeanne Dupont")
    # whatever her page does, the relay forwards nothing of hers
    assert all(world.relay.paused[(jr, kind)] is True for kind in ("audio", "video", "screen"))
    # a mediator still may, and saying nothing is on is still fine for a party
    assert (await anne.call("rtc:ice", {}))["ok"]
    assert (await jeanne.call("media:state", {"audio": False, "video": False, "screen": False}))[
        "ok"
    ]
    refused = [
        e.detail
        for e in await world.svc.records.audit.for_case(world.case.id, 200, None)
        if e.action == "permission.refused"
    ]
    assert {"action": "publish_media", "role": "party", "reason": "role"} in refused


async def test_an_observer_refused_without_agreement_is_audited(
    world: World, clients: Callable[[], Client]
) -> None:
    anne = await mediator(world, clients)
    await admitted(world, clients, anne, "Jeanne Dupont")
    await consent(world, "Marc Durand", observer=False)
    await enter(world, clients, "Olivia Observer")
    ack = await anne.call("lobby:admit", {"key": key(world, "Olivia Observer")})
    assert ack["error"]["code"] == "forbidden"
    refused = [
        e.detail
        for e in await world.svc.records.audit.for_case(world.case.id, 200, None)
        if e.action == "permission.refused"
    ]
    assert {"action": "admit", "reason": "observers_not_agreed"} in refused


async def test_a_declined_consent_reaches_the_mediators_as_the_domain_says(
    world: World, clients: Callable[[], Client]
) -> None:
    anne = await mediator(world, clients)
    jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
    http = await BrowserHttp(world).prime()
    try:
        async with http.session.get(world.url + "/api/notices?lang=fr") as r:
            shown: dict[str, Any] = await r.json()
        body = {
            "token": world.tokens["Marc Durand"],
            "language": "fr",
            "shown": {k: shown[k]["version"] for k in ("confidentiality", "privacy")},
            "decisions": {"mediation": "declined", "privacy": "declined"},
        }
        url = world.url + "/api/join/consent"
        async with http.session.post(url, json=body, headers=http.headers()) as r:
            assert r.status == 201, await r.text()
    finally:
        await http.close()
    await until(lambda: bool(anne.seen("lobby:consent_declined")))
    assert anne.seen("lobby:consent_declined") == [{"participant_id": key(world, "Marc Durand")}]
    await barrier(jeanne)
    assert not jeanne.seen("lobby:consent_declined")  # a party is not told
    declined = [
        (e.actor, e.subject)
        for e in await world.svc.records.audit.for_case(world.case.id, 200, None)
        if e.action == "consent.declined"
    ]
    marc = "participant:" + key(world, "Marc Durand")[2:]
    assert declined == [(marc, marc)]
