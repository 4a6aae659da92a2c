"""The /session namespace over a real socket: authentication, validation, acks, presence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest

from records.stores.casefile import ItemKind
from server.realtime import NAMESPACE_KEY
from tests.pdfgen import make_pdf
from tests.server import browserlike
from tests.signaling.world import (
    SDP,
    Client,
    World,
    admitted,
    barrier,
    consent,
    enter,
    key,
    mediator,
    until,
)


async def test_lobby_admission_and_media(world: World, clients: Callable[[], Client]) -> None:
    anne = await mediator(world, clients)
    assert anne.hello["self"]["role"] == "mediator"
    jeanne = await enter(world, clients, "Jeanne Dupont")
    hello = jeanne.hello
    assert hello["state"] == "consented" and hello["consented"] is True
    assert {e["display_name"] for e in hello["roster"].values()} >= {"Jeanne Dupont", "Anne"}
    assert "jeanne@example.org" not in str(hello)
    await until(lambda: any(w["waiting"] for w in anne.seen("lobby:waiting")))
    waiting = anne.seen("lobby:waiting")[-1]["waiting"]
    assert [w["participant_id"] for w in waiting] == [key(world, "Jeanne Dupont")]
    # not admitted yet: no media
    assert (await jeanne.call("rtc:offer", {"sdp": SDP}))["error"]["code"] == "not_joined"
    assert (await anne.call("lobby:admit", {"key": key(world, "Jeanne Dupont")}))["ok"]
    await until(lambda: bool(jeanne.seen("room:view")))
    assert [m["display_name"] for m in jeanne.view()["members"]] == ["Anne"]
    rid = f"{world.session.id}.{key(world, 'Jeanne Dupont')}"
    assert world.relay.rooms[rid] == f"{world.session.id}.plenary"
    answer = await jeanne.call("rtc:offer", {"sdp": SDP, "labels": {"0": "camera"}})
    assert answer == {"ok": True, "sdp": "v=0\r\nanswer-for-" + rid}
    cand = {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0"}
    assert (await jeanne.call("rtc:candidate", {"candidate": cand}))["ok"]


async def test_media_without_consent_is_refused(
    world: World, clients: Callable[[], Client]
) -> None:
    await mediator(world, clients)
    marc = clients()
    await marc.connect(world, {"token": world.tokens["Marc Durand"]})
    await until(lambda: bool(marc.seen("session:hello")))
    assert marc.hello["consented"] is False
    for event, data in [("rtc:offer", {"sdp": SDP}), ("rtc:candidate", {"candidate": None})]:
        ack = await marc.call(event, data)
        assert ack["error"]["code"] == "consent_required", ack
    assert (await marc.call("lobby:knock", {}))["ok"] is False
    assert not [c for c in world.relay.calls if key(world, "Marc Durand") in c[1]]


async def test_refusals_with_four_clients(world: World, clients: Callable[[], Client]) -> None:
    anne = await mediator(world, clients)
    jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
    marc = await admitted(world, clients, anne, "Marc Durand")
    olivia = await admitted(world, clients, anne, "Olivia Observer")
    paul = await enter(world, clients, "Me Paul Girard")
    k_paul, k_marc = key(world, "Me Paul Girard"), key(world, "Marc Durand")
    # a party admitting someone
    ack = await jeanne.call("lobby:admit", {"key": k_paul})
    assert ack["error"]["code"] == "forbidden"
    # a party opening a private meeting, or moving into one
    ack = await marc.call("caucus:open", {"members": [k_marc]})
    assert ack["error"]["code"] == "forbidden"
    opened = await anne.call("caucus:open", {"members": [key(world, "Jeanne Dupont")]})
    assert opened["ok"], opened
    ack = await marc.call("caucus:move", {"key": k_marc, "room_id": opened["room_id"]})
    assert ack["error"]["code"] == "forbidden"
    # the observer cannot remove anyone, nor end the session, nor lock the room
    for event, data in [
        ("participant:remove", {"key": k_marc}),
        ("session:end", {}),
        ("room:lock", {"locked": True}),
        ("participant:mute", {"key": k_marc}),
    ]:
        ack = await olivia.call(event, data)
        assert ack["error"]["code"] == "forbidden", (event, ack)
    assert (await anne.call("lobby:admit", {"key": k_paul}))["ok"]
    await until(lambda: bool(paul.seen("room:view")))
    # every refusal is in the audit log
    entries = await world.svc.records.audit.for_case(world.case.id, 200, None)
    refused = [e for e in entries if "refused" in e.action]
    assert len(refused) >= 7, [e.action for e in entries]


async def test_private_meeting_isolation(world: World, clients: Callable[[], Client]) -> None:
    anne = await mediator(world, clients)
    jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
    marc = await admitted(world, clients, anne, "Marc Durand")
    k_j, k_m = key(world, "Jeanne Dupont"), key(world, "Marc Durand")
    sid = world.session.id
    marc_events = len(marc.events)
    opened = await anne.call("caucus:open", {"members": [k_j], "label": "Aparté"})
    room = opened["room_id"]
    await until(lambda: jeanne.view()["room_id"] == room)
    assert sorted(m["key"] for m in jeanne.view()["members"]) == [anne.hello["self"]["key"]]
    # the relay forwards only inside each room; Marc waits alone (no talk allowed)
    assert world.relay.rooms[f"{sid}.{k_j}"] == f"{sid}.{room}"
    assert world.relay.rooms[f"{sid}.{anne.hello['self']['key']}"] == f"{sid}.{room}"
    assert world.relay.rooms[f"{sid}.{k_m}"] == f"{sid}.hold-{k_m}"
    await until(lambda: marc.view()["on_hold"] is True)
    await barrier(marc)
    leaked = [(e, d) for e, d in marc.events[marc_events:] if room in str(d) or "Aparté" in str(d)]
    assert leaked == []
    # the plenary may talk if the mediator allows it
    assert (await anne.call("room:plenary_talk", {"allowed": True}))["ok"]
    assert world.relay.rooms[f"{sid}.{k_m}"] == f"{sid}.plenary"
    # back to the plenary: everyone together again
    assert (await anne.call("caucus:return_all", {}))["ok"]
    await until(lambda: len(marc.view()["members"]) == 2)
    assert {world.relay.rooms[f"{sid}.{k}"] for k in (k_j, k_m)} == {f"{sid}.plenary"}
    moves = [
        e
        for e in await world.svc.records.audit.for_case(world.case.id, 200, None)
        if e.action == "room.move"
    ]
    assert len(moves) >= 4


async def test_removed_participant_cannot_come_back(
    world: World, clients: Callable[[], Client]
) -> None:
    anne = await mediator(world, clients)
    marc = await admitted(world, clients, anne, "Marc Durand")
    assert (await anne.call("participant:remove", {"key": key(world, "Marc Durand")}))["ok"]
    await until(lambda: bool(marc.seen("session:kicked")))
    assert marc.seen("session:kicked")[0] == {"reason": "removed"}
    await until(lambda: not marc.sio.connected)
    code = await clients().refused(world, {"token": world.tokens["Marc Durand"]})
    assert code == "link_revoked"


async def test_an_observer_needs_every_partys_agreement(
    world: World, clients: Callable[[], Client]
) -> None:
    anne = await mediator(world, clients)
    await admitted(world, clients, anne, "Jeanne Dupont")
    await consent(world, "Marc Durand", observer=False)
    await enter(world, clients, "Olivia Observer")
    olivia = key(world, "Olivia Observer")
    ack = await anne.call("lobby:admit", {"key": olivia})
    assert ack["error"]["code"] == "forbidden"
    await consent(world, "Marc Durand")  # Marc now agrees too
    assert (await anne.call("lobby:admit", {"key": olivia}))["ok"]


async def test_mediator_mutes_a_participant(world: World, clients: Callable[[], Client]) -> None:
    anne = await mediator(world, clients)
    jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
    assert (await anne.call("participant:mute", {"key": key(world, "Jeanne Dupont")}))["ok"]
    await until(lambda: bool(jeanne.seen("media:stop")))
    await barrier(jeanne)
    # one notice, the domain's: what to stop and who asked (nothing nobody listens to)
    assert jeanne.seen("media:stop") == [{"kind": "audio", "by": anne.hello["self"]["key"]}]
    assert not jeanne.seen("media:muted") and not jeanne.seen("media:camera_stopped")
    rid = f"{world.session.id}.{key(world, 'Jeanne Dupont')}"
    assert world.relay.paused[(rid, "audio")] is True  # held at the relay, whatever her page does
    assert (await jeanne.call("media:reopen", {"audio": True, "video": True}))["ok"]
    assert world.relay.paused[(rid, "audio")] is False


async def test_withdrawing_consent_leaves_the_room(
    world: World, clients: Callable[[], Client]
) -> None:
    anne = await mediator(world, clients)
    jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
    assert (await jeanne.call("consent:withdraw", {}))["ok"]
    await until(lambda: bool(anne.seen("lobby:consent_withdrawn")))
    pid = key(world, "Jeanne Dupont")[2:]
    current = await world.svc.records.consent.current(world.session.id, pid)
    assert {e.decision for e in current.values()} == {"withdrawn"}
    assert f"{world.session.id}.p-{pid}" not in world.relay.rooms
    assert (await jeanne.call("rtc:offer", {"sdp": SDP}))["error"]["code"] == "consent_required"


async def test_locked_room_and_end_of_session(world: World, clients: Callable[[], Client]) -> None:
    anne = await mediator(world, clients)
    assert (await anne.call("room:lock", {"locked": True}))["ok"]
    await consent(world, "Marc Durand")
    marc = clients()
    await marc.connect(world, {"token": world.tokens["Marc Durand"]})
    await until(lambda: bool(marc.seen("session:hello")))
    assert (await marc.call("lobby:knock", {}))["error"]["code"] == "room_locked"
    assert (await anne.call("session:end", {}))["ok"]
    await until(lambda: bool(marc.seen("session:ended")))
    code = await clients().refused(world, {"token": world.tokens["Jeanne Dupont"]})
    assert code == "session_closed"


@pytest.mark.parametrize(
    ("auth", "cookie", "code"),
    [
        ({}, None, "not_authenticated"),
        ({"token": "not-a-token"}, None, "link_invalid"),
        ({"session_id": "x" * 24}, "stolen-or-expired", "not_authenticated"),
        ({"token": 42}, None, "not_authenticated"),
    ],
)
async def test_refused_connections(
    world: World, clients: Callable[[], Client], auth: dict[str, Any], cookie: str | None, code: str
) -> None:
    assert await clients().refused(world, auth, cookie) == code


async def test_mediator_of_another_case_is_refused(
    world: World, clients: Callable[[], Client]
) -> None:
    bob = await world.svc.accounts.create_mediator("bob@example.org", "Bob", "h")
    cookie = await world.svc.accounts.create_auth_session(bob.id, timedelta(hours=1))
    assert await clients().refused(world, {"session_id": world.session.id}, cookie) == "forbidden"


async def test_a_seat_in_another_session_reaches_nothing_of_this_one(
    world: World, clients: Callable[[], Client]
) -> None:
    """Jeanne holds a valid, consented, admitted seat in session B, another séance of the
    same case (so her key is on session A's roster too). Whatever she does there reaches
    nothing of A, nothing of A reaches her, and whatever names something of A is refused
    because it is not of her session."""
    a, b = world.session.id, world.other_session.id
    k_j, k_m = key(world, "Jeanne Dupont"), key(world, "Marc Durand")
    # session A: Anne and Marc in a private meeting, with a document and a message in it
    anne = await mediator(world, clients)
    marc = await admitted(world, clients, anne, "Marc Durand")
    opened = await anne.call("caucus:open", {"members": [k_m], "label": "Aparté A"})
    room_a = opened["room_id"]
    await until(lambda: marc.room == room_a)
    async with BrowserHttp(world, token=world.tokens["Marc Durand"]) as marc_http:
        status, doc_a = await marc_http.upload(a, make_pdf(1), "offre-a.pdf", room_a)
    assert status == 201, doc_a
    assert (await marc.call("chat:send", {"text": SECRET_A, "room_id": room_a}))["ok"]
    # session B: Anne again (she mediates both) admits Jeanne, who has consented there
    anne_b = clients()
    await anne_b.connect(world, {"session_id": b}, cookie=world.mediator_cookie)
    await until(lambda: bool(anne_b.seen("session:hello")))
    assert (await anne_b.call("lobby:knock", {}))["state"] == "admitted"
    await consent(world, "Jeanne Dupont", session_id=b)
    outsider = clients()
    await outsider.connect(world, {"token": world.tokens["other-session"]})
    await until(lambda: bool(outsider.seen("session:hello")))
    assert (outsider.hello["session_id"], outsider.hello["self"]["key"]) == (b, k_j)
    assert (await outsider.call("lobby:knock", {}))["state"] == "waiting"
    assert (await anne_b.call("lobby:admit", {"key": k_j}))["ok"]
    await until(lambda: bool(outsider.seen("room:view")) and outsider.room == "plenary")

    # what she does in B works there (knock, chat, board, media, documents, a private meeting)
    assert (await outsider.call("lobby:knock", {}))["ok"]
    assert (await outsider.call("chat:send", {"text": SECRET_B, "room_id": "plenary"}))["ok"]
    assert (await outsider.call("wb:op", {"op": _stroke("stroke-b")}))["ok"]
    assert (await outsider.call("rtc:offer", {"sdp": SDP}))["ok"]
    async with BrowserHttp(world, token=world.tokens["other-session"]) as jeanne_http:
        status, doc_b = await jeanne_http.upload(b, make_pdf(1), "offre-b.pdf", "plenary")
        assert status == 201, doc_b
        # ...and what names session A is refused by the session check, before anything else
        status, body = await jeanne_http.upload(a, make_pdf(1), "intrus.pdf", None)
        assert (status, body.get("error")) == (403, ANOTHER_SESSION), body
        for what in ("content", "download"):
            got = await jeanne_http.get(a, doc_a["doc_id"], what)
            assert (got.status, got.json()["error"]) == (403, ANOTHER_SESSION), what
    room_b = (await anne_b.call("caucus:open", {"members": [k_j], "label": "Aparté B"}))["room_id"]
    await until(lambda: outsider.room == room_b)
    # over the socket, every event acts on her own session: A's rooms and documents are
    # unknown there, even to the mediator's seat in B
    for event, data, code in [
        ("chat:send", {"text": SECRET_B, "room_id": room_a}, "not_in_room"),
        ("wb:op", {"op": _stroke("stroke-in-a"), "room_id": room_a}, "not_in_room"),
        ("doc:present", {"doc_id": doc_a["doc_id"], "page": 1, "zoom": 1.0}, "not_found"),
    ]:
        ack = await outsider.call(event, data)
        assert ack["ok"] is False and ack["error"]["code"] == code, (event, ack)
    ack = await anne_b.call("caucus:move", {"key": k_j, "room_id": room_a})
    assert ack["ok"] is False and ack["error"]["message"] == f"no room {room_a}", ack

    # nothing of it reached session A, and nothing of A reached her
    await barrier(anne, marc, outsider, anne_b)
    for person in (anne, marc):
        for needle in (SECRET_B, "stroke-b", "offre-b.pdf", doc_b["doc_id"], room_b, "Aparté B"):
            assert not _received(person, needle), (needle, person.hello["self"]["key"])
        assert all(k_j not in str(w) for w in person.seen("lobby:waiting"))
    for needle in (SECRET_A, "offre-a.pdf", doc_a["doc_id"], room_a, "Aparté A"):
        assert not _received(outsider, needle), needle
    hub = world.server.app[NAMESPACE_KEY].hub
    assert hub.seat_of(a, k_j) is None and hub.seat_of(b, k_j) is not None
    assert marc.room == room_a  # B's private meeting moved nobody in A
    assert [m["text"] for m in (await marc.call("chat:history", {}))["messages"]] == [SECRET_A]
    assert [d["doc_id"] for d in (await marc.call("doc:list", {}))["documents"]] == [
        doc_a["doc_id"]
    ]
    for person in (anne, marc):
        board = await person.call("wb:sync", {})
        assert board["snapshot"]["objects"] == [] and board["ops"] == [], board
    # the relay: her seat is B's, and A's seats are where A put them
    assert {pid for _, pid in world.relay.calls if pid.endswith(k_j)} == {f"{b}.{k_j}"}
    assert f"{a}.{k_j}" not in world.relay.rooms
    assert world.relay.rooms[f"{b}.{k_j}"] == f"{b}.{room_b}"
    assert world.relay.rooms[f"{a}.{k_m}"] == f"{a}.{room_a}"
    # the case file: A's document is A's, B's is B's, and nothing else was stored
    items = await world.svc.records.casefile.list_items(world.case.id, kinds={ItemKind.DOCUMENT})
    assert sorted((i.id, i.session_id) for i in items) == sorted(
        [(doc_a["doc_id"], a), (doc_b["doc_id"], b)]
    )


SECRET_A = "session A : notre offre finale est de 40 000 euros"
SECRET_B = "session B : ce qui se dit ici reste ici"
ANOTHER_SESSION = {"code": "forbidden", "message": "this link is for another session"}


def _received(client: Client, text: str) -> bool:
    return any(text in repr(data) for _event, data in client.events)


def _stroke(obj_id: str) -> dict[str, Any]:
    return {
        "type": "stroke", "id": obj_id, "points": [[1.0, 2.0], [3.0, 4.0]],
        "color": "#1f2937", "width": 2.0,
    }  # fmt: skip


class BrowserHttp(browserlike.BrowserHttp):
    """A party's browser towards the document routes of any session (not only its own)."""

    async def __aenter__(self) -> BrowserHttp:
        return await self.prime()

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def upload(
        self, session_id: str, data: bytes, name: str, room_id: str | None
    ) -> tuple[int, Any]:
        url = f"{self.world.url}/api/sessions/{session_id}/documents"
        params = {"visibility": "room", **({"room_id": room_id} if room_id else {})}
        headers = self.headers(True, **{"X-Filename": quote(name)})
        async with self.session.post(url, data=data, params=params, headers=headers) as r:
            return r.status, await r.json()

    async def get(self, session_id: str, doc_id: str, what: str) -> browserlike.Got:
        url = f"{self.world.url}/api/sessions/{session_id}/documents/{doc_id}/{what}"
        async with self.session.get(url, headers=self.headers(csrf=False)) as r:
            return browserlike.Got(r.status, r.headers, await r.read())


async def test_bad_payloads_get_error_acks(world: World, clients: Callable[[], Client]) -> None:
    anne = await mediator(world, clients)
    jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
    bad = [
        ("rtc:offer", {"sdp": SDP, "extra": 1}),
        ("rtc:offer", {"sdp": 5}),
        ("rtc:offer", {"sdp": "v" * (70 * 1024)}),
        ("rtc:offer", {"sdp": SDP, "labels": {"0": "tv"}}),
        ("rtc:offer", [SDP]),
        ("rtc:offer", "v=0"),
        ("rtc:candidate", {"candidate": {"candidate": "x", "sdpMLineIndex": "0"}}),
        ("media:state", {"audio": "yes", "video": True, "screen": False}),
        ("lobby:admit", {"key": "'; drop table"}),
        ("caucus:open", {"members": []}),
        ("caucus:open", {"members": ["p-ab"] * 9}),
        ("caucus:close", {"room_id": "../../etc"}),
    ]
    for event, data in bad:
        ack = await jeanne.call(event, data)
        assert ack["ok"] is False and ack["error"]["code"] == "validation_error", (event, data)
    assert (await jeanne.call("rtc:offer", {"sdp": "garbage"}))["error"]["code"] == "bad_sdp"
    assert (await jeanne.call("nope:event", {}))["error"]["code"] == "bad_request"
    assert (await anne.call("lobby:admit", {"key": "p-" + "0" * 24}))["ok"] is False
    assert (await jeanne.call("rtc:offer", {"sdp": SDP}))["ok"]  # still usable afterwards


async def test_second_tab_replaces_the_first(world: World, clients: Callable[[], Client]) -> None:
    anne = await mediator(world, clients)
    first = await admitted(world, clients, anne, "Jeanne Dupont")
    second = clients()
    await second.connect(world, {"token": world.tokens["Jeanne Dupont"]})
    await until(lambda: bool(first.seen("session:kicked")))
    assert first.seen("session:kicked")[0]["reason"] == "replaced_by_new_connection"
    await until(lambda: not first.sio.connected)
    await until(lambda: bool(second.seen("room:view")))  # same room, no re-admission
    assert second.view()["room_id"] == "plenary"


async def test_relay_offers_reach_only_their_participant(
    world: World, clients: Callable[[], Client]
) -> None:
    anne = await mediator(world, clients)
    jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
    marc = await admitted(world, clients, anne, "Marc Durand")
    assert world.relay.on_offer is not None
    await world.relay.on_offer(f"{world.session.id}.{key(world, 'Jeanne Dupont')}", "v=0\r\nre")
    await until(lambda: bool(jeanne.seen("rtc:offer")))
    await barrier(marc)
    assert marc.seen("rtc:offer") == []


async def test_logs_carry_ids_never_names_or_contents(
    world: World, clients: Callable[[], Client], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")  # as `palabre serve` runs, with our own packages at DEBUG
    for package in ("server", "signaling", "sessions", "records"):
        caplog.set_level("DEBUG", logger=package)
    anne = await mediator(world, clients)
    jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
    await anne.call("caucus:open", {"members": [key(world, "Jeanne Dupont")], "label": "Aparté"})
    await jeanne.call("rtc:offer", {"sdp": SDP})
    await anne.call("caucus:return_all", {})
    text = caplog.text
    assert "session" in text  # the flow did log
    for secret in ("Jeanne", "Dupont", "jeanne@example.org", "Anne", "Aparté", "v=0"):
        assert secret not in text, secret
