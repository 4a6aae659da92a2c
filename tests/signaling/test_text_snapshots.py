"""Opening a shared text from its latest snapshot and the updates after it: the same text
and history as replaying every update, reading only the tail; and over sockets, snapshots
taken as people type, then a restart that opens from one."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from records.db import Database
from records.service import Records
from records.stores.scheduling import ScheduleStore
from sessions import shared_text
from sessions.shared_text import FRAGMENT, SharedText, merged
from sessions.text_comments import CommentEvent
from signaling.stores import CaseOf, JournalTexts
from tests.factories import make_case, make_mediator, make_session
from tests.signaling.test_drafting import Editor, paragraph, server_text
from tests.signaling.world import Client, World, back, mediator, restarted, three


class Typist:
    """A copy of the text that types a character per update."""

    def __init__(self) -> None:
        self.doc: Doc[Any] = Doc()
        self.fragment = self.doc.get(FRAGMENT, type=XmlFragment)

    def edit(self, change: Callable[[XmlFragment], object]) -> bytes:
        before = self.doc.get_state()
        with self.doc.transaction():
            change(self.fragment)
        return self.doc.get_update(before)

    def type(self, char: str) -> bytes:
        block = list(self.fragment.children)[-1]
        assert isinstance(block, XmlElement)
        run = next(iter(block.children))
        assert isinstance(run, XmlText)
        return self.edit(lambda f: run.insert(len(str(run)), char))


def typed(text: SharedText, n: int, authors: tuple[str, ...] = ("p-1", "p-2")) -> list[bytes]:
    """``n`` updates applied to ``text`` (a paragraph, then a character each, the author
    changing every 7 updates)."""
    typist = Typist()
    updates = [typist.edit(lambda f: f.children.append(XmlElement("paragraph", {}, [XmlText()])))]
    updates += [typist.type("abcdefghij"[i % 10]) for i in range(n - 1)]
    for i, update in enumerate(updates):
        text.apply(update, authors[(i // 7) % len(authors)], 1000.0 + i)
    return updates


async def texts_of(db: Database, records: Records) -> tuple[JournalTexts, str]:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    session = await make_session(db, case, anne)
    return JournalTexts(records.texts, CaseOf(ScheduleStore(db))), session.id


async def test_opening_from_a_snapshot_is_the_full_replay_reading_only_the_tail(
    db: Database, records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared_text, "SNAPSHOT_EVERY", 50)
    store, session_id = await texts_of(db, records)
    live = SharedText("plenary")
    typed(live, 230)
    # stored as the hub stores them: each update, and each snapshot once its update is
    for entry in live._entries:
        await store.store(session_id, "plenary", [entry])
        snapshot = live.take_snapshot(entry.seq)
        if snapshot is not None:
            await store.keep_snapshot(session_id, "plenary", snapshot)
    journal = records.texts
    before = journal.rows_read
    opened = await store.load(session_id, "plenary")
    assert opened.snapshot is not None and opened.snapshot.seq == 200
    assert [e.seq for e in opened.entries] == list(range(201, 231))
    assert journal.rows_read - before == 30  # the tail, not the 230 updates
    fast = SharedText("plenary")
    assert fast.restore(opened.entries, opened.snapshot) == 230
    # the same text as replaying every update (read back in full), the same history
    slow = SharedText("plenary")
    everything = await store.updates_through(session_id, "plenary", 230)
    assert slow.restore(everything) == 230
    assert fast.xml() == slow.xml() == live.xml()
    assert fast.state_vector() == slow.state_vector()
    assert fast.versions() == slow.versions() == live.versions()
    # versions after the snapshot come from memory; older ones from the stored updates
    for seq in (200, 201, 230):
        assert SharedText._of(fast.state_at(seq)) == SharedText._of(slow.state_at(seq))
    assert fast.updates_until(120) is None
    old = await store.updates_through(session_id, "plenary", 120)
    assert SharedText._of(merged([e.update for e in old])) == SharedText._of(slow.state_at(120))
    # and it goes on: the next update is numbered after, and snapshots follow on
    typist = Typist()
    typist.doc.apply_update(fast.state())
    assert fast.apply(typist.type("z"), "p-1", 2000.0).seq == 231
    assert fast.xml().endswith("z</paragraph>")


async def test_a_text_opens_from_its_snapshot_after_a_restart(
    world: World, clients: Callable[[], Client], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared_text, "SNAPSHOT_EVERY", 3)
    anne, jeanne, marc = await three(world, clients)
    editor = Editor(jeanne)
    assert (await editor.send(editor.change(paragraph("a"))))["ok"]
    for at, c in enumerate("bcdefg", start=1):
        change = editor.change(lambda f, at=at, c=c: editor.paragraph().insert(at, c))  # type: ignore[misc]
        assert (await editor.send(change))["ok"]
    snapshots = world.svc.records.texts.snapshots
    latest = await snapshots.latest(world.case.id, world.session.id, "plenary")
    assert latest is not None and latest.seq == 6
    history = (await anne.call("text:history", {}))["versions"]
    for c in (anne, jeanne, marc):
        await c.close()
    async with restarted(world, tmp_path) as again:
        journal = again.svc.records.texts
        anne = await mediator(again, clients)
        jeanne = await back(again, clients, "Jeanne Dupont")
        assert server_text(again) == "abcdefg"
        assert journal.rows_read == 1  # update 7, after the snapshot of 6
        assert (await anne.call("text:history", {}))["versions"] == history
        for seq, words in ((2, "ab"), (6, "abcdef"), (7, "abcdefg")):
            ack = await anne.call("text:version", {"seq": seq})
            assert ack["ok"], ack
            assert (
                SharedText._of(base64.b64decode(ack["update"])) == f"<paragraph>{words}</paragraph>"
            )
        await jeanne.close()
        await anne.close()


async def test_dropping_a_case_drops_its_texts_snapshots_and_comments(
    db: Database, records: Records
) -> None:
    store, session_id = await texts_of(db, records)
    live = SharedText("plenary")
    typed(live, 3)
    await store.store(session_id, "plenary", live._entries)
    await store.keep_snapshot(session_id, "plenary", live.snapshot())
    event = CommentEvent(1, "add", "a" * 32, "p-1", 1.0, "note", ("AAAA", "AAAA"))
    await store.store_comment(session_id, "plenary", event)
    assert list(await store.load_comments(session_id, "plenary")) == [event]
    case_id = await CaseOf(ScheduleStore(db))(session_id)
    await records.texts.drop_case(case_id)
    opened = await store.load(session_id, "plenary")
    assert opened.snapshot is None and list(opened.entries) == []
    assert list(await store.load_comments(session_id, "plenary")) == []
