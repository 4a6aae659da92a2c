"""Shared texts over real sockets: convergence, stored before the ack, refusals, isolation.

Each client here holds a Yjs document (pycrdt, the same format as the browsers' Yjs) laid
out as y-prosemirror lays out a ProseMirror document, sends what its edits change as
``text:update`` and applies what the others' edits send it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from server.realtime import NAMESPACE_KEY
from sessions.rooms import PLENARY
from sessions.shared_text import FRAGMENT, MAX_UPDATE_BYTES, TextEntry
from tests.dbfaults import inserts_refused
from tests.signaling.world import (
    Client,
    World,
    back,
    barrier,
    consent,
    enter,
    key,
    mediator,
    restarted,
    three,
    until,
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Editor:
    """A participant's copy of the room's text, as their editor holds it."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.doc: Doc[Any] = Doc()
        self.fragment = self.doc.get(FRAGMENT, type=XmlFragment)
        self.taken = 0  # text:update events applied so far

    def change(self, edit: Callable[[XmlFragment], None]) -> str:
        """Makes an edit; the update it made, in base64."""
        before = self.doc.get_state()
        with self.doc.transaction():
            edit(self.fragment)
        return b64(self.doc.get_update(before))

    async def send(self, update: str) -> dict[str, Any]:
        payload = {"update": update, "room_id": self.client.room}
        return await self.client.call("text:update", payload)

    def receive(self) -> None:
        """Applies the room's updates that arrived since last time."""
        seen = self.client.seen("text:update")
        for event in seen[self.taken :]:
            self.doc.apply_update(base64.b64decode(event["update"]))
        self.taken = len(seen)

    async def sync(self) -> None:
        ack = await self.client.call("text:sync", {"state_vector": b64(self.doc.get_state())})
        assert ack["ok"], ack
        self.doc.apply_update(base64.b64decode(ack["update"]))

    def paragraph(self, i: int = 0) -> XmlText:
        block = list(self.fragment.children)[i]
        assert isinstance(block, XmlElement)
        text = next(iter(block.children))
        assert isinstance(text, XmlText)
        return text

    def plain(self) -> str:
        return plain(self.fragment)


def paragraph(words: str) -> Callable[[XmlFragment], None]:
    def edit(fragment: XmlFragment) -> None:
        fragment.children.append(XmlElement("paragraph", {}, [XmlText(words)]))

    return edit


def server_text(world: World, room_id: str = PLENARY) -> str:
    session = world.server.app[NAMESPACE_KEY].hub.session(world.session.id)
    assert session is not None
    return session.text(room_id).plain()


async def stored_updates(world: World, room_id: str = PLENARY) -> list[TextEntry]:
    journal = world.svc.records.texts
    stored = await journal.load(world.case.id, world.session.id, room_id)
    return [TextEntry.from_record(e.seq, e.data()) for e in stored]


def plain(fragment: XmlFragment) -> str:
    """The words of each paragraph, a line each (no formatting)."""
    return "\n".join(
        "".join(c for t in block.children if isinstance(t, XmlText) for c, _a in t.diff())
        for block in fragment.children
        if isinstance(block, XmlElement)
    )


def text_of(entries: list[TextEntry]) -> str:
    doc: Doc[Any] = Doc()
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    for entry in entries:
        doc.apply_update(entry.update)
    return plain(fragment)


