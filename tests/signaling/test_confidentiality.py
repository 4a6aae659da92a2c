"""A private meeting stays private off the happy path, over real sockets: breaks, moves while
something is in flight, a second device with the same link, revocation and expiry, and the
screen-sharing rule. Absence is always asserted behind a barrier (:func:`barrier`)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

import signaling.live
from records.models import InviteLinkRow, utcnow
from server.realtime import NAMESPACE_KEY
from tests.pdfgen import make_pdf
from tests.server.browserlike import BrowserHttp
from tests.signaling import world as ns
from tests.signaling.world import (
    Client,
    World,
    admitted,
    barrier,
    browser_device,
    consent,
    key,
    mediator,
    three,
    until,
)

world = ns.world
clients = ns.clients
SECRET = "notre offre finale : 40 000 euros"


def received_text(client: Client, text: str) -> bool:
    """Whether ``text`` appears anywhere in what ``client`` was sent."""
    return any(text in repr(data) for _event, data in client.events)


class Http(BrowserHttp):
    async def upload(self, data: bytes, name: str, room_id: str | None) -> tuple[int, Any]:
        url = f"{self.world.url}/api/sessions/{self.world.session.id}/documents"
        params = {"visibility": "room", **({"room_id": room_id} if room_id else {})}
        headers = self.headers(True, **{"X-Filename": quote(name)})
        async with self.session.post(url, data=data, params=params, headers=headers) as r:
            return r.status, await r.json()


@pytest.fixture
async def http(world: World) -> AsyncIterator[Callable[[str], Any]]:
    made: list[Http] = []

    async def make(name: str) -> Http:
        h = Http(world, token=world.tokens[name])
        made.append(h)
        return await h.prime()

    yield make
    for h in made:
        await h.close()


async def open_private(anne: Client, *members: str) -> str:
    ack = await anne.call("caucus:open", {"members": list(members), "label": ""})
    assert ack["ok"], ack
    room: str = ack["room_id"]
    return room


async def in_room(client: Client, room: str) -> None:
    await until(lambda: client.view().get("room_id") == room if client.seen("room:view") else False)


def stroke(obj_id: str) -> dict[str, Any]:
    return {
        "type": "stroke", "id": obj_id, "points": [[1.0, 2.0], [3.0, 4.0]],
        "color": "#1f2937", "width": 2.0,
    }  # fmt: skip


# -- 1. private meetings are never numbered again --------------------------------------------


async def test_after_a_break_a_new_private_meeting_inherits_nothing(
    world: World, clients: Callable[[], Client], http: Callable[[str], Any]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    jk, mk = key(world, "Jeanne Dupont"), key(world, "Marc Durand")
    first = await open_private(anne, jk)
    await in_room(jeanne, first)
    status, doc = await (await http("Jeanne Dupont")).upload(make_pdf(1), "offre.pdf", first)
    assert status == 201, doc
    assert (await jeanne.call("wb:op", {"op": stroke("jeanne-secret"), "room_id": first}))["ok"]
    # a short break: everyone leaves, the live session is let go
    for c in (anne, jeanne, marc):
        await c.close()
    hub = world.server.app[NAMESPACE_KEY].hub
    await until(lambda: hub.session(world.session.id) is None, within=5)
    # back: the private meeting is still open, each is in their room again
    anne = await mediator(world, clients)
    await in_room(anne, first)
    marc = await ns.back(world, clients, "Marc Durand")
    assert marc.room == "plenary"
    assert (await anne.call("caucus:close", {"room_id": first}))["ok"]
    second = await open_private(anne, mk)
    assert second != first
    await in_room(marc, second)
    listing = await marc.call("doc:list", {})
    assert listing["ok"] and listing["documents"] == []
    sync = await marc.call("wb:sync", {})
    assert sync["room_id"] == second and sync["snapshot"]["objects"] == []
    assert (await marc.call("wb:op", {"op": stroke("jeanne-secret"), "room_id": second}))["ok"]
    await barrier(marc)
    assert not received_text(marc, doc["doc_id"]) and not received_text(marc, "offre.pdf")
    # what was shared "to the room" of the closed meeting stays with its members
    seen_by_anne = (await anne.call("doc:list", {}))["documents"]
    assert [d["doc_id"] for d in seen_by_anne] == [doc["doc_id"]]


# -- 2. what is in flight stays bound to the room it was meant for ---------------------------


async def test_a_message_typed_in_a_private_meeting_is_not_posted_after_a_move(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    room = await open_private(anne, key(world, "Jeanne Dupont"))
    await in_room(jeanne, room)
    assert (await anne.call("caucus:return_all", {}))["ok"]
    await in_room(jeanne, "plenary")
    ack = await jeanne.call("chat:send", {"text": SECRET, "room_id": room})
    assert ack["error"]["code"] == "not_in_room"
    await barrier(marc, anne)
    assert not received_text(marc, SECRET) and not received_text(anne, SECRET)


async def test_an_upload_meant_for_a_private_meeting_is_not_shared_after_a_move(
    world: World, clients: Callable[[], Client], http: Callable[[str], Any]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    room = await open_private(anne, key(world, "Jeanne Dupont"))
    await in_room(jeanne, room)
    assert (await anne.call("caucus:return_all", {}))["ok"]
    await in_room(jeanne, "plenary")
    status, body = await (await http("Jeanne Dupont")).upload(make_pdf(1), "x.pdf", room)
    assert status == 403 and body["error"]["code"] == "not_in_room"
    await barrier(marc)
    assert not marc.seen("doc:shared")
    assert (await marc.call("doc:list", {}))["documents"] == []


# -- 3. the same link on another device --------------------------------------------------------


async def test_another_device_with_the_same_link_waits_for_the_mediator(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, _marc = await three(world, clients)
    jk = key(world, "Jeanne Dupont")
    room = await open_private(anne, jk)
    await in_room(jeanne, room)
    intruder = clients()
    token = world.tokens["Jeanne Dupont"]
    await intruder.connect(world, {"token": token, "device": "forwarded-mail-browser"})
    await until(lambda: bool(intruder.seen("session:hello")))
    assert intruder.hello["state"] == "waiting" and intruder.hello["again"] is True
    assert (await intruder.call("lobby:knock", {})) == {
        "ok": True,
        "state": "waiting",
        "again": True,
    }
    for event, payload in (
        ("chat:send", {"text": "hello", "room_id": room}),
        ("wb:sync", {}),
        ("doc:list", {}),
        ("rtc:offer", {"sdp": ns.SDP}),
    ):
        assert (await intruder.call(event, payload))["error"]["code"] == "not_joined", event
    await until(
        lambda: any(w.get("again") for m in anne.seen("lobby:waiting") for w in m["waiting"])
    )
    # the seat holder notices nothing and keeps talking in the private meeting
    assert (await jeanne.call("chat:send", {"text": SECRET, "room_id": room}))["ok"]
    await barrier(intruder, jeanne)
    assert not received_text(intruder, SECRET)
    assert not jeanne.seen("session:kicked")
    # the mediator turns the other device away: the seat stays, the link still works
    assert (await anne.call("lobby:decline", {"key": jk}))["ok"]
    await until(lambda: bool(intruder.seen("session:kicked")))
    assert intruder.seen("session:kicked")[0]["reason"] == "not_let_in"
    assert (await jeanne.call("chat:send", {"text": "toujours là", "room_id": room}))["ok"]


async def test_the_mediator_may_move_the_seat_to_the_new_device(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, _marc = await three(world, clients)
    jk = key(world, "Jeanne Dupont")
    laptop = clients()
    await laptop.connect(
        world, {"token": world.tokens["Jeanne Dupont"], "device": "her-laptop-0001"}
    )
    await until(lambda: bool(laptop.seen("session:hello")))
    assert (await anne.call("lobby:admit", {"key": jk}))["ok"]
    await until(lambda: bool(jeanne.seen("session:kicked")))
    assert jeanne.seen("session:kicked")[0]["reason"] == "replaced_by_new_connection"
    await until(lambda: any(v.get("room_id") == "plenary" for v in laptop.seen("room:view")))
    assert (await laptop.call("chat:send", {"text": "depuis le portable", "room_id": "plenary"}))[
        "ok"
    ]


async def test_a_reload_on_the_same_device_keeps_the_seat(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, _marc = await three(world, clients)
    room = await open_private(anne, key(world, "Jeanne Dupont"))
    await in_room(jeanne, room)
    again = clients()
    token = world.tokens["Jeanne Dupont"]
    await again.connect(world, {"token": token, "device": browser_device(token)})
    await until(lambda: bool(again.seen("session:hello")))
    assert again.hello["state"] == "admitted" and again.hello["again"] is False
    await until(lambda: bool(jeanne.seen("session:kicked")))
    await in_room(again, room)


# -- 4. revocation and expiry reach connected people at once --------------------------------


async def active_jti(world: World, name: str) -> str:
    pid = key(world, name)[2:]
    async with world.svc.db.transaction() as s:
        jti: str = (
            await s.scalars(
                select(InviteLinkRow.jti).where(
                    InviteLinkRow.session_id == world.session.id,
                    InviteLinkRow.participant_id == pid,
                    InviteLinkRow.revoked_at.is_(None),
                )
            )
        ).one()
    return jti


async def test_revoking_a_link_disconnects_its_holder_at_once(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    room = await open_private(anne, key(world, "Jeanne Dupont"))
    await in_room(jeanne, room)
    jti = await active_jti(world, "Jeanne Dupont")
    http = BrowserHttp(world, cookie=world.mediator_cookie)
    await http.prime()
    async with http.session.post(
        f"{world.url}/api/links/{jti}/revoke", headers=http.headers()
    ) as response:
        assert response.status == 204
    await http.close()
    await until(lambda: bool(jeanne.seen("session:kicked")))
    assert jeanne.seen("session:kicked")[-1]["reason"] == "link_revoked"
    await until(lambda: not jeanne.sio.connected)
    # she is out of the private meeting at once, and the link no longer opens anything
    await until(lambda: key(world, "Jeanne Dupont") not in members_seen_by(anne, room))
    code = await clients().refused(world, {"token": world.tokens["Jeanne Dupont"]})
    assert code == "link_revoked"
    await barrier(marc)
    assert not received_text(marc, SECRET)


def members_seen_by(client: Client, room: str) -> list[str]:
    """The members of ``room`` in the last overview a mediator got."""
    for message in reversed(client.seen("room:overview")):
        for r in message["rooms"]:
            if r["room_id"] == room:
                return list(r["members"])
        return []
    return []


async def test_a_new_link_for_someone_disconnects_the_old_one(
    world: World, clients: Callable[[], Client]
) -> None:
    _anne, jeanne, _marc = await three(world, clients)
    jk = key(world, "Jeanne Dupont")
    http = BrowserHttp(world, cookie=world.mediator_cookie)
    await http.prime()
    url = f"{world.url}/api/sessions/{world.session.id}/links/{jk[2:]}"
    async with http.session.post(url, headers=http.headers()) as response:
        assert response.status == 201, await response.text()
    await http.close()
    await until(lambda: bool(jeanne.seen("session:kicked")))
    assert jeanne.seen("session:kicked")[-1]["reason"] == "link_revoked"


async def test_a_link_revoked_elsewhere_is_noticed_within_seconds(
    world: World, clients: Callable[[], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Revoked in the store by another node: this node's live session asks the store."""
    monkeypatch.setattr(signaling.live, "REVOCATION_POLL_SECONDS", 0.5)
    _anne, jeanne, _marc = await three(world, clients)
    pid = key(world, "Jeanne Dupont")[2:]
    assert await world.svc.schedule.revoke_participant_links(world.session.id, pid) == 1
    await until(lambda: bool(jeanne.seen("session:kicked")), within=5)
    assert jeanne.seen("session:kicked")[0]["reason"] == "link_revoked"


