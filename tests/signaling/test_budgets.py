"""One participant cannot stop the others: over real sockets, a flood from one connection
is slowed with ``rate_limited`` acks, one person's share of a room's chat and board runs
out (``over_budget``) long before the room's, and a mediator's clear always works and
frees a full board. Absence is asserted behind a barrier."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

import sessions.chat
import sessions.documents
import sessions.whiteboard.board
from records.errors import NotFound
from records.files.uploads import unpack
from records.models import CaseItemVersionRow
from records.stores.casefile import ItemKind
from server.realtime import NAMESPACE_KEY
from signaling.budget import EventBudgets, Rate
from tests.pdfgen import make_pdf
from tests.signaling import test_confidentiality
from tests.signaling import world as ns
from tests.signaling.world import Client, World, barrier, three

world = ns.world
clients = ns.clients
http = test_confidentiality.http


def stroke(obj_id: str) -> dict[str, Any]:
    return {
        "type": "stroke", "id": obj_id, "points": [[1.0, 2.0], [3.0, 4.0]],
        "color": "#1f2937", "width": 2.0,
    }  # fmt: skip


def codes(acks: list[dict[str, Any]]) -> set[str]:
    return {a["error"]["code"] for a in acks if not a["ok"]}


def unlimited_rates(world: World) -> None:
    """Room-level budgets only: the per-connection buckets out of the way."""
    world.server.app[NAMESPACE_KEY].budgets = EventBudgets({}, Rate(10_000, 10_000.0))


async def test_a_flood_from_one_connection_gets_rate_limited_and_the_others_write_on(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    room = jeanne.room
    sent = await asyncio.gather(
        *(jeanne.call("chat:send", {"text": f"flood {i}", "room_id": room}) for i in range(60))
    )
    ops = await asyncio.gather(
        *(jeanne.call("wb:op", {"op": stroke(f"f{i}"), "room_id": room}) for i in range(150))
    )
    assert codes(sent) == {"rate_limited"} and codes(ops) == {"rate_limited"}
    accepted = sum(a["ok"] for a in sent)
    assert 0 < accepted < 60 and 0 < sum(a["ok"] for a in ops) < 150
    # the others are not slowed down, and see only what was accepted
    mine = await marc.call("chat:send", {"text": "je suis encore là", "room_id": room})
    assert mine["ok"], mine
    assert (await marc.call("wb:op", {"op": stroke("marc-1"), "room_id": room}))["ok"]
    assert (await anne.call("chat:send", {"text": "moi aussi", "room_id": room}))["ok"]
    await barrier(marc)
    floods = [m for m in marc.seen("chat:message") if m["text"].startswith("flood")]
    assert len(floods) == accepted


async def test_one_party_cannot_fill_the_chat_or_the_board(
    world: World, clients: Callable[[], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sessions.chat, "MAX_MESSAGES_PER_PERSON", 5)
    monkeypatch.setattr(sessions.chat, "MAX_MESSAGES_PER_ROOM", 30)
    monkeypatch.setattr(sessions.whiteboard.board, "MAX_OBJECTS_PER_PERSON", 4)
    monkeypatch.setattr(sessions.whiteboard.board, "MAX_OPS_PER_PERSON", 8)
    unlimited_rates(world)
    anne, jeanne, marc = await three(world, clients)
    room = jeanne.room
    sent = [
        await jeanne.call("chat:send", {"text": f"flood {i}", "room_id": room}) for i in range(8)
    ]
    assert [a["ok"] for a in sent] == [True] * 5 + [False] * 3
    assert codes(sent) == {"over_budget"}
    drawn = [await jeanne.call("wb:op", {"op": stroke(f"f{i}"), "room_id": room}) for i in range(6)]
    assert [a["ok"] for a in drawn] == [True] * 4 + [False] * 2 and codes(drawn) == {"over_budget"}
    for _ in range(4):  # moves count as operations
        move = {"type": "move", "target": "f0", "dx": 1, "dy": 1}
        assert (await jeanne.call("wb:op", {"op": move, "room_id": room}))["ok"]
    refused = await jeanne.call("wb:op", {"op": {"type": "undo"}, "room_id": room})
    assert refused["error"]["code"] == "over_budget"
    # the other party, and the mediator, still write
    for i in range(5):
        assert (await marc.call("chat:send", {"text": f"marc {i}", "room_id": room}))["ok"]
        assert (await anne.call("chat:send", {"text": f"anne {i}", "room_id": room}))["ok"]
    for i in range(4):
        assert (await marc.call("wb:op", {"op": stroke(f"m{i}"), "room_id": room}))["ok"]
    await barrier(marc)
    assert len([m for m in marc.seen("chat:message") if m["text"].startswith("flood")]) == 5
    assert {e["op"].get("id") for e in marc.seen("wb:op")} >= {"m0", "m3", "f3"}
    assert "f4" not in {e["op"].get("id") for e in marc.seen("wb:op")}


async def test_a_mediators_clear_works_at_the_history_cap_and_frees_the_board(
    world: World, clients: Callable[[], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sessions.whiteboard.board, "MAX_OPS", 6)
    unlimited_rates(world)
    anne, jeanne, marc = await three(world, clients)
    room = jeanne.room
    for i in range(3):
        assert (await jeanne.call("wb:op", {"op": stroke(f"j{i}"), "room_id": room}))["ok"]
        assert (await marc.call("wb:op", {"op": stroke(f"m{i}"), "room_id": room}))["ok"]
    full = await marc.call("wb:op", {"op": stroke("late"), "room_id": room})
    assert full["error"]["code"] == "board_full"
    cleared = await anne.call("wb:op", {"op": {"type": "clear"}, "room_id": room})
    assert cleared["ok"], cleared
    again = await jeanne.call("wb:op", {"op": stroke("again"), "room_id": room})
    assert again["ok"], again
    sync = await marc.call("wb:sync", {})
    assert [o["id"] for o in sync["snapshot"]["objects"]] == ["again"]


# -- withdrawn documents leave the case file, unless a mediator keeps them ---------------------


async def stored_documents(world: World) -> set[str]:
    items = await world.svc.records.casefile.list_items(
        world.case.id, kinds={ItemKind.DOCUMENT}, session_id=world.session.id
    )
    return {i.id for i in items}


async def test_withdrawing_deletes_the_stored_document_unless_a_mediator_keeps_it(
    world: World, clients: Callable[[], Client], http: Callable[[str], Any]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    jeanne_http = await http("Jeanne Dupont")
    shared = []
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        status, doc = await jeanne_http.upload(make_pdf(1), name, jeanne.room)
        assert status == 201, doc
        shared.append(doc["doc_id"])
    first, second, third = shared
    assert await stored_documents(world) == set(shared)
    # only a mediator may keep a withdrawn document
    refused = await jeanne.call("doc:withdraw", {"doc_id": first, "keep": True})
    assert refused["error"]["code"] == "forbidden"
    assert (await jeanne.call("doc:withdraw", {"doc_id": first}))["ok"]
    assert (await anne.call("doc:withdraw", {"doc_id": second}))["ok"]
    assert (await anne.call("doc:withdraw", {"doc_id": third, "keep": True}))["ok"]
    assert await stored_documents(world) == {third}
    with pytest.raises(NotFound):  # the rows are gone
        await world.svc.records.casefile.get_item(first, actor="system", via="test")
    await barrier(marc)
    assert not any(d["doc_id"] in shared for d in (await marc.call("doc:list", {}))["documents"])


async def test_a_withdrawn_document_is_crypto_shredded_and_a_kept_one_still_reads(
    world: World, clients: Callable[[], Client], http: Callable[[str], Any]
) -> None:
    anne, jeanne, _marc = await three(world, clients)
    jeanne_http = await http("Jeanne Dupont")
    shared = []
    for name in ("retire.pdf", "garde.pdf", "reste.pdf"):
        status, doc = await jeanne_http.upload(make_pdf(1), name, jeanne.room)
        assert status == 201, doc
        shared.append(doc["doc_id"])
    withdrawn, kept, stays = shared
    casefile, keystore = world.svc.records.casefile, world.svc.records.keystore
    key_ids = {}
    for doc_id in shared:
        async with world.svc.db.transaction() as s:
            key_ids[doc_id] = await s.scalar(
                select(CaseItemVersionRow.key_id).where(CaseItemVersionRow.item_id == doc_id)
            )
    assert len(set(key_ids.values())) == 3  # a key of its own each
    assert (await jeanne.call("doc:withdraw", {"doc_id": withdrawn}))["ok"]
    assert (await anne.call("doc:withdraw", {"doc_id": kept, "keep": True}))["ok"]
    assert await keystore.get_wrapped(key_ids[withdrawn]) is None  # shredded
    for doc_id in (kept, stays):
        assert await keystore.get_wrapped(key_ids[doc_id]) is not None
        item = await casefile.get_item(doc_id, actor="system", via="test")
        meta, data = unpack(item.content)
        assert data.startswith(b"%PDF") and meta.filename in ("garde.pdf", "reste.pdf")


async def test_the_document_cap_counts_what_is_stored(
    world: World,
    clients: Callable[[], Client],
    http: Callable[[str], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sessions.documents, "MAX_DOCUMENTS", 2)
    anne, jeanne, _marc = await three(world, clients)
    jeanne_http = await http("Jeanne Dupont")
    for name in ("a.pdf", "b.pdf"):
        status, doc = await jeanne_http.upload(make_pdf(1), name, jeanne.room)
        assert status == 201, doc
        assert (await anne.call("doc:withdraw", {"doc_id": doc["doc_id"], "keep": True}))["ok"]
    status, body = await jeanne_http.upload(make_pdf(1), "c.pdf", jeanne.room)
    assert (status, body["error"]["code"]) == (409, "documents_full")