async def test_concurrent_edits_converge_and_are_what_is_stored(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    assert (await anne.call("room:plenary_talk", {"allowed": True}))["ok"]
    editors = [Editor(c) for c in (anne, jeanne, marc)]
    first = await editors[0].send(editors[0].change(paragraph("Accord: ")))
    assert first == {"ok": True, "seq": 1}
    await until(lambda: all(len(e.client.seen("text:update")) == 1 for e in editors[1:]))
    for e in editors[1:]:
        e.receive()

    # everyone types into the same paragraph at the same place, before seeing the others
    def typing(e: Editor, words: str) -> str:
        return e.change(lambda f: e.paragraph().insert(len("Accord: "), words))

    updates = [typing(e, w) for e, w in zip(editors, ("un ", "deux ", "trois "), strict=True)]
    acks = [await e.send(u) for e, u in zip(editors, updates, strict=True)]
    assert all(a["ok"] for a in acks), acks
    # each receives the two others' (and the first paragraph, but its author)
    await until(lambda: all(len(e.client.seen("text:update")) == 3 for e in editors[1:]))
    await until(lambda: len(editors[0].client.seen("text:update")) == 2)
    for e in editors:
        e.receive()
    texts = {e.plain() for e in editors}
    assert len(texts) == 1, texts
    (agreed,) = texts
    assert sorted(agreed.removeprefix("Accord: ").split()) == ["deux", "trois", "un"]
    assert server_text(world) == agreed
    # what the case file holds is that text, and its author is who typed each update
    stored = await stored_updates(world)
    assert [e.seq for e in stored] == [1, 2, 3, 4]
    assert stored[0].by == anne.hello["self"]["key"]
    assert text_of(stored) == agreed
    # a late joiner starts from the whole text
    late = Editor(anne)
    ack = await anne.call("text:sync", {})
    assert ack["ok"] and ack["seq"] == 4 and ack["may_edit"] is True
    late.doc.apply_update(base64.b64decode(ack["update"]))
    assert late.plain() == agreed


async def test_a_text_survives_a_restart(
    world: World, clients: Callable[[], Client], tmp_path: Path
) -> None:
    anne, jeanne, marc = await three(world, clients)
    editor = Editor(jeanne)
    # (ASCII: pycrdt numbers a non-ASCII prelim text's items unlike Yjs, and a later edit of
    # it from the same copy would not follow on; browsers' Yjs has no such problem)
    assert (await editor.send(editor.change(paragraph("Garde"))))["ok"]
    history = (await anne.call("text:history", {}))["versions"]
    for c in (anne, jeanne, marc):
        await c.close()
    async with restarted(world, tmp_path) as again:
        anne = await mediator(again, clients)
        jeanne = await back(again, clients, "Jeanne Dupont")  # not let in again
        copy = Editor(jeanne)
        await copy.sync()
        assert copy.plain() == "Garde"
        assert (await anne.call("text:history", {}))["versions"] == history
        # and the text goes on from where the case file is: her old copy's edits follow on
        editor.client = jeanne
        ack = await editor.send(editor.change(lambda f: editor.paragraph().insert(5, " !")))
        assert ack == {"ok": True, "seq": 2}, ack
        assert server_text(again) == "Garde !"
        await jeanne.close()
        await anne.close()


async def test_an_update_is_stored_before_it_is_acknowledged_or_sent(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    editor = Editor(jeanne)
    assert (await editor.send(editor.change(paragraph("kept"))))["ok"]
    await until(lambda: len(marc.seen("text:update")) == 1)
    async with inserts_refused(world.svc.db, "text_updates"):
        ack = await editor.send(editor.change(paragraph("lost")))
    assert ack["ok"] is False and ack["error"]["code"] == "not_stored", ack
    await barrier(marc, anne)
    assert len(marc.seen("text:update")) == 1 and len(anne.seen("text:update")) == 1
    assert "lost" not in json.dumps(marc.events)
    assert server_text(world) == "kept"
    assert [e.seq for e in await stored_updates(world)] == [1]
    # the room is told to take the text again
    await until(lambda: bool(marc.seen("text:reset")))
    # the editor that lost an update takes the text again, as a fresh copy
    fresh = Editor(jeanne)
    await fresh.sync()
    assert fresh.plain() == "kept"
    assert (await fresh.send(fresh.change(paragraph("next"))))["seq"] == 2


def _huge(fragment: XmlFragment) -> None:
    fragment.children.append(XmlElement("paragraph", {}, [XmlText("x" * (MAX_UPDATE_BYTES + 10))]))


def _script(fragment: XmlFragment) -> None:
    fragment.children.append(XmlElement("script", {}, [XmlText("alert(1)")]))


def _onclick(fragment: XmlFragment) -> None:
    fragment.children.append(XmlElement("paragraph", {"onclick": "x"}, [XmlText("a")]))


def _link(fragment: XmlFragment) -> None:
    text = XmlText("a")
    fragment.children.append(XmlElement("paragraph", {}, [text]))
    text.format(0, 1, {"link": {"href": "javascript:x"}})


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda e: "not base64!", "validation_error"),
        (lambda e: b64(b"\xff" * 40), "validation_error"),
        (lambda e: e.change(_huge), "payload_too_large"),
        (lambda e: e.change(_script), "validation_error"),
        (lambda e: e.change(_onclick), "validation_error"),
        (lambda e: e.change(_link), "validation_error"),
    ],
    ids=["not-base64", "garbage", "oversize", "disallowed-node", "disallowed-attribute",
         "disallowed-mark"],
)  # fmt: skip
async def test_bad_updates_get_an_error_ack_and_leave_no_trace(
    world: World, clients: Callable[[], Client], make: Callable[[Editor], str], code: str
) -> None:
    anne, jeanne, marc = await three(world, clients)
    editor = Editor(jeanne)
    ack = await editor.send(make(editor))
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    await barrier(marc, anne)
    assert not marc.seen("text:update") and not anne.seen("text:update")
    assert await stored_updates(world) == []
    assert server_text(world) == ""
    # the refused update left nothing behind: a fresh copy's edits are taken
    fresh = Editor(marc)
    assert (await fresh.send(fresh.change(paragraph("propre"))))["ok"]
    assert server_text(world) == "propre"


