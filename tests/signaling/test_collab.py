"""Whiteboard, chat and shared documents over real sockets: convergence, storage, isolation."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from records.models import BoardOpRow
from records.stores.casefile import ItemKind
from server.realtime import NAMESPACE_KEY
from sessions.documents import Visibility
from sessions.rooms import PLENARY
from sessions.whiteboard.log import BoardObject, LoggedOp, fold
from signaling.identity import Identity
from tests.dbfaults import inserts_refused
from tests.signaling.world import (
    Client,
    World,
    barrier,
    consent,
    enter,
    key,
    three,
    until,
)


def stroke(obj_id: str, x: float = 10.0, text_points: int = 3) -> dict[str, Any]:
    points = [[x + i, 20.0 + i] for i in range(text_points)]
    return {"type": "stroke", "id": obj_id, "points": points, "color": "#1f2937", "width": 2.0}


TEXT = {"type": "text", "id": "t", "x": 0.0, "y": 0.0, "text": "", "color": "#000000", "size": 12.0}


def board_of(client: Client, room_id: str = PLENARY) -> dict[str, BoardObject]:
    """What a browser would show: the fold of the ``wb:op`` events it received, in order."""
    entries = sorted(
        (LoggedOp.from_wire(e) for e in client.seen("wb:op")), key=lambda entry: entry.seq
    )
    seqs = [e.seq for e in entries]
    assert seqs == list(range(1, len(seqs) + 1)), "a client missed an operation"
    return fold(entries)


async def synced(client: Client, since: int | None = None) -> dict[str, BoardObject]:
    ack = await client.call("wb:sync", {} if since is None else {"since": since})
    assert ack["ok"], ack
    start: dict[str, BoardObject] = {}
    if ack["snapshot"] is not None:
        start = {o["id"]: BoardObject.from_wire(o) for o in ack["snapshot"]["objects"]}
    return fold([LoggedOp.from_wire(e) for e in ack["ops"]], start)


def identity_of(world: World, who: str) -> Identity:
    """The identity of a connected participant (for domain calls a test makes directly)."""
    namespace = world.server.app[NAMESPACE_KEY]
    sid = namespace.hub.seat_of(world.session.id, who)
    assert sid is not None
    identity = namespace.hub.connections.get(sid)
    assert identity is not None
    return identity


# -- whiteboard ---------------------------------------------------------------------


async def test_concurrent_operations_converge_on_every_screen(
    world: World, clients: Callable[[], Client]
) -> None:
    people = await three(world, clients)
    rng = random.Random(7)

    async def draw(who: Client, tag: str) -> None:
        mine: list[str] = []
        for i in range(25):
            roll = rng.random()
            if mine and roll < 0.15:
                op: dict[str, Any] = {
                    "type": "move",
                    "target": rng.choice(mine),
                    "dx": 5.0,
                    "dy": -3.0,
                }
            elif mine and roll < 0.25:
                op = {"type": "undo"}
            elif mine and roll < 0.3:
                op = {"type": "redo"}
            elif mine and roll < 0.35:
                op = {"type": "erase", "targets": [mine.pop()]}
            else:
                mine.append(f"{tag}-{i}")
                op = stroke(mine[-1], x=float(i))
            ack = await who.call("wb:op", {"op": op})
            # undo/redo with nothing to do, or moving an undone object, are refused: fine
            assert ack["ok"] or ack["error"]["code"] in {
                "nothing_to_undo", "nothing_to_redo", "not_found",
            }, ack  # fmt: skip
            await asyncio.sleep(0)

    await asyncio.gather(*(draw(p, f"o{n}") for n, p in enumerate(people)))
    server = await synced(people[0])
    assert server, "nothing was drawn"
    for person in people:
        await until(lambda p=person: board_of(p) == server)  # type: ignore[misc]
    assert len({json.dumps(sorted(k for k in board_of(p)), sort_keys=True) for p in people}) == 1


async def test_a_busy_room_is_stored_in_few_transactions_and_delivered_in_order(
    world: World, clients: Callable[[], Client]
) -> None:
    people = await three(world, clients)
    journal = world.svc.records.journal
    before = journal.transactions
    await asyncio.gather(
        *(
            p.call("wb:op", {"op": stroke(f"{n}-{i}")})
            for i in range(20)
            for n, p in enumerate(people)
        )
    )
    assert journal.transactions - before < 60  # 60 operations, stored in fewer commits
    for person in people:
        await until(lambda p=person: len(p.seen("wb:op")) == 60)  # type: ignore[misc]
        arrived = [e["seq"] for e in person.seen("wb:op")]
        assert arrived == list(range(1, 61))  # in order, without gaps, on every screen
        assert {e["room_id"] for e in person.seen("wb:op")} == {PLENARY}
        # what one commit stored went out as one message (wb:ops), not one per operation
        assert person.batches and max(person.batches) > 1


async def test_a_reconnecting_client_catches_up(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    for i in range(3):
        assert (await jeanne.call("wb:op", {"op": stroke(f"j{i}")}))["ok"]
    await until(lambda: len(marc.seen("wb:op")) == 3)
    last = max(e["seq"] for e in marc.seen("wb:op"))
    before = board_of(marc)
    await marc.close()
    for i in range(4):
        assert (await anne.call("wb:op", {"op": stroke(f"a{i}", x=50.0)}))["ok"]
    again = clients()
    await again.connect(world, {"token": world.tokens["Marc Durand"]})
    await until(lambda: any(v.get("room_id") == PLENARY for v in again.seen("room:view")))
    ack = await again.call("wb:sync", {"since": last})
    assert [e["seq"] for e in ack["ops"]] == [4, 5, 6, 7] and ack["snapshot"] is None
    assert ack["history"] == {"undo": 0, "redo": 0}  # Marc drew nothing
    mine = await anne.call("wb:sync", {})
    assert mine["history"] == {"undo": 4, "redo": 0}
    caught_up = fold([LoggedOp.from_wire(e) for e in ack["ops"]], before)
    assert caught_up == await synced(again) == await synced(anne)
    assert len(caught_up) == 7


async def test_operations_are_stored_encrypted_before_the_ack_and_survive_a_restart(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, _marc = await three(world, clients)
    words = "Loyer impayé depuis mars"
    text = {"type": "text", "id": "t1", "x": 0.0, "y": 0.0, "text": words, "color": "#000000",
            "size": 16.0}  # fmt: skip
    assert (await jeanne.call("wb:op", {"op": text}))["ok"]
    edited = "Loyer impayé depuis avril"
    assert (await jeanne.call("wb:op", {"op": {"type": "edit_text", "target": "t1",
                                               "text": edited}}))["ok"]  # fmt: skip
    async with world.svc.db.transaction() as s:
        rows = (await s.execute(select(BoardOpRow))).scalars().all()
    assert [(r.session_id, r.room_id, r.seq) for r in rows] == [
        (world.session.id, PLENARY, 1), (world.session.id, PLENARY, 2),
    ]  # fmt: skip
    assert all(b"Loyer" not in r.ciphertext for r in rows)
    assert (await anne.call("wb:op", {"op": {"type": "undo"}}))["error"]["code"] == (
        "nothing_to_undo"
    )
    # The process forgets the session (as after a restart): the board comes back.
    hub = world.server.app[NAMESPACE_KEY].hub
    live = hub._live.pop(world.session.id)
    assert live.session.board(PLENARY).seq == 2
    marc = clients()
    await marc.connect(world, {"token": world.tokens["Marc Durand"]})
    await until(lambda: bool(marc.seen("session:hello")))
    restored = hub.session(world.session.id)
    assert restored is not None
    snapshot = restored.board(PLENARY).snapshot()
    assert [o.shape.model_dump()["text"] for o in snapshot.objects] == [edited]
    # Jeanne's undo history came back with the board: her edit is the first to go.
    assert restored.board(PLENARY).submit(key(world, "Jeanne Dupont"), _undo()).target_seq == 2
    assert restored.board(PLENARY).objects()["t1"].shape.model_dump()["text"] == words


def _undo() -> Any:
    from sessions.whiteboard.ops import parse_op

    return parse_op({"type": "undo"})


async def test_an_operation_that_cannot_be_stored_is_refused_and_shown_to_nobody(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    assert (await jeanne.call("wb:op", {"op": stroke("kept")}))["ok"]
    await until(lambda: len(marc.seen("wb:op")) == 1)
    async with inserts_refused(world.svc.db, "board_ops"):  # the database refuses
        ack = await jeanne.call("wb:op", {"op": stroke("lost")})
    assert ack["ok"] is False and ack["error"]["code"] == "not_stored"
    await barrier(marc, anne)
    assert len(marc.seen("wb:op")) == 1 and len(anne.seen("wb:op")) == 1
    assert set(await synced(anne)) == {"kept"}
    # and the board goes on from where the case file is
    assert (await jeanne.call("wb:op", {"op": stroke("next")}))["seq"] == 2


@pytest.mark.parametrize(
    ("op", "reason"),
    [
        ({"type": "laser", "id": "x"}, "unknown type"),
        ({**stroke("big"), "points": [[1.0, 1.0]] * 2001}, "too many points"),
        ({**TEXT, "text": "x" * 5000}, "huge text"),
        ({**stroke("far"), "points": [[1e9, 0.0]]}, "out of range"),
        ({**stroke("nan"), "points": [[float("nan"), 0.0]]}, "not a number"),
        ({**stroke("html"), "color": "red;<script>"}, "bad colour"),
        ({**stroke("extra"), "room_id": "caucus-1"}, "unknown field"),
    ],
)
async def test_bad_operations_get_an_error_ack_and_nobody_is_affected(
    world: World, clients: Callable[[], Client], op: dict[str, Any], reason: str
) -> None:
    anne, jeanne, marc = await three(world, clients)
    ack = await jeanne.call("wb:op", {"op": op})
    assert ack["ok"] is False and ack["error"]["code"] == "validation_error", (reason, ack)
    assert (await jeanne.call("wb:op", {"op": stroke("s"), "room_id": "caucus-1"}))["error"][
        "code"
    ] == "not_in_room"  # an operation drawn on another room's board
    assert (await marc.call("wb:op", {"op": stroke("m"), "room_id": PLENARY}))["ok"]
    await until(lambda: len(anne.seen("wb:op")) == 1)  # others unaffected
    assert set(await synced(anne)) == {"m"}


async def test_parties_cannot_change_each_others_drawings_or_clear(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    assert (await jeanne.call("wb:op", {"op": stroke("j")}))["ok"]
    move = {"type": "move", "target": "j", "dx": 1.0, "dy": 1.0}
    assert (await marc.call("wb:op", {"op": move}))["error"]["code"] == "forbidden"
    assert (await marc.call("wb:op", {"op": {"type": "clear"}}))["error"]["code"] == "forbidden"
    words = {"type": "text", "id": "jt", "x": 0.0, "y": 0.0, "text": "Proposition",
             "color": "#000000", "size": 16.0}  # fmt: skip
    assert (await jeanne.call("wb:op", {"op": words}))["ok"]
    edit = {"type": "edit_text", "target": "jt", "text": "Contre-proposition"}
    assert (await marc.call("wb:op", {"op": edit}))["error"]["code"] == "forbidden"
    assert (await anne.call("wb:op", {"op": edit}))["ok"]  # the mediator may correct it
    paint = {"type": "recolor", "target": "j", "color": "#c62828"}
    assert (await marc.call("wb:op", {"op": paint}))["error"]["code"] == "forbidden"
    assert (await anne.call("wb:op", {"op": paint}))["ok"]
    assert (await synced(jeanne))["j"].shape.color == "#c62828"
    assert (await anne.call("wb:op", {"op": move}))["ok"]  # the mediator may
    assert (await anne.call("wb:op", {"op": {"type": "clear"}}))["ok"]
    assert await synced(jeanne) == {}


# -- private meetings: nothing crosses ------------------------------------------------


async def test_nothing_of_a_private_meeting_reaches_anyone_outside(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    assert (await anne.call("room:plenary_talk", {"allowed": True}))["ok"]
    opened = await anne.call("caucus:open", {"members": [key(world, "Jeanne Dupont")]})
    room = opened["room_id"]
    await until(lambda: jeanne.view()["room_id"] == room)
    secret = "Je pourrais accepter 8000 euros"
    assert (await jeanne.call("wb:op", {"op": stroke("private")}))["ok"]
    assert (await jeanne.call("chat:send", {"text": secret, "room_id": jeanne.room}))["ok"]
    jk = key(world, "Jeanne Dupont")
    hub = world.server.app[NAMESPACE_KEY].hub
    await hub.call(
        identity_of(world, jk),
        lambda s, k: s.share_document(k, "doc1", "Proposition", Visibility.MEMBERS, pages=2),
        connection=hub.seat_of(world.session.id, jk),  # as if over her own connection
    )
    await until(lambda: bool(anne.seen("chat:message")) and bool(anne.seen("doc:shared")))
    # Marc, waiting in the plenary, got none of it, and cannot fetch it.
    assert (await marc.call("chat:send", {"text": "bonjour", "room_id": marc.room}))["ok"]
    await barrier(marc)
    leaked = json.dumps(marc.events)
    for needle in (secret, "private", "doc1", "Proposition", room):
        assert needle not in leaked, needle
    assert await synced(marc) == {}
    assert (await marc.call("chat:history", {}))["messages"][0]["text"] == "bonjour"
    assert (await marc.call("doc:list", {}))["documents"] == []
    assert (await marc.call("wb:copy", {"from_room": room}))["error"]["code"] == "forbidden"


async def test_a_private_board_copied_into_the_plenary_hides_who_drew_it(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    room = (await anne.call("caucus:open", {"members": [key(world, "Jeanne Dupont")]}))["room_id"]
    await until(lambda: jeanne.view()["room_id"] == room)
    assert (await jeanne.call("wb:op", {"op": stroke("idea")}))["ok"]
    assert (
        await anne.call("caucus:move", {"key": anne.hello["self"]["key"], "room_id": "plenary"})
    )["ok"]
    await until(lambda: anne.view()["room_id"] == PLENARY)
    assert (await anne.call("wb:copy", {"from_room": room}))["ok"]
    await until(lambda: bool(marc.seen("wb:op")))
    copied = list((await synced(marc)).values())
    assert len(copied) == 1 and copied[0].author == anne.hello["self"]["key"]
    await barrier(marc)
    assert key(world, "Jeanne Dupont") not in json.dumps(marc.seen("wb:op"))


async def test_an_observer_cannot_chat_while_the_plenary_waits(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, _jeanne, _marc = await three(world, clients)
    await consent(world, "Jeanne Dupont")
    await consent(world, "Marc Durand")
    olivia = await enter(world, clients, "Olivia Observer")
    assert (await anne.call("lobby:admit", {"key": key(world, "Olivia Observer")}))["ok"]
    await until(lambda: any(v.get("room_id") == PLENARY for v in olivia.seen("room:view")))
    assert (await olivia.call("chat:send", {"text": "bonjour", "room_id": olivia.room}))["ok"]
    assert (await olivia.call("wb:op", {"op": stroke("o")}))["error"]["code"] == "forbidden"
    assert (await anne.call("caucus:open", {"members": [key(world, "Jeanne Dupont")]}))["ok"]
    ack = await olivia.call("chat:send", {"text": "et maintenant ?", "room_id": olivia.room})
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden", ack


# -- chat -------------------------------------------------------------------------------


async def test_chat_is_text_and_stays_in_its_room(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    markup = "<img src=x onerror=alert(1)> & <b>merci</b>"
    ack = await jeanne.call("chat:send", {"text": markup, "room_id": jeanne.room})
    assert ack["ok"] and ack["message"]["text"] == markup  # kept as text, rendered as text
    await until(lambda: bool(marc.seen("chat:message")) and bool(anne.seen("chat:message")))
    assert marc.seen("chat:message")[0]["author"] == key(world, "Jeanne Dupont")
    here = jeanne.room
    for bad in (
        {"text": "", "room_id": here},
        {"text": "x" * 9000, "room_id": here},
        {"text": 5, "room_id": here},
        {"text": "no room"},
        {"text": "bad room", "room_id": "<b>"},
        {},
    ):
        assert (await jeanne.call("chat:send", bad))["error"]["code"] == "validation_error"
    assert (await jeanne.call("chat:send", {"text": "   ", "room_id": jeanne.room}))["ok"] is False


async def test_chat_is_kept_only_when_everyone_agreed(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    assert (await jeanne.call("chat:send", {"text": "première", "room_id": jeanne.room}))["ok"]
    notice = await jeanne.call("chat:notice", {"language": "fr"})
    assert notice["ok"] and "conserver" in notice["body"] and len(notice["sha256"]) == 64
    assert (await jeanne.call("chat:keep", {"enabled": True}))["error"]["code"] == "forbidden"
    assert (await anne.call("chat:keep", {"enabled": True}))["ok"]
    await until(lambda: bool(jeanne.seen("chat:keep")) and bool(marc.seen("chat:keep")))
    assert (await jeanne.call("chat:agree", {"agreed": True, "language": "fr"}))["kept"] is False
    assert (await marc.call("chat:agree", {"agreed": True, "language": "en"}))["kept"] is True
    consent = world.svc.records.consent
    for name in ("Jeanne Dupont", "Marc Durand"):
        pid = key(world, name).removeprefix("p-")
        entry = (await consent.current(world.session.id, pid))["chat_retention"]
        assert entry.decision == "given" and len(entry.text_sha256) == 64
    assert (await anne.call("session:end", {}))["ok"]
    cases = world.svc.records.casefile
    items = await cases.read_items(world.case.id, kinds={ItemKind.CHAT}, actor="test", via="test")
    assert len(items) == 1
    kept = json.loads(items[0].content)
    assert [m["text"] for m in kept["messages"]] == ["première"]


async def test_the_chat_retention_text_is_the_notices_stores_current_one(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, _marc = await three(world, clients)
    body = "Le médiateur propose de garder la discussion écrite (version revue)."
    newer = await world.svc.records.notices.publish("chat_retention", "fr", body, "anne")
    notice = await jeanne.call("chat:notice", {"language": "fr"})
    assert (notice["version"], notice["sha256"], notice["body"]) == (2, newer.sha256, body)
    assert (await anne.call("chat:keep", {"enabled": True}))["ok"]
    assert (await jeanne.call("chat:agree", {"agreed": True, "language": "fr"}))["ok"]
    pid = key(world, "Jeanne Dupont").removeprefix("p-")
    entry = (await world.svc.records.consent.current(world.session.id, pid))["chat_retention"]
    assert (entry.text_version, entry.text_sha256) == (2, newer.sha256)


async def test_chat_dies_with_the_session_when_someone_refuses(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    ack = await jeanne.call("chat:send", {"text": "à ne pas garder", "room_id": jeanne.room})
    assert ack["ok"]
    assert (await anne.call("chat:keep", {"enabled": True}))["ok"]
    assert (await jeanne.call("chat:agree", {"agreed": True, "language": "fr"}))["ok"]
    assert (await jeanne.call("chat:agree", {"agreed": False, "language": "fr"}))["ok"]
    assert (await marc.call("chat:agree", {"agreed": True, "language": "fr"}))["kept"] is False
    pid = key(world, "Jeanne Dupont").removeprefix("p-")
    entry = (await world.svc.records.consent.current(world.session.id, pid))["chat_retention"]
    assert entry.decision == "withdrawn"
    assert (await anne.call("session:end", {}))["ok"]
    items = await world.svc.records.casefile.list_items(world.case.id, kinds={ItemKind.CHAT})
    assert items == []


# -- documents (socket side; uploads are HTTP) -------------------------------------------


async def test_follow_me_reaches_followers_until_they_stop(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    await world.server.app[NAMESPACE_KEY].hub.call(
        identity_of(world, anne.hello["self"]["key"]),
        lambda s, k: s.share_document(k, "d1", "Contrat", Visibility.ROOM, pages=3),
    )
    await until(lambda: bool(marc.seen("doc:shared")) and bool(jeanne.seen("doc:shared")))
    listed = await marc.call("doc:list", {})
    assert [d["doc_id"] for d in listed["documents"]] == ["d1"] and listed["presentation"] is None
    assert (await anne.call("doc:present", {"doc_id": "d1", "page": 1, "zoom": 1.0}))["ok"]
    assert (await marc.call("doc:follow", {"following": False}))["ok"]
    assert (await anne.call("doc:present", {"doc_id": "d1", "page": 2, "zoom": 1.5}))["ok"]
    await until(lambda: [p["page"] for p in jeanne.seen("doc:page")] == [1, 2])
    assert [p["page"] for p in marc.seen("doc:page")] == [1]
    back = await marc.call("doc:follow", {"following": True})
    assert back["presentation"]["page"] == 2
    assert (await anne.call("doc:present", {"doc_id": "d1", "page": 9}))["error"]["code"] == (
        "validation_error"
    )
    assert (await jeanne.call("doc:download", {"doc_id": "d1", "allowed": True}))["error"][
        "code"
    ] == "forbidden"
    updated = await anne.call("doc:download", {"doc_id": "d1", "allowed": True})
    assert updated["document"]["download_allowed"] is True
    assert (await jeanne.call("doc:withdraw", {"doc_id": "d1"}))["error"]["code"] == "forbidden"
    assert (await anne.call("doc:withdraw", {"doc_id": "d1"}))["ok"]
    await until(lambda: bool(marc.seen("doc:withdrawn")))
    assert (await marc.call("doc:list", {}))["documents"] == []
