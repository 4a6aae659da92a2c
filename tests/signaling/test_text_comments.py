"""Comments on the room's shared text over real sockets: add, reply, resolve, stored before
the ack, read back after a restart, a private meeting's comments kept in it, refusals."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from records.encoding import decode
from sessions.rooms import PLENARY
from tests.dbfaults import inserts_refused
from tests.signaling.test_drafting import Editor, paragraph
from tests.signaling.world import (
    Client,
    World,
    admitted,
    back,
    barrier,
    consent,
    key,
    mediator,
    restarted,
    three,
    until,
)


def _varuint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def anchor(editor: Editor, clock: int, assoc: int = 0) -> str:
    """A Yjs relative position naming the item ``(editor's client, clock)``, as
    ``Y.encodeRelativePosition`` writes it (tag 0, the id, the association)."""
    raw = b"\x00" + _varuint(editor.doc.client_id) + _varuint(clock) + bytes([assoc])
    return base64.b64encode(raw).decode()


async def comment(client: Client, editor: Editor, body: str, room: str | None = None) -> Any:
    payload = {
        "room_id": room or client.room,
        "start": anchor(editor, 2),
        "end": anchor(editor, 6, 0x41),  # association -1: the end sticks to what precedes
        "body": body,
    }
    return await client.call("text:comment", payload)


async def stored_changes(world: World, room_id: str = PLENARY) -> list[dict[str, Any]]:
    journal = world.svc.records.texts.comments
    rows = await journal.load(world.case.id, world.session.id, room_id)
    return [decode(r.content) for r in rows]


async def test_a_comment_is_stored_sent_to_the_room_replied_to_and_resolved(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    editor = Editor(jeanne)
    assert (await editor.send(editor.change(paragraph("Le loyer est de 800 euros"))))["ok"]
    ack = await comment(jeanne, editor, "Plutôt 750 ?")
    assert ack["ok"], ack
    made = ack["comment"]
    jk, mk = key(world, "Jeanne Dupont"), key(world, "Marc Durand")
    assert made["by"] == jk and made["body"] == "Plutôt 750 ?" and made["resolved"] is None
    assert made["anchor"] == {"start": anchor(editor, 2), "end": anchor(editor, 6, 0x41)}
    # the room is told: every member, its author too (other tabs)
    for c in (anne, marc, jeanne):
        await until(lambda c=c: bool(c.seen("text:comment")))
        assert c.seen("text:comment")[0] == {"room_id": PLENARY, "comment": made}
    # stored before the ack, encrypted (the body is nowhere in the table in clear)
    changes = await stored_changes(world)
    assert [c["kind"] for c in changes] == ["add"] and changes[0]["body"] == "Plutôt 750 ?"
    reply = await marc.call(
        "text:reply", {"room_id": PLENARY, "comment": made["id"], "body": "D'accord"}
    )
    assert reply["ok"], reply
    assert [(r["by"], r["body"]) for r in reply["comment"]["replies"]] == [(mk, "D'accord")]
    # only its author or a mediator resolves it
    refused = await marc.call("text:resolve", {"room_id": PLENARY, "comment": made["id"]})
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused
    done = await anne.call("text:resolve", {"room_id": PLENARY, "comment": made["id"]})
    assert done["ok"], done
    assert done["comment"]["resolved"]["by"] == anne.hello["self"]["key"]
    again = await jeanne.call("text:resolve", {"room_id": PLENARY, "comment": made["id"]})
    assert again["ok"] is False and again["error"]["code"] == "validation_error", again
    await until(lambda: len(marc.seen("text:comment")) == 3)
    listing = await marc.call("text:comments", {})
    assert listing["room_id"] == PLENARY and listing["comments"] == [done["comment"]]
    assert [c["kind"] for c in await stored_changes(world)] == ["add", "reply", "resolve"]


async def test_the_anchor_is_kept_as_made_while_the_text_changes_before_it(
    world: World, clients: Callable[[], Client]
) -> None:
    """A relative position names characters, not an offset: the server keeps it as the
    editor made it, whatever is typed before it (the editor resolves it: the browser test
    shows the highlight following the words)."""
    _anne, jeanne, marc = await three(world, clients)
    editor = Editor(jeanne)
    assert (await editor.send(editor.change(paragraph("clause deux"))))["ok"]
    made = (await comment(jeanne, editor, "à revoir"))["comment"]
    assert (await editor.send(editor.change(lambda f: editor.paragraph().insert(0, "Une "))))["ok"]
    listing = await marc.call("text:comments", {})
    assert listing["comments"][0]["anchor"] == made["anchor"]


async def test_comments_survive_a_restart_and_reach_a_late_joiner(
    world: World, clients: Callable[[], Client], tmp_path: Path
) -> None:
    anne, jeanne, marc = await three(world, clients)
    editor = Editor(jeanne)
    assert (await editor.send(editor.change(paragraph("Garde alternée"))))["ok"]
    made = (await comment(jeanne, editor, "Quelle semaine ?"))["comment"]
    assert (await anne.call("text:reply", {"room_id": PLENARY, "comment": made["id"],
                                           "body": "La première"}))["ok"]  # fmt: skip
    before = (await marc.call("text:comments", {}))["comments"]
    for c in (anne, jeanne, marc):
        await c.close()
    async with restarted(world, tmp_path) as again:
        anne = await mediator(again, clients)
        jeanne = await back(again, clients, "Jeanne Dupont")
        listing = await jeanne.call("text:comments", {})
        assert listing["ok"] and listing["comments"] == before
        # and the comments go on from there
        done = await jeanne.call("text:resolve", {"room_id": PLENARY, "comment": made["id"]})
        assert done["ok"], done
        assert [c["kind"] for c in await stored_changes(again)] == ["add", "reply", "resolve"]
        await jeanne.close()
        await anne.close()


async def test_a_comment_is_stored_before_it_is_acknowledged_or_sent(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    editor = Editor(jeanne)
    assert (await editor.send(editor.change(paragraph("texte"))))["ok"]
    async with inserts_refused(world.svc.db, "text_comments"):
        ack = await comment(jeanne, editor, "perdu")
    assert ack["ok"] is False and ack["error"]["code"] == "not_stored", ack
    await barrier(marc, anne)
    assert not marc.seen("text:comment") and "perdu" not in json.dumps(marc.events)
    assert (await marc.call("text:comments", {}))["comments"] == []
    # the next one is taken (the journal read back first)
    assert (await comment(jeanne, editor, "gardé"))["ok"]
    assert [c["body"] for c in await stored_changes(world)] == ["gardé"]


async def test_a_private_meetings_comments_never_reach_anyone_outside(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    assert (await anne.call("room:plenary_talk", {"allowed": True}))["ok"]
    room = (await anne.call("caucus:open", {"members": [key(world, "Jeanne Dupont")]}))["room_id"]
    await until(lambda: jeanne.view()["room_id"] == room and anne.view()["room_id"] == room)
    editor = Editor(jeanne)
    assert (await editor.send(editor.change(paragraph("Mon plafond"))))["ok"]
    secret = "Je peux aller jusqu'à 9000"
    made = (await comment(jeanne, editor, secret))["comment"]
    await until(lambda: bool(anne.seen("text:comment")))
    # Marc, in the plenary, gets nothing, lists his own room's comments only, and cannot
    # reply to it, resolve it or comment into that room by naming it
    assert (await marc.call("text:comments", {}))["comments"] == []
    for event, payload in (
        ("text:reply", {"room_id": room, "comment": made["id"], "body": "x"}),
        ("text:resolve", {"room_id": room, "comment": made["id"]}),
        ("text:comment", {"room_id": room, "start": made["anchor"]["start"],
                          "end": made["anchor"]["end"], "body": "x"}),
    ):  # fmt: skip
        ack = await marc.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "not_in_room", (event, ack)
    # a thread of the meeting cannot be reached from the plenary's either
    named = await marc.call("text:reply", {"room_id": PLENARY, "comment": made["id"], "body": "x"})
    assert named["ok"] is False and named["error"]["code"] == "not_found", named
    await barrier(marc)
    leaked = json.dumps(marc.events)
    assert "text:comment" not in [e for e, _d in marc.events]
    for needle in (secret, made["id"], room):
        assert needle not in leaked, needle
    # bringing the paragraph into the plenary does not bring its comment
    assert (await anne.call("text:copy", {"index": 0}))["ok"]
    assert (await marc.call("text:comments", {}))["comments"] == []


async def test_an_observer_reads_comments_but_does_not_write_them(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, _marc = await three(world, clients)
    await consent(world, "Olivia Observer")
    olivia = await admitted(world, clients, anne, "Olivia Observer")
    editor = Editor(jeanne)
    assert (await editor.send(editor.change(paragraph("Ordre du jour"))))["ok"]
    made = (await comment(jeanne, editor, "ajouter un point"))["comment"]
    await until(lambda: bool(olivia.seen("text:comment")))
    assert (await olivia.call("text:comments", {}))["comments"] == [made]
    for event, payload in (
        ("text:comment", {"room_id": PLENARY, "start": made["anchor"]["start"],
                          "end": made["anchor"]["end"], "body": "non"}),
        ("text:reply", {"room_id": PLENARY, "comment": made["id"], "body": "non"}),
        ("text:resolve", {"room_id": PLENARY, "comment": made["id"]}),
    ):  # fmt: skip
        ack = await olivia.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", (event, ack)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda p: {**p, "body": ""}, "validation_error"),
        (lambda p: {**p, "body": "   "}, "validation_error"),
        (lambda p: {**p, "body": "x" * 2001}, "validation_error"),
        (lambda p: {**p, "start": "pas une position"}, "validation_error"),
        (lambda p: {**p, "start": base64.b64encode(b"\x07abc").decode()}, "validation_error"),
        (lambda p: {**p, "end": base64.b64encode(b"\x00\x81").decode()}, "validation_error"),
        (lambda p: {**p, "start": "A" * 400}, "validation_error"),
        (lambda p: {**p, "extra": 1}, "validation_error"),
        (lambda p: {k: v for k, v in p.items() if k != "end"}, "validation_error"),
        (lambda p: {**p, "body": 5}, "validation_error"),
    ],
    ids=["empty", "blank", "too-long", "not-base64", "bad-tag", "truncated", "oversize-anchor",
         "unknown-field", "no-end", "not-a-string"],
)  # fmt: skip
async def test_bad_comments_get_a_clear_error_ack_and_leave_no_trace(
    world: World, clients: Callable[[], Client], change: Callable[[dict[str, Any]], Any], code: str
) -> None:
    anne, jeanne, marc = await three(world, clients)
    editor = Editor(jeanne)
    good = {"room_id": PLENARY, "start": anchor(editor, 0), "end": anchor(editor, 3), "body": "ok"}
    ack = await jeanne.call("text:comment", change(good))
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    assert ack["error"]["message"]
    await barrier(marc, anne)
    assert not marc.seen("text:comment")
    assert await stored_changes(world) == []
    missing = await jeanne.call(
        "text:reply", {"room_id": PLENARY, "comment": "0" * 32, "body": "x"}
    )
    assert missing["ok"] is False and missing["error"]["code"] == "not_found", missing
    assert (await jeanne.call("text:comment", good))["ok"]


async def test_comments_are_rate_limited(world: World, clients: Callable[[], Client]) -> None:
    _anne, jeanne, _marc = await three(world, clients)
    editor = Editor(jeanne)
    acks = [await comment(jeanne, editor, f"n{i}") for i in range(14)]
    codes = [a["error"]["code"] for a in acks if not a["ok"]]
    assert acks[0]["ok"] and codes and set(codes) == {"rate_limited"}, acks