async def test_an_update_that_needs_one_the_server_lacks_is_refused(
    world: World, clients: Callable[[], Client]
) -> None:
    _anne, jeanne, _marc = await three(world, clients)
    editor = Editor(jeanne)
    editor.change(paragraph("jamais envoyé"))  # lost on the way
    ack = await editor.send(editor.change(lambda f: editor.paragraph().insert(0, "> ")))
    assert ack["ok"] is False and ack["error"]["code"] == "conflict", ack
    # syncing sends what the server lacks; then it is taken
    sync = await jeanne.call("text:sync", {"state_vector": b64(editor.doc.get_state())})
    missing = editor.doc.get_update(base64.b64decode(sync["state_vector"]))
    assert (await editor.send(b64(missing)))["ok"]
    assert server_text(world) == "> jamais envoyé"


async def test_an_observer_reads_but_does_not_write(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, _jeanne, _marc = await three(world, clients)
    await consent(world, "Jeanne Dupont")
    await consent(world, "Marc Durand")
    olivia = await enter(world, clients, "Olivia Observer")
    assert (await anne.call("lobby:admit", {"key": key(world, "Olivia Observer")}))["ok"]
    await until(lambda: any(v.get("room_id") == PLENARY for v in olivia.seen("room:view")))
    writer = Editor(anne)
    assert (await writer.send(writer.change(paragraph("Ordre du jour"))))["ok"]
    await until(lambda: bool(olivia.seen("text:update")))
    reader = Editor(olivia)
    reader.receive()
    assert reader.plain() == "Ordre du jour"
    assert (await olivia.call("text:sync", {}))["may_edit"] is False
    ack = await reader.send(reader.change(paragraph("non")))
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden", ack


async def test_a_private_meetings_text_never_reaches_anyone_outside(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    assert (await anne.call("room:plenary_talk", {"allowed": True}))["ok"]
    opened = await anne.call("caucus:open", {"members": [key(world, "Jeanne Dupont")]})
    room = opened["room_id"]
    await until(lambda: jeanne.view()["room_id"] == room and anne.view()["room_id"] == room)
    secret = "Je pourrais accepter 8000 euros"
    editor = Editor(jeanne)
    assert (await editor.send(editor.change(paragraph(secret))))["ok"]
    await until(lambda: bool(anne.seen("text:update")))
    mine = Editor(anne)
    mine.receive()
    assert mine.plain() == secret
    # Marc, in the plenary, got nothing of it and cannot fetch it
    plenary = Editor(marc)
    assert (await plenary.send(plenary.change(paragraph("bonjour"))))["ok"]
    ack = await marc.call("text:sync", {})
    assert ack["room_id"] == PLENARY
    plenary_copy = Editor(marc)
    plenary_copy.doc.apply_update(base64.b64decode(ack["update"]))
    assert plenary_copy.plain() == "bonjour"
    # nor can he write into it by naming it
    aimed = await marc.call(
        "text:update", {"update": plenary.change(paragraph("intrus")), "room_id": room}
    )
    assert aimed["ok"] is False and aimed["error"]["code"] == "not_in_room", aimed
    await barrier(marc)
    leaked = json.dumps(marc.events)
    assert "text:update" not in [e for e, _d in marc.events]
    for needle in (secret, b64(secret.encode())[:16], room):
        assert needle not in leaked, needle
    assert server_text(world, room) == secret
    # once the meeting closes its text goes from memory; the case file keeps it
    assert (await anne.call("caucus:close", {"room_id": room}))["ok"]
    assert text_of(await stored_updates(world, room)) == secret


async def test_a_mediator_brings_a_private_paragraph_into_the_plenary(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    assert (await anne.call("room:plenary_talk", {"allowed": True}))["ok"]
    room = (await anne.call("caucus:open", {"members": [key(world, "Jeanne Dupont")]}))["room_id"]
    await until(lambda: jeanne.view()["room_id"] == room and anne.view()["room_id"] == room)
    editor = Editor(jeanne)

    def two_paragraphs(fragment: XmlFragment) -> None:
        fragment.children.append(XmlElement("paragraph", {}, [XmlText("reste ici")]))
        kept = XmlText("proposition")
        fragment.children.append(XmlElement("paragraph", {}, [kept]))
        kept.format(0, 4, {"strong": {}})

    assert (await editor.send(editor.change(two_paragraphs)))["ok"]
    plenary = Editor(marc)
    assert (await plenary.send(plenary.change(paragraph("ordre du jour"))))["ok"]
    # only a mediator may, and only from a paragraph that exists
    refused = await jeanne.call("text:copy", {"index": 1})
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused
    missing = await anne.call("text:copy", {"index": 5})
    assert missing["ok"] is False and missing["error"]["code"] == "validation_error", missing
    ack = await anne.call("text:copy", {"index": 1})
    assert ack == {"ok": True, "seq": 2}, ack
    await until(lambda: len(marc.seen("text:update")) == 1)
    plenary.receive()
    assert plenary.plain() == "ordre du jour\nproposition"
    assert "<strong>prop</strong>osition" in str(plenary.fragment)
    assert server_text(world) == "ordre du jour\nproposition"
    assert text_of(await stored_updates(world)) == "ordre du jour\nproposition"
    # the rest of the meeting's text stayed there; who wrote it is not told
    await barrier(marc)
    assert "reste ici" not in json.dumps(marc.events)
    assert key(world, "Jeanne Dupont") not in json.dumps(marc.seen("text:update"))
    assert (await stored_updates(world))[-1].by == anne.hello["self"]["key"]


async def test_the_history_says_who_changed_what_and_shows_each_version(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, marc = await three(world, clients)
    mine = Editor(anne)
    assert (await mine.send(mine.change(paragraph("Accord"))))["ok"]
    await until(lambda: len(jeanne.seen("text:update")) == 1)
    hers = Editor(jeanne)
    hers.receive()
    for words in (" sur le", " préavis"):
        update = hers.change(lambda f, w=words: hers.paragraph().insert(len(hers.plain()), w))  # type: ignore[misc]
        assert (await hers.send(update))["ok"]
    history = await marc.call("text:history", {})
    assert history["ok"], history
    ak, jk = anne.hello["self"]["key"], jeanne.hello["self"]["key"]
    runs = [(v["first"], v["last"], v["by"]) for v in history["versions"]]
    assert runs == [(1, 1, ak), (2, 3, jk)]
    assert all(v["started"] <= v["ended"] for v in history["versions"])
    # each version is the text as it stood then
    for seq, expected in ((1, "Accord"), (2, "Accord sur le"), (3, "Accord sur le préavis")):
        ack = await marc.call("text:version", {"seq": seq})
        version = Editor(marc)
        version.doc.apply_update(base64.b64decode(ack["update"]))
        assert version.plain() == expected
    assert (await marc.call("text:version", {"seq": 9}))["error"]["code"] == "validation_error"
    # the history is the case file's: a node that reads the text back has the same
    hub = world.server.app[NAMESPACE_KEY].hub
    session = hub.session(world.session.id)
    session._texts.clear()
    await hub._texts.load(session, PLENARY)
    assert (await marc.call("text:history", {}))["versions"] == history["versions"]


async def test_a_paragraph_a_mediator_locked_is_theirs_to_change(
    world: World, clients: Callable[[], Client]
) -> None:
    anne, jeanne, _marc = await three(world, clients)
    mine = Editor(anne)

    def two(fragment: XmlFragment) -> None:
        fragment.children.append(XmlElement("paragraph", {"locked": True}, [XmlText("Clause 1")]))
        fragment.children.append(XmlElement("paragraph", {}, [XmlText("Libre")]))

    assert (await mine.send(mine.change(two)))["ok"]
    assert (await jeanne.call("text:sync", {}))["may_lock"] is False
    assert (await anne.call("text:sync", {}))["may_lock"] is True
    hers = Editor(jeanne)
    await hers.sync()
    attempts: dict[str, Callable[[Editor, XmlFragment], object]] = {
        "typing in it": lambda e, f: e.paragraph(0).insert(0, "Pas "),
        "deleting its words": lambda e, f: e.paragraph(0).__delitem__(slice(0, 3)),
        "deleting it": lambda e, f: f.children.__delitem__(0),
        "unlocking it": lambda e, f: next(iter(f.children)).attributes.__delitem__("locked"),
        "locking another": lambda e, f: list(f.children)[1].attributes.__setitem__("locked", True),
        "adding a locked one": lambda e, f: f.children.append(
            XmlElement("paragraph", {"locked": True}, [XmlText("x")])
        ),
    }
    for what, edit in attempts.items():
        fresh = Editor(jeanne)
        await fresh.sync()
        ack = await fresh.send(fresh.change(lambda f, e=fresh, edit=edit: edit(e, f)))  # type: ignore[misc]
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", (what, ack)
    assert server_text(world) == "Clause 1\nLibre"
    # the rest of the text is hers to change; the mediator may change the locked one
    assert (await hers.send(hers.change(lambda f: hers.paragraph(1).insert(5, " !"))))["ok"]
    await until(lambda: len(anne.seen("text:update")) == 1)
    mine.receive()
    assert (await mine.send(mine.change(lambda f: mine.paragraph(0).insert(8, " bis"))))["ok"]
    assert server_text(world) == "Clause 1 bis\nLibre !"
    # once unlocked, anyone may
    unlock = mine.change(lambda f: next(iter(f.children)).attributes.__delitem__("locked"))
    assert (await mine.send(unlock))["ok"]
    await until(lambda: len(jeanne.seen("text:update")) == 3)  # the first, " bis", unlocking
    hers.taken = 1  # she had the first from her sync
    hers.receive()
    assert (await hers.send(hers.change(lambda f: hers.paragraph(0).insert(0, "> "))))["ok"]
    assert server_text(world) == "> Clause 1 bis\nLibre !"