async def test_an_expired_link_stops_working_while_connected(
    world: World, clients: Callable[[], Client]
) -> None:
    _anne, jeanne, _marc = await three(world, clients)
    hub = world.server.app[NAMESPACE_KEY].hub
    sid = hub.seat_of(world.session.id, key(world, "Jeanne Dupont"))
    assert sid is not None
    # the link's end comes while she is connected
    who = hub.connections.get(sid)
    assert who is not None
    hub.connections.attach(dataclasses.replace(who, expires_at=utcnow().timestamp()), sid)
    ack = await jeanne.call("chat:send", {"text": SECRET, "room_id": "plenary"})
    assert ack["error"]["code"] == "link_expired"
    await until(lambda: bool(jeanne.seen("session:kicked")))
    assert jeanne.seen("session:kicked")[0]["reason"] == "link_expired"


async def test_removal_during_the_reconnection_grace_revokes_the_link(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, _marc = await three(world, clients)
    jk = key(world, "Jeanne Dupont")
    await jeanne.close()  # her network drops; her seat waits for her
    await until(lambda: hub_seat(world, jk) is None)
    assert (await anne.call("participant:remove", {"key": jk}))["ok"]
    assert (await clients().refused(world, {"token": world.tokens["Jeanne Dupont"]})) == (
        "link_revoked"
    )


def hub_seat(world: World, key_: str) -> str | None:
    result: str | None = world.server.app[NAMESPACE_KEY].hub.seat_of(world.session.id, key_)
    return result


async def test_a_declined_person_cannot_knock_again_after_a_break(
    world: World, clients: Callable[[], Client]
) -> None:
    anne = await mediator(world, clients)
    await consent(world, "Marc Durand")
    marc = clients()
    await marc.connect(world, {"token": world.tokens["Marc Durand"]})
    await until(lambda: bool(marc.seen("session:hello")))
    assert (await marc.call("lobby:knock", {}))["state"] == "waiting"
    assert (await anne.call("lobby:decline", {"key": key(world, "Marc Durand")}))["ok"]
    await anne.close()
    hub = world.server.app[NAMESPACE_KEY].hub
    await until(lambda: hub.session(world.session.id) is None, within=5)
    assert (await clients().refused(world, {"token": world.tokens["Marc Durand"]})) == (
        "link_revoked"
    )


# -- 5. the screen-sharing rule is the domain's ------------------------------------------------


async def test_an_observer_may_not_share_a_screen(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    olivia = await admitted(world, clients, anne, "Olivia Observer")
    ack = await olivia.call("media:state", {"audio": False, "video": True, "screen": True})
    assert ack["error"]["code"] == "forbidden"
    labels = {"0": "camera", "1": "screen"}
    ack = await olivia.call("rtc:offer", {"sdp": ns.SDP, "labels": labels})
    assert ack["error"]["code"] == "forbidden"
    relay_id = f"{world.session.id}.{key(world, 'Olivia Observer')}"
    # whatever her page does, the relay forwards no screen of hers
    assert world.relay.paused[(relay_id, "screen")] is True
    await barrier(jeanne, marc)
    assert not any(
        m["key"] == key(world, "Olivia Observer") and m["screen"]
        for v in jeanne.seen("room:view")
        for m in v["members"]
    )
    # a party in a live room may
    ack = await jeanne.call("media:state", {"audio": True, "video": True, "screen": True})
    assert ack["ok"]
    jr = f"{world.session.id}.{key(world, 'Jeanne Dupont')}"
    assert world.relay.paused.get((jr, "screen"), False) is False


async def test_another_device_gets_no_document_over_http_either(
    world: World, clients: Callable[[], Client], http: Callable[[str], Any]
) -> None:
    """The session's own routes serve a party's link only from the device holding the seat."""
    anne, jeanne, _marc = await three(world, clients)
    room = await open_private(anne, key(world, "Jeanne Dupont"))
    await in_room(jeanne, room)
    mine = await http("Jeanne Dupont")
    status, doc = await mine.upload(make_pdf(1), "offre.pdf", room)
    assert status == 201, doc
    url = f"{world.url}/api/sessions/{world.session.id}/documents/{doc['doc_id']}/content"
    async with mine.session.get(url, headers=mine.headers(False)) as r:
        assert r.status == 200  # her own browser
    token = world.tokens["Jeanne Dupont"]
    other = BrowserHttp(world, token=token)
    await other.prime()
    try:
        for device in ("forwarded-mail-browser", None):
            headers = {k: v for k, v in other.headers(False).items() if k != "X-Palabre-Device"}
            if device is not None:
                headers["X-Palabre-Device"] = device
            async with other.session.get(url, headers=headers) as r:
                assert r.status == 403, device
                assert (await r.json())["error"]["code"] == "not_in_room"
    finally:
        await other.close()
